// The dashboard's shell: the router that draws the page a /ui/ path
// names, in-page navigation without reloads, the theme switch and the
// live stream's status.
import { live } from './api.js';
import { h, fill, message } from './dom.js';
import { overview } from './overview.js';
import { taskList, taskNew, taskDetail } from './tasks.js';
import { moduleList, moduleDetail, bundleList, bundleDetail } from './modules.js';
import { scheduleList, scheduleDetail } from './schedules.js';
import { eventStream } from './events.js';
import { workflowList, workflowDetail } from './workflows.js';

// routes maps a path (after /ui) to the function drawing its page; a
// page function fills main and returns the function that stops it.
const routes = [
  [/^\/?$/, overview, 'Overview'],
  [/^\/tasks\/?$/, taskList, 'Tasks'],
  [/^\/tasks\/new\/?$/, taskNew, 'New task'],
  [/^\/tasks\/([^/]+)\/?$/, taskDetail, 'Task'],
  [/^\/modules\/?$/, moduleList, 'Modules'],
  [/^\/modules\/([^/]+)\/?$/, moduleDetail, 'Module'],
  [/^\/bundles\/?$/, bundleList, 'Bundles'],
  [/^\/bundles\/([^/]+)\/?$/, bundleDetail, 'Bundle'],
  [/^\/schedules\/?$/, scheduleList, 'Schedules'],
  [/^\/schedules\/([^/]+)\/?$/, scheduleDetail, 'Schedule'],
  [/^\/events\/?$/, eventStream, 'Events'],
  [/^\/workflows\/?$/, workflowList, 'Workflows'],
  [/^\/workflows\/([^/]+)\/?$/, workflowDetail, 'Workflow'],
];

let stop = null;

// draw renders the page of the current location.
async function draw() {
  if (stop) { try { stop(); } catch (e) { console.error(e); } stop = null; }
  const path = location.pathname.replace(/^\/ui/, '') || '/';
  const main = document.getElementById('main');
  for (const a of document.querySelectorAll('.top nav a')) {
    const p = a.getAttribute('href').replace(/^\/ui/, '') || '/';
    const current = p === '/' ? path === '/' : path.startsWith(p);
    if (current) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  for (const [re, page, title] of routes) {
    const m = path.match(re);
    if (!m) continue;
    document.title = `${title} · NexusTask`;
    fill(main);
    const params = m.slice(1).map(decodeURIComponent);
    try {
      stop = (await page(main, params, new URLSearchParams(location.search))) || null;
    } catch (e) {
      message(main, `Could not load this page: ${e.message}`, true);
    }
    document.body.dataset.page = title;
    return;
  }
  document.title = 'Not found · NexusTask';
  fill(main, h('h1', null, 'Not found'), h('p', null, 'No page has this address. ', h('a', { href: '/ui/' }, 'Overview')));
}

// navigate moves to a dashboard path without reloading the page.
export function navigate(path, replace) {
  if (replace) history.replaceState(null, '', path); else history.pushState(null, '', path);
  draw().then(() => { if (!replace) document.getElementById('main').focus({ preventScroll: true }); });
}

document.addEventListener('click', (e) => {
  const a = e.target.closest('a[href]');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || a.target || a.hasAttribute('download')) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith('/ui')) return;
  e.preventDefault();
  navigate(url.pathname + url.search);
});
window.addEventListener('popstate', draw);

function setupTheme() {
  const saved = localStorage.getItem('nexus-theme');
  if (saved) document.documentElement.dataset.theme = saved;
  document.getElementById('theme').addEventListener('click', () => {
    const dark = document.documentElement.dataset.theme
      ? document.documentElement.dataset.theme === 'dark'
      : matchMedia('(prefers-color-scheme: dark)').matches;
    const next = dark ? 'light' : 'dark';
    document.documentElement.dataset.theme = next;
    localStorage.setItem('nexus-theme', next);
  });
}

function setupLive() {
  const el = document.getElementById('live');
  live.status = (on) => {
    el.textContent = on ? 'live' : 'reconnecting…';
    el.classList.toggle('on', on);
  };
  live.start();
}

setupTheme();
setupLive();
draw();
