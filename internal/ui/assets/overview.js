// The overview: live figures and graphs of the last 15 minutes, from
// GET /v1/metrics once a second and the event stream.
import { get, live } from './api.js';
import { h, fill, link, num, when, enc, table } from './dom.js';
import { Series, chart } from './chart.js';

const WINDOW = 900; // seconds of history: 15 minutes at one sample a second

// The history is kept from the page's load, whichever page is shown, so
// the graphs have their minutes when the overview is opened.
const hist = {
  runs: new Series(WINDOW), errors: new Series(WINDOW), errorRate: new Series(WINDOW),
  queue: new Series(WINDOW), running: new Series(WINDOW), fuel: new Series(WINDOW),
  hit: new Series(WINDOW),
};
let latest = null;      // the last sample's figures
let previous = null;    // counters of the sample before, for rates
const running = new Map(); // task id → {module, since, priority} of tasks running now
const listeners = new Set();

// sum adds the values of a metric's samples, those whose labels pass keep.
function sum(byName, name, keep = () => true, field = 'value') {
  const m = byName.get(name);
  if (!m) return 0;
  let s = 0;
  for (const x of m.metrics) if (keep(x.labels || {})) s += Number(x[field] ?? 0);
  return s;
}

async function sample() {
  // The sample's time is when the request left: the server gathers the
  // figures as it arrives, while the answer may wait for a busy page.
  const now = performance.now();
  let doc;
  try { doc = await get('/v1/metrics?filter=nexus_'); } catch { return; }
  const by = new Map(doc.map((m) => [m.name, m]));
  const c = {
    t: now,
    runs: sum(by, 'nexus_invocations_total'),
    errors: sum(by, 'nexus_invocations_total', (l) => l.outcome && l.outcome !== 'ok'),
    fuel: sum(by, 'nexus_fuel_used', () => true, 'sum'),
  };
  const depth = {};
  for (const x of by.get('nexus_executor_queue_depth')?.metrics || []) depth[x.labels?.priority ?? '?'] = x.value;
  const states = {};
  for (const x of by.get('nexus_tasks')?.metrics || []) states[x.labels?.state] = x.value;
  latest = {
    depth, states,
    queue: Object.values(depth).reduce((a, b) => a + b, 0),
    running: sum(by, 'nexus_executor_running'),
    tokens: sum(by, 'nexus_executor_tokens'),
    utilization: sum(by, 'nexus_executor_token_utilization'),
    hit: sum(by, 'nexus_cache_hit_ratio'),
    modules: sum(by, 'nexus_modules'),
    finished: sum(by, 'nexus_tasks_finished_total'),
    runsPerSec: 0, errorRate: 0, fuelPerSec: 0,
  };
  if (previous) {
    const dt = (now - previous.t) / 1000 || 1;
    const runs = Math.max(0, c.runs - previous.runs), errs = Math.max(0, c.errors - previous.errors);
    latest.runsPerSec = runs / dt;
    latest.errorRate = runs ? (100 * errs) / runs : 0;
    latest.fuelPerSec = Math.max(0, c.fuel - previous.fuel) / dt;
    hist.runs.push(latest.runsPerSec);
    hist.errors.push(errs / dt);
    hist.errorRate.push(latest.errorRate);
    hist.fuel.push(latest.fuelPerSec);
  }
  previous = c;
  hist.queue.push(latest.queue);
  hist.running.push(latest.running);
  hist.hit.push(100 * latest.hit);
  for (const fn of listeners) fn();
}

// Running tasks, from the events: started adds, a final state or a wait
// removes.
live.subscribe((batch) => {
  for (const e of batch) {
    if (!e.task_id) continue;
    if (e.type === 'task.started' || e.type === 'task.resumed') {
      running.set(e.task_id, { module: e.module, since: e.time, priority: e.priority });
    } else if (e.type.startsWith('task.') && e.type !== 'task.progress' && e.type !== 'task.checkpointed') {
      running.delete(e.task_id);
    }
  }
});

// One sample a second, never two at once: a slow answer delays the next
// sample rather than bunching two, whose rates would be noise.
async function sampleLoop() {
  const t0 = performance.now();
  await sample();
  setTimeout(sampleLoop, Math.max(0, 1000 - (performance.now() - t0)));
}
sampleLoop();

// overview draws the overview page.
export function overview(main) {
  const card = (k) => {
    const v = h('div', { class: 'v' }, '—');
    return [h('div', { class: 'card' }, h('div', { class: 'k' }, k), v), v];
  };
  const [cRuns, vRuns] = card('Runs per second');
  const [cErr, vErr] = card('Error rate');
  const [cQueue, vQueue] = card('Queued');
  const [cRun, vRun] = card('Running / worker tokens');
  const [cHit, vHit] = card('Cache hit ratio');
  const [cFuel, vFuel] = card('Fuel per second');
  const charts = [
    chart('Throughput (runs/s)', [hist.runs, hist.errors], ['all', 'errors']),
    chart('Error rate', [hist.errorRate], ['errors'], ' %'),
    chart('Queue depth and running', [hist.queue, hist.running], ['queued', 'running']),
    chart('Fuel per second', [hist.fuel], ['fuel']),
    chart('Cache hit ratio', [hist.hit], ['hits'], ' %'),
  ];
  const depthBody = h('tbody');
  const runningBody = h('tbody');
  const stateLine = h('p', { class: 'muted' });
  main.append(
    h('h1', null, 'Overview'),
    h('div', { class: 'grid', role: 'group', 'aria-label': 'Current figures' }, cRuns, cErr, cQueue, cRun, cHit, cFuel),
    stateLine,
    h('div', { class: 'charts' }, charts),
    h('div', { class: 'charts' },
      h('section', null, h('h2', null, 'Queue depth by priority'),
        h('table', null, h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Priority'), h('th', { scope: 'col' }, 'Queued'))), depthBody)),
      h('section', null, h('h2', null, 'Running now'),
        h('table', null, h('thead', null, h('tr', null, ['Task', 'Module', 'Priority', 'Since'].map((x) => h('th', { scope: 'col' }, x)))), runningBody))),
  );
  const update = () => {
    if (!latest) return;
    vRuns.textContent = num(latest.runsPerSec);
    vErr.textContent = `${num(latest.errorRate)} %`;
    vQueue.textContent = num(latest.queue);
    vRun.textContent = `${num(latest.running)} / ${num(latest.tokens)}`;
    vHit.textContent = `${num(100 * latest.hit)} %`;
    vFuel.textContent = num(latest.fuelPerSec);
    const s = latest.states;
    stateLine.textContent = `Durable tasks: ${num(s.scheduled || 0)} scheduled, ${num(s.queued || 0)} queued, ${num(s.running || 0)} running; ${num(latest.finished)} finished since the server started; modules: ${num(latest.modules)}; token utilization ${num(100 * latest.utilization)} %.`;
    for (const c of charts) c.update();
    fill(depthBody, ...Object.keys(latest.depth).sort((a, b) => b - a)
      .map((p) => h('tr', null, h('td', null, p), h('td', null, num(latest.depth[p])))));
    const rows = [...running.entries()].slice(0, 20).map(([id, r]) =>
      h('tr', null, h('td', null, link(`/ui/tasks/${enc(id)}`, id.slice(0, 12))), h('td', null, r.module || '—'),
        h('td', null, r.priority ?? '—'), h('td', null, when(r.since))));
    fill(runningBody, ...(rows.length ? rows : [h('tr', null, h('td', { colspan: 4, class: 'muted' }, 'Nothing is running.'))]));
  };
  update();
  listeners.add(update);
  return () => listeners.delete(update);
}
