// Schedules: next due times, last runs with their lag and outcome; pause
// and resume.
import { get, post, live } from './api.js';
import { h, fill, link, enc, when, state, table, message, kv, ms } from './dom.js';

// scheduleList draws /ui/schedules, refreshed by schedule events.
export async function scheduleList(main) {
  const tbody = h('tbody');
  const load = async () => {
    const doc = await get('/v1/schedules');
    fill(tbody, ...(doc.schedules.length ? doc.schedules.map((s) => h('tr', null,
      h('td', null, link(`/ui/schedules/${enc(s.name)}`, s.name)), h('td', null, s.cron || `every ${s.every}`),
      h('td', null, s.paused ? state('paused') : when(s.next_due)), h('td', null, s.running || 0),
      h('td', null, s.overlap || ''), h('td', null, JSON.parse(JSON.stringify(s.task || {})).module || '')))
      : [h('tr', null, h('td', { colspan: 6, class: 'muted' }, 'No schedules.'))]));
  };
  main.append(h('h1', null, 'Schedules'), table(['Name', 'When', 'Next due', 'Running', 'Overlap', 'Module'], tbody));
  await load();
  return live.subscribe((b) => { if (b.some((e) => e.type.startsWith('schedule.'))) load(); });
}

// scheduleDetail draws /ui/schedules/{name} with its last runs.
export async function scheduleDetail(main, [name]) {
  const status = h('div');
  const actions = h('div', { class: 'actions' });
  const body = h('div');
  main.append(h('h1', null, 'Schedule ', h('code', null, name)), actions, status, body);
  const load = async () => {
    const s = await get(`/v1/schedules/${enc(name)}?runs=20`);
    const act = (label, path) => h('button', { type: 'button', 'data-action': label.toLowerCase(), onclick: async () => {
      try { await post(path); message(status, `${label}: done.`); } catch (err) { message(status, err.message, true); }
      load();
    } }, label);
    fill(actions, s.paused ? act('Resume', `/v1/schedules/${enc(name)}/resume`) : act('Pause', `/v1/schedules/${enc(name)}/pause`));
    const runs = s.runs || [];
    fill(body, kv([['When', s.cron ? `cron ${s.cron}${s.timezone ? ' ' + s.timezone : ''}` : `every ${s.every}`],
      ['Next due', s.paused ? state('paused') : when(s.next_due)], ['Overlap', s.overlap || '—'], ['Catch up', s.catch_up || '—'],
      ['Running', s.running || 0], ['Created', when(s.created_at)]]),
    h('h2', null, 'Template'), h('pre', { tabindex: 0 }, JSON.stringify(s.task, null, 2)),
    h('h2', null, 'Last runs'),
    table(['Due', 'Fired', 'Lag', 'Outcome', 'Task', 'Error'], runs.length ? runs.map((r) => h('tr', { 'data-outcome': r.outcome },
      h('td', null, when(r.due)), h('td', null, when(r.fired_at)),
      h('td', null, r.fired_at ? ms(new Date(r.fired_at) - new Date(r.due)) : '—'), h('td', null, state(r.outcome)),
      h('td', null, r.task_id ? link(`/ui/tasks/${enc(r.task_id)}`, r.task_id.slice(0, 16)) : '—'), h('td', { class: 'wrap' }, r.error || '')))
      : [h('tr', null, h('td', { colspan: 6, class: 'muted' }, 'No runs yet.'))]));
    main.dataset.runs = runs.length;
  };
  await load();
  return live.subscribe((b) => {
    if (b.some((e) => (e.type.startsWith('schedule.') && e.data && e.data.schedule === name) ||
      (e.task_id && (main.querySelector(`a[href$="${CSS.escape(e.task_id)}"]`))))) load();
  });
}
