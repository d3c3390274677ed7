// Events: the live stream, filtered by type, module and task.
import { live } from './api.js';
import { h, link, enc, when, table } from './dom.js';

const KEEP = 500; // rows shown

// eventStream draws /ui/events.
export function eventStream(main, _, q) {
  const type = h('input', { name: 'type', value: q.get('type') || '', placeholder: 'task.* or task.failed', size: 16 });
  const mod = h('input', { name: 'module', value: q.get('module') || '', size: 12 });
  const task = h('input', { name: 'task', value: q.get('task') || '', size: 20 });
  const pause = h('input', { type: 'checkbox', name: 'pause' });
  const count = h('span', { class: 'muted' }, '0 events');
  const tbody = h('tbody');
  main.append(h('h1', null, 'Events'),
    h('form', { class: 'inline', role: 'search', 'aria-label': 'Filter events', onsubmit: (e) => e.preventDefault() },
      h('label', null, 'Type', type), h('label', null, 'Module', mod), h('label', null, 'Task', task),
      h('label', null, 'Pause', pause), count),
    table(['ID', 'Time', 'Type', 'Module', 'Task', 'State', 'Data'], tbody));
  let seen = 0;
  const match = (e) => {
    const t = type.value.trim();
    if (t && !t.split(',').some((x) => (x.endsWith('.*') ? e.type.startsWith(x.slice(0, -1)) : e.type === x.trim()))) return false;
    if (mod.value && e.module !== mod.value) return false;
    if (task.value && e.task_id !== task.value) return false;
    return true;
  };
  return live.subscribe((batch) => {
    if (pause.checked) return;
    const rows = [];
    for (let i = batch.length - 1; i >= 0 && rows.length < KEEP; i--) {
      const e = batch[i];
      if (!match(e)) continue;
      rows.push(h('tr', null, h('td', null, e.id), h('td', null, when(e.time)), h('td', null, e.type), h('td', null, e.module || ''),
        h('td', null, e.task_id ? link(`/ui/tasks/${enc(e.task_id)}`, e.task_id.slice(0, 16)) : ''), h('td', null, e.state || ''),
        h('td', { class: 'wrap' }, e.data ? JSON.stringify(e.data) : '')));
    }
    seen += rows.length;
    count.textContent = `${seen} events`;
    tbody.prepend(...rows);
    while (tbody.childElementCount > KEEP) tbody.lastElementChild.remove();
  });
}
