// Workflows: the list, and a workflow's DAG drawn in SVG with each step
// coloured by its state, redrawn live from the workflow's events.
import { get, post, live } from './api.js';
import { h, fill, link, state, enc, when, num, table, message, kv } from './dom.js';
import { navigate } from './app.js';

const STATES = ['running', 'paused', 'succeeded', 'failed', 'canceled'];
const NS = 'http://www.w3.org/2000/svg';

// workflowList draws /ui/workflows, refreshed by workflow events.
export async function workflowList(main, _, q) {
  const f = { state: q.get('state') || '', name: q.get('name') || '', tag: q.get('tag') || '' };
  const form = h('form', { class: 'inline', role: 'search', 'aria-label': 'Filter workflows', onsubmit: (e) => {
    e.preventDefault();
    const p = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (v) p.set(k, v);
    navigate(`/ui/workflows${p.size ? '?' + p : ''}`);
  } },
  h('label', null, 'State', h('select', { name: 'state' }, h('option', { value: '' }, 'any'),
    STATES.map((s) => h('option', { value: s, selected: s === f.state }, s)))),
  h('label', null, 'Name', h('input', { name: 'name', value: f.name, size: 14 })),
  h('label', null, 'Tag', h('input', { name: 'tag', value: f.tag, size: 10 })),
  h('button', { type: 'submit', class: 'primary' }, 'Filter'));
  const tbody = h('tbody');
  main.append(h('h1', null, 'Workflows'), form, table(['ID', 'Name', 'Kind', 'State', 'Steps', 'Counts', 'Created', 'Finished'], tbody));
  const load = async () => {
    const p = new URLSearchParams({ limit: 100 });
    for (const k of ['state', 'name', 'tag']) if (f[k]) p.set(k, f[k]);
    const doc = await get(`/v1/workflows?${p}`);
    fill(tbody, doc.workflows.length ? doc.workflows.map((w) => h('tr', { 'data-id': w.id, 'data-state': w.state },
      h('td', null, link(`/ui/workflows/${enc(w.id)}`, w.id.slice(0, 16))), h('td', null, w.name || ''), h('td', null, w.kind),
      h('td', null, state(w.state)), h('td', null, num(w.step_count)),
      h('td', null, Object.entries(w.counts || {}).filter(([, v]) => v).map(([k, v]) => `${k} ${v}`).join(', ')),
      h('td', null, when(w.created_at)), h('td', null, when(w.finished_at))))
      : h('tr', null, h('td', { colspan: 8, class: 'muted' }, 'No workflow matches.')));
  };
  await load();
  let pending = false;
  return live.subscribe((batch) => {
    if (pending || !batch.some((e) => e.type.startsWith('workflow.'))) return;
    pending = true;
    load().finally(() => { pending = false; });
  });
}

// layout places a graph's nodes in layers: a node's layer is one past
// the deepest of its predecessors; within a layer, nodes are ordered by
// the mean position of their predecessors.
export function layout(nodes, edges) {
  const preds = new Map(nodes.map((n) => [n.id, []]));
  for (const e of edges) preds.get(e.to)?.push(e.from);
  const layer = new Map();
  const depth = (id, seen = new Set()) => {
    if (layer.has(id)) return layer.get(id);
    if (seen.has(id)) return 0; // a cycle: the API refuses them, draw anyway
    seen.add(id);
    const d = Math.max(-1, ...preds.get(id).map((p) => depth(p, seen))) + 1;
    layer.set(id, d);
    return d;
  };
  nodes.forEach((n) => depth(n.id));
  const layers = [];
  for (const n of nodes) (layers[layer.get(n.id)] ||= []).push(n.id);
  const pos = new Map();
  layers.forEach((ids, x) => {
    const key = (id) => {
      const ps = preds.get(id).filter((p) => pos.has(p));
      return ps.length ? ps.reduce((a, p) => a + pos.get(p).y, 0) / ps.length : 0;
    };
    ids.sort((a, b) => key(a) - key(b)).forEach((id, y) => pos.set(id, { x, y }));
  });
  return { pos, layers: layers.length, rows: Math.max(0, ...layers.map((l) => l.length)) };
}

// dag draws the graph in SVG; a node links to its step's task if it has one.
function dag(graph, taskOf) {
  const W = 150, H = 40, GX = 60, GY = 16;
  const { pos, layers, rows } = layout(graph.nodes, graph.edges);
  const svg = document.createElementNS(NS, 'svg');
  const width = layers * (W + GX), height = rows * (H + GY);
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('width', width);
  svg.setAttribute('height', height);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `Graph of ${graph.nodes.length} steps: ` + graph.nodes.map((n) => `${n.id} ${n.state}`).join(', '));
  svg.setAttribute('class', 'dag');
  const el = (tag, attrs, parent = svg) => {
    const x = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) x.setAttribute(k, v);
    parent.append(x);
    return x;
  };
  for (const e of graph.edges) {
    const a = pos.get(e.from), b = pos.get(e.to);
    if (!a || !b) continue;
    const x1 = a.x * (W + GX) + W, y1 = a.y * (H + GY) + H / 2, x2 = b.x * (W + GX), y2 = b.y * (H + GY) + H / 2;
    el('path', { class: 'edge', d: `M${x1} ${y1} C${x1 + GX / 2} ${y1} ${x2 - GX / 2} ${y2} ${x2} ${y2}` });
  }
  for (const n of graph.nodes) {
    const p = pos.get(n.id);
    const tid = taskOf.get(n.id);
    const parent = tid ? el('a', { href: `/ui/tasks/${enc(tid)}` }) : svg;
    const g = el('g', { class: `node ${n.state}`, 'data-step': n.id, 'data-state': n.state,
      transform: `translate(${p.x * (W + GX)} ${p.y * (H + GY)})` }, parent);
    el('rect', { width: W, height: H, rx: 6 }, g);
    el('text', { x: 8, y: 16 }, g).textContent = n.id.length > 20 ? n.id.slice(0, 19) + '…' : n.id;
    el('text', { x: 8, y: 32, class: 'sub' }, g).textContent = n.state + (n.group ? ` · ${n.group}` : '');
  }
  return h('div', { class: 'dagwrap', tabindex: 0 }, svg);
}

// workflowDetail draws /ui/workflows/{id}: the record, the DAG, the steps.
export async function workflowDetail(main, [id]) {
  const status = h('div');
  const actions = h('div', { class: 'actions' });
  const body = h('div');
  const graphEl = h('section', { 'aria-label': 'Graph' });
  const steps = h('section');
  main.append(h('h1', null, 'Workflow ', h('code', null, id)), actions, status, body, h('h2', null, 'Graph'), graphEl, steps);
  const act = (label, path, cls) => h('button', { type: 'button', class: cls, 'data-action': label.toLowerCase(), onclick: async (e) => {
    e.target.disabled = true;
    try { await post(path); message(status, `${label}: done.`); } catch (err) { message(status, err.message, true); }
    refresh();
  } }, label);
  const load = async () => {
    const [w, g] = await Promise.all([get(`/v1/workflows/${enc(id)}`), get(`/v1/workflows/${enc(id)}/graph?format=json`)]);
    const base = `/v1/workflows/${enc(id)}`;
    if (actions.dataset.state !== w.state) {
      actions.dataset.state = w.state;
      fill(actions,
        ['running', 'paused'].includes(w.state) ? act('Cancel', `${base}/cancel`, 'danger') : null,
        w.state === 'running' ? act('Pause', `${base}/pause`) : null,
        w.state === 'paused' ? act('Resume', `${base}/resume`) : null,
        ['failed', 'canceled'].includes(w.state) ? act('Retry', `${base}/retry`) : null);
    }
    fill(body, kv([['Name', w.name || '—'], ['Kind', w.kind], ['State', state(w.state)], ['Steps', num(w.step_count)],
      ['Counts', Object.entries(w.counts || {}).filter(([, v]) => v).map(([k, v]) => `${k} ${v}`).join(', ') || '—'],
      ['Created', when(w.created_at)], ['Finished', when(w.finished_at)],
      w.error_message ? ['Error', h('span', { class: 'error' }, w.error_message)] : null]));
    const taskOf = new Map((w.steps || []).filter((s) => s.task_id).map((s) => [s.id, s.task_id]));
    fill(graphEl, dag(g, taskOf));
    fill(steps, h('h2', null, 'Steps'), table(['Step', 'State', 'Module', 'Group', 'Depends on', 'Task'], (w.steps || []).map((s) =>
      h('tr', { 'data-step': s.id }, h('td', null, s.id), h('td', null, state(s.state)), h('td', null, s.module || (s.map ? `map ${s.map.module}` : '')),
        h('td', null, s.group || ''), h('td', { class: 'wrap' }, (s.depends_on || []).join(', ')),
        h('td', null, s.task_id ? link(`/ui/tasks/${enc(s.task_id)}`, s.task_id.slice(0, 16)) : '—')))));
    main.dataset.state = w.state;
  };
  let busy = false, again = false;
  const refresh = async () => {
    if (busy) { again = true; return; }
    busy = true;
    try { await load(); } catch (err) { message(status, err.message, true); }
    busy = false;
    if (again) { again = false; refresh(); }
  };
  await load();
  return live.subscribe((batch) => { if (batch.some((e) => e.workflow_id === id)) refresh(); });
}
