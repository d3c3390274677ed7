// Tasks: the filterable, paginated, live list; a task's detail with its
// output, logs, attempts and timeline; the form that submits new ones.
import { get, post, request, live } from './api.js';
import { h, fill, link, state, enc, when, num, bytes, ms, kv, table, message, hex, isText } from './dom.js';
import { navigate } from './app.js';

const STATES = ['scheduled', 'queued', 'running', 'succeeded', 'failed', 'canceled', 'dead'];
const FINAL = new Set(['succeeded', 'failed', 'canceled', 'dead']);
const PAGE = 50;

// stateOfEvent is the task state an event leaves its task in.
function stateOfEvent(e) {
  if (e.state) return e.state;
  const t = e.type.slice(5);
  return { submitted: 'queued', started: 'running', resumed: 'running', retrying: 'scheduled' }[t] || (STATES.includes(t) ? t : null);
}

// taskList draws /ui/tasks: filters in the query, pages by cursor, and
// rows kept current from the event stream.
export async function taskList(main, _, q) {
  const f = { state: q.get('state') || '', module: q.get('module') || '', tag: q.get('tag') || '',
    category: q.get('category') || '', from: q.get('from') || '', to: q.get('to') || '' };
  const cursor = q.get('cursor') || '';
  const input = (name, label, attrs = {}) => h('label', null, label, h('input', { name, value: f[name], ...attrs }));
  const form = h('form', { class: 'inline', role: 'search', 'aria-label': 'Filter tasks', onsubmit: (e) => {
    e.preventDefault();
    const p = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (v) p.set(k, v);
    navigate(`/ui/tasks${p.size ? '?' + p : ''}`);
  } },
  h('label', null, 'State', h('select', { name: 'state' }, h('option', { value: '' }, 'any'),
    STATES.map((s) => h('option', { value: s, selected: s === f.state }, s)))),
  input('module', 'Module', { size: 12 }), input('tag', 'Tag', { size: 10 }), input('category', 'Category', { size: 10 }),
  input('from', 'Submitted from', { type: 'datetime-local' }), input('to', 'to', { type: 'datetime-local' }),
  h('button', { type: 'submit', class: 'primary' }, 'Filter'),
  h('a', { href: '/ui/tasks/new' }, 'New task'));
  const status = h('div');
  const tbody = h('tbody');
  const pager = h('div', { class: 'pager' });
  main.append(h('h1', null, 'Tasks'), form, status,
    table(['ID', 'Module', 'State', 'Priority', 'Category', 'Tags', 'Submitted', 'Fuel'], tbody), pager);

  const p = new URLSearchParams({ limit: PAGE });
  for (const k of ['state', 'module', 'tag']) if (f[k]) p.set(k, f[k]);
  if (cursor) p.set('cursor', cursor);
  const doc = await get(`/v1/tasks?${p}`);
  const from = f.from ? new Date(f.from).getTime() : -Infinity, to = f.to ? new Date(f.to).getTime() : Infinity;
  // Category and time range are not indexes of the API: they filter the
  // page it answers.
  const keep = (t) => (!f.category || t.category === f.category) &&
    (!t.submitted_at || (new Date(t.submitted_at).getTime() >= from && new Date(t.submitted_at).getTime() <= to));
  const rows = new Map(); // id → {t, tr, stateCell, fuelCell}
  const rowOf = (t) => {
    const stateCell = h('td', null, state(t.state)), fuelCell = h('td', null, num(t.fuel_used || 0));
    const tr = h('tr', { 'data-id': t.id, 'data-state': t.state },
      h('td', null, link(`/ui/tasks/${enc(t.id)}`, t.id.slice(0, 16))), h('td', null, link(`/ui/modules/${enc(t.module)}`, t.module)),
      stateCell, h('td', null, t.priority), h('td', null, t.category || ''), h('td', null, (t.tags || []).join(', ')),
      h('td', null, when(t.submitted_at)), fuelCell);
    return { t, tr, stateCell, fuelCell };
  };
  const order = [];
  for (const t of doc.tasks.filter(keep)) { const r = rowOf(t); rows.set(t.id, r); order.push(r); }
  fill(tbody, ...order.map((r) => r.tr));
  if (!order.length) message(status, 'No task matches.');
  pager.append(
    cursor ? h('a', { href: `/ui/tasks?${new URLSearchParams({ ...Object.fromEntries(Object.entries(f).filter(([, v]) => v)) })}` }, 'First page') : null,
    doc.next_cursor ? h('a', { href: `/ui/tasks?${new URLSearchParams({ ...Object.fromEntries(Object.entries(f).filter(([, v]) => v)), cursor: doc.next_cursor })}` }, 'Next page') : null,
    h('span', { class: 'muted' }, `${order.length} shown`));
  tbody.dataset.ready = '1';

  // Live: the first page takes new tasks; every shown row follows its task.
  return live.subscribe((batch) => {
    const fresh = [];
    for (const e of batch) {
      if (!e.task_id || !e.type.startsWith('task.')) continue;
      const st = stateOfEvent(e);
      let r = rows.get(e.task_id);
      if (!r && e.type === 'task.submitted' && !cursor) {
        const t = { id: e.task_id, module: e.module, state: st, priority: e.priority, category: e.category, tags: e.tags, submitted_at: e.time, fuel_used: 0 };
        if ((f.module && t.module !== f.module) || (f.tag && !(t.tags || []).includes(f.tag)) || (f.state && t.state !== f.state) || !keep(t)) continue;
        r = { t, fresh: true };
        rows.set(t.id, r);
        fresh.push(r);
        continue;
      }
      if (!r || !st) continue;
      r.t.state = st;
      if (e.data && e.data.fuel_used) r.t.fuel_used = e.data.fuel_used;
      r.dirty = true;
    }
    if (fresh.length) {
      const top = fresh.reverse().slice(0, PAGE);
      for (const r of fresh.slice(PAGE)) rows.delete(r.t.id);
      for (const r of top) Object.assign(r, rowOf(r.t));
      order.unshift(...top);
      for (const r of order.splice(PAGE)) { rows.delete(r.t.id); r.tr && r.tr.remove(); }
      tbody.prepend(...top.map((r) => r.tr));
      message(status, '');
    }
    for (const r of order) {
      if (!r.dirty) continue;
      r.dirty = false;
      r.tr.dataset.state = r.t.state;
      fill(r.stateCell, state(r.t.state));
      r.fuelCell.textContent = num(r.t.fuel_used || 0);
    }
  });
}

// taskNew draws /ui/tasks/new: a POST /v1/tasks body from a form, or a
// list of copies of it.
export async function taskNew(main, _, q) {
  const mods = await get('/v1/modules').catch(() => ({ modules: [] }));
  const out = h('div');
  const field = (name, label, attrs = {}) => h('label', null, label, h('input', { name, ...attrs }));
  const form = h('form', { 'aria-label': 'New task', onsubmit: async (e) => {
    e.preventDefault();
    const d = new FormData(form);
    const body = { module: d.get('module') };
    for (const k of ['version', 'priority', 'fuel', 'memory_bytes', 'timeout_ms', 'delay_ms', 'max_retries', 'cache_ttl_ms']) {
      if (d.get(k) !== '') body[k] = Number(d.get(k));
    }
    for (const k of ['category', 'idempotency_key']) if (d.get(k)) body[k] = d.get(k);
    if (d.get('tags')) body.tags = d.get('tags').split(',').map((s) => s.trim()).filter(Boolean);
    const file = d.get('file');
    if (file && file.size) {
      const b = new Uint8Array(await file.arrayBuffer());
      let s = '';
      for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
      body.input_base64 = btoa(s);
    } else if (d.get('input')) body.input = d.get('input');
    const count = Math.max(1, Math.min(1000, Number(d.get('count')) || 1));
    try {
      if (count === 1) {
        const t = await post('/v1/tasks', body);
        navigate(`/ui/tasks/${enc(t.id)}`);
      } else {
        const res = await post('/v1/tasks', Array.from({ length: count }, () => ({ ...body })));
        const bad = res.filter((r) => r.error);
        message(out, bad.length ? `${bad.length} of ${count} refused: ${bad[0].error.code}: ${bad[0].error.message}` :
          `${count} tasks submitted.`, bad.length > 0);
      }
    } catch (err) { message(out, err.message, true); }
  } },
  h('div', { class: 'grid' },
    h('label', null, 'Module', h('select', { name: 'module', required: true },
      mods.modules.map((m) => h('option', { value: m.name, selected: m.name === q.get('module') }, m.name)))),
    field('version', 'Version (latest if empty)', { type: 'number', min: 1 }),
    field('priority', 'Priority (0–9)', { type: 'number', min: 0, max: 9, value: 5 }),
    field('fuel', 'Fuel', { type: 'number', min: 1 }),
    field('memory_bytes', 'Memory (bytes)', { type: 'number', min: 1 }),
    field('timeout_ms', 'Timeout (ms)', { type: 'number', min: 1 }),
    field('delay_ms', 'Delay (ms)', { type: 'number', min: 0 }),
    field('max_retries', 'Max retries', { type: 'number', min: 0 }),
    field('cache_ttl_ms', 'Cache TTL (ms)', { type: 'number', min: 0 }),
    field('category', 'Category'), field('tags', 'Tags (comma separated)'), field('idempotency_key', 'Idempotency key'),
    field('count', 'Copies', { type: 'number', min: 1, max: 1000, value: 1 })),
  h('label', null, 'Input (text)', h('textarea', { name: 'input' })),
  h('label', null, 'or input from a file', h('input', { type: 'file', name: 'file' })),
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Submit')));
  main.append(h('h1', null, 'New task'), form, out);
}

// preview shows bytes as text or hex, with a download link.
export function preview(buf, name) {
  const text = isText(buf);
  const pre = h('pre', { tabindex: 0, 'aria-label': 'Output' });
  const show = (asHex) => { pre.textContent = asHex ? hex(buf) : new TextDecoder().decode(buf.slice(0, 65536)); };
  show(!text);
  const url = URL.createObjectURL(new Blob([buf]));
  return h('div', null,
    h('div', { class: 'actions' },
      h('button', { type: 'button', onclick: () => show(false) }, 'Text'),
      h('button', { type: 'button', onclick: () => show(true) }, 'Hex'),
      h('a', { href: url, download: name }, `Download (${bytes(buf.byteLength)})`)),
    pre);
}

// gantt draws a timeline's phases as bars over the task's span.
export function gantt(tl) {
  const phases = tl.phases || [];
  if (!phases.length) return h('p', { class: 'muted' }, 'No phases recorded.');
  const t0 = new Date(tl.start || phases[0].start).getTime();
  let end = t0;
  for (const p of phases) end = Math.max(end, new Date(p.start).getTime() + (p.duration_ms || 0));
  const span = Math.max(1, end - t0);
  return h('div', { class: 'gantt', role: 'list', 'aria-label': 'Timeline' }, phases.flatMap((p) => {
    const left = ((new Date(p.start).getTime() - t0) / span) * 100, width = ((p.duration_ms || 0) / span) * 100;
    const what = [p.phase, p.attempt ? `attempt ${p.attempt}` : '', p.error_code || '', p.checkpoint_bytes ? bytes(p.checkpoint_bytes) : ''].filter(Boolean).join(' · ');
    return [h('span', { role: 'listitem' }, what),
      h('div', { class: 'bar', title: p.error_message || what }, h('div', { class: p.phase, style: `left:${left}%;width:${width}%` })),
      h('span', { class: 'muted' }, ms(p.duration_ms || 0))];
  }));
}

// taskDetail draws /ui/tasks/{id}, redrawn as its events arrive.
export async function taskDetail(main, [id]) {
  const head = h('h1', null, 'Task ', h('code', null, id));
  const status = h('div');
  const actions = h('div', { class: 'actions' });
  const body = h('div');
  const timeline = h('section', null, h('h2', null, 'Timeline'));
  const output = h('section');
  main.append(head, actions, status, body, timeline, output);
  let rec = null, outputShown = false;

  const act = (label, path, cls) => h('button', { type: 'button', class: cls, 'data-action': label.toLowerCase(), onclick: async (e) => {
    e.target.disabled = true;
    try {
      await post(path);
      message(status, `${label}: done.`);
    } catch (err) { message(status, err.message, true); }
    refresh();
  } }, label);

  const draw = () => {
    const r = rec;
    // The buttons change with the state only, so a click never lands on
    // a button a progress event just replaced.
    if (actions.dataset.state !== r.state) {
      actions.dataset.state = r.state;
      fill(actions, 
        !FINAL.has(r.state) ? act('Cancel', `/v1/tasks/${enc(id)}/cancel`, 'danger') : null,
        ['failed', 'dead', 'canceled'].includes(r.state) ? act('Retry', `/v1/tasks/${enc(id)}/retry`) : null,
        h('a', { href: `/ui/tasks/new?module=${enc(r.module)}` }, 'New task like this'));
    }
    const [done, total] = r.progress || [0, 0];
    fill(body, kv([
      ['State', state(r.state)],
      ['Module', link(`/ui/modules/${enc(r.module)}`, `${r.module} v${r.version}`)],
      ['Priority', r.priority], ['Category', r.category], ['Tags', (r.tags || []).join(', ') || '—'],
      ['Attempts', `${r.attempts} of ${r.max_retries + 1}`],
      ['Submitted', when(r.submitted_at)], r.run_at ? ['Run at', when(r.run_at)] : null,
      ['Started', when(r.started_at)], ['Finished', when(r.finished_at)],
      ['Fuel used', num(r.fuel_used)], ['Input', bytes(r.input_bytes || 0)], ['Output', bytes(r.output_bytes || 0)],
      ['Checkpoint', r.checkpoint_bytes ? bytes(r.checkpoint_bytes) : 'none'],
      ['Progress', total ? h('div', null, h('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': total, 'aria-valuenow': done },
        h('div', { style: `width:${(100 * done) / total}%` })), `${num(done)} of ${num(total)}`) : '—'],
      r.cache ? ['Cache', r.cache] : null,
      r.error_code ? ['Error', h('span', { class: 'error' }, `${r.error_code}: ${r.error_message || ''}`)] : null,
    ]),
    r.events && r.events.length ? [h('h2', null, 'Attempts and changes'),
      table(['At', 'Change', 'Attempt', 'Error'], r.events.map((e) => h('tr', null, h('td', null, when(e.at)), h('td', null, e.kind),
        h('td', null, e.attempt || ''), h('td', { class: 'wrap' }, [e.error_code, e.error_message].filter(Boolean).join(': ')))))] : null,
    r.logs ? [h('h2', null, 'Logs'), h('pre', { tabindex: 0 }, r.logs)] : null,
    r.error_output ? [h('h2', null, 'Output of the failed attempt'), h('pre', { tabindex: 0 }, r.error_output)] : null);
  };

  const drawTimeline = async () => {
    try {
      const tl = await get(`/v1/tasks/${enc(id)}/timeline`);
      fill(timeline, h('h2', null, 'Timeline'), gantt(tl));
    } catch (err) { fill(timeline, h('h2', null, 'Timeline'), h('p', { class: 'muted' }, err.message)); }
  };

  const drawOutput = async () => {
    if (outputShown || rec.state !== 'succeeded') return;
    outputShown = true;
    try {
      const res = await request('GET', `/v1/tasks/${enc(id)}/result`);
      fill(output, h('h2', null, 'Output'), preview(await res.arrayBuffer(), `${id}.out`));
    } catch (err) { fill(output, h('h2', null, 'Output'), h('p', { class: 'error' }, err.message)); }
  };

  let busy = false, again = false;
  const refresh = async () => {
    if (busy) { again = true; return; }
    busy = true;
    try {
      rec = await get(`/v1/tasks/${enc(id)}`);
      draw();
      await drawTimeline();
      await drawOutput();
      main.dataset.state = rec.state;
    } catch (err) { message(status, err.message, true); }
    busy = false;
    if (again) { again = false; refresh(); }
  };
  await refresh();
  return live.subscribe((batch) => { if (batch.some((e) => e.task_id === id)) refresh(); });
}
