// Modules and bundles: lists, versions, upload by drag and drop or a
// file field, and invoking a module from the browser.
import { get, request, live } from './api.js';
import { h, fill, link, enc, when, num, bytes, table, message, kv } from './dom.js';
import { navigate } from './app.js';
import { preview } from './tasks.js';

// moduleList draws /ui/modules with the upload form.
export async function moduleList(main) {
  const status = h('div');
  const tbody = h('tbody');
  const load = async () => {
    const doc = await get('/v1/modules');
    fill(tbody, ...doc.modules.map((m) => h('tr', null,
      h('td', null, link(`/ui/modules/${enc(m.name)}`, m.name)), h('td', null, m.latest.version), h('td', null, m.versions),
      h('td', null, m.latest.profile), h('td', null, bytes(m.latest.size)), h('td', null, m.latest.snapshot || '—'),
      h('td', null, m.state || 'ok'), h('td', null, when(m.latest.created_at)))));
    if (!doc.modules.length) tbody.append(h('tr', null, h('td', { colspan: 8, class: 'muted' }, 'No modules yet: upload one.')));
  };
  const name = h('input', { id: 'upload-name', name: 'name', required: true, pattern: '[A-Za-z0-9][A-Za-z0-9._-]*', size: 16 });
  const file = h('input', { id: 'upload-file', type: 'file', name: 'file', accept: '.wasm,application/wasm', required: true });
  const isolation = h('select', { name: 'isolation' }, h('option', { value: '' }, 'default (fresh)'), h('option', { value: 'warm' }, 'warm'));
  const drop = h('div', { class: 'drop' }, 'Drop a .wasm file here, or choose one.');
  const upload = async (f) => {
    if (!name.value) name.value = f.name.replace(/\.wasm$/, '').replace(/[^A-Za-z0-9._-]/g, '-');
    try {
      const q = isolation.value ? `?isolation=${isolation.value}` : '';
      const res = await request('POST', `/v1/modules/${enc(name.value)}${q}`, f, { 'Content-Type': 'application/wasm' });
      const m = await res.json();
      message(status, `Uploaded ${m.name} version ${m.version} (${m.profile}, ${bytes(m.size)}).`);
      await load();
    } catch (err) { message(status, `Upload failed: ${err.message}`, true); }
  };
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    if (e.dataTransfer.files[0]) upload(e.dataTransfer.files[0]);
  });
  const form = h('form', { class: 'inline', 'aria-label': 'Upload a module', onsubmit: (e) => {
    e.preventDefault();
    if (file.files[0]) upload(file.files[0]);
  } },
  h('label', { for: 'upload-name' }, 'Name', name), h('label', { for: 'upload-file' }, 'Wasm file', file),
  h('label', null, 'Isolation', isolation), h('button', { type: 'submit', class: 'primary' }, 'Upload'));
  main.append(h('h1', null, 'Modules'), h('section', { 'aria-label': 'Upload' }, form, drop), status,
    table(['Name', 'Latest', 'Versions', 'Profile', 'Size', 'Snapshot', 'State', 'Uploaded'], tbody));
  await load();
  return live.subscribe((batch) => { if (batch.some((e) => e.type.startsWith('module.'))) load(); });
}

// moduleDetail draws /ui/modules/{name}: versions, and the invoke form.
export async function moduleDetail(main, [name]) {
  const doc = await get(`/v1/modules/${enc(name)}`);
  const versions = doc.versions.slice().sort((a, b) => b.version - a.version);
  const latest = versions[0];
  const status = h('div');
  const result = h('section', { 'aria-live': 'polite' });
  const q = (n, label, attrs = {}) => h('label', null, label, h('input', { name: n, ...attrs }));
  const form = h('form', { 'aria-label': 'Invoke', onsubmit: async (e) => {
    e.preventDefault();
    const d = new FormData(form);
    const p = new URLSearchParams();
    for (const k of ['version', 'fuel', 'memory', 'timeout', 'priority', 'cache_ttl', 'tag', 'category']) if (d.get(k)) p.set(k, d.get(k));
    for (const c of String(d.get('config') || '').split('\n').map((s) => s.trim()).filter(Boolean)) p.append('config', c);
    const f = d.get('file');
    const input = f && f.size ? f : String(d.get('input') || '');
    fill(result, h('p', { class: 'muted' }, 'Running…'));
    try {
      const res = await request('POST', `/v1/modules/${enc(name)}/invoke${p.size ? '?' + p : ''}`, input);
      const buf = await res.arrayBuffer();
      const hdrs = [...res.headers.entries()].filter(([k]) => k.startsWith('x-nexus-'));
      fill(result, h('h2', null, 'Output'), h('div', { id: 'invoke-headers' }, kv(hdrs.map(([k, v]) => [k, v]))), preview(buf, `${name}.out`));
      result.dataset.fuel = res.headers.get('X-Nexus-Fuel-Used') || '';
    } catch (err) { fill(result, h('p', { class: 'error', role: 'alert' }, err.message)); }
  } },
  h('div', { class: 'grid' },
    q('version', 'Version', { type: 'number', min: 1, placeholder: String(latest.version) }),
    q('fuel', 'Fuel', { placeholder: '1e9' }), q('memory', 'Memory', { placeholder: '64MiB' }),
    q('timeout', 'Timeout', { placeholder: '5s' }), q('priority', 'Priority', { type: 'number', min: 0, max: 9, placeholder: '5' }),
    q('cache_ttl', 'Cache TTL', { placeholder: '1m' }), q('tag', 'Cache tag'), q('category', 'Category')),
  h('label', null, 'Config (key=value, one a line)', h('textarea', { name: 'config', rows: 2 })),
  h('label', { for: 'invoke-input' }, 'Input', h('textarea', { id: 'invoke-input', name: 'input' })),
  h('label', null, 'or input from a file', h('input', { type: 'file', name: 'file' })),
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', id: 'invoke' }, 'Invoke'),
    h('a', { href: `/ui/tasks/new?module=${enc(name)}` }, 'Submit as a task'),
    h('a', { href: `/ui/tasks?module=${enc(name)}` }, 'Its tasks')));
  const del = h('button', { type: 'button', class: 'danger', onclick: async () => {
    if (!confirm(`Delete module ${name} and all its versions?`)) return;
    try { await request('DELETE', `/v1/modules/${enc(name)}`); navigate('/ui/modules'); } catch (err) { message(status, err.message, true); }
  } }, 'Delete module');
  main.append(h('h1', null, 'Module ', h('code', null, name)), status,
    kv([['Profile', latest.profile], ['Exports', (latest.exports || []).join(', ') || '—'],
      ['Imports', (latest.imports || []).map((i) => `${i.module}.${i.name}`).join(', ') || '—'],
      ['Isolation', latest.isolation || 'fresh'], ['Snapshot', latest.snapshot || '—']]),
    h('h2', null, 'Versions'),
    table(['Version', 'Digest', 'Size', 'Profile', 'Snapshot', 'Uploaded'], versions.map((v) => h('tr', null,
      h('td', null, v.version), h('td', null, h('code', null, v.digest.slice(0, 19))), h('td', null, bytes(v.size)),
      h('td', null, v.profile), h('td', null, v.snapshot || '—'), h('td', null, when(v.created_at))))),
    h('h2', null, 'Invoke'), form, result, h('div', { class: 'actions' }, del));
}

// bundleList draws /ui/bundles.
export async function bundleList(main) {
  const doc = await get('/v1/bundles');
  main.append(h('h1', null, 'Bundles'), table(['Name', 'Latest', 'Files', 'Size', 'Digest', 'Uploaded'],
    doc.bundles.length ? doc.bundles.map((b) => h('tr', null, h('td', null, link(`/ui/bundles/${enc(b.name)}`, b.name)),
      h('td', null, b.version), h('td', null, num(b.files)), h('td', null, bytes(b.bytes)),
      h('td', null, h('code', null, (b.digest || '').slice(0, 19))), h('td', null, when(b.created_at))))
      : [h('tr', null, h('td', { colspan: 6, class: 'muted' }, 'No bundles. Upload one with nexus bundle push or POST /v1/bundles/{name}.'))]));
}

// bundleDetail draws /ui/bundles/{name}: versions and the latest's files.
export async function bundleDetail(main, [name]) {
  const doc = await get(`/v1/bundles/${enc(name)}?files=1`);
  main.append(h('h1', null, 'Bundle ', h('code', null, name)),
    h('h2', null, 'Versions'),
    table(['Version', 'Files', 'Size', 'Digest', 'Uploaded'], doc.versions.map((v) => h('tr', null, h('td', null, v.version),
      h('td', null, num(v.files)), h('td', null, bytes(v.bytes)), h('td', null, h('code', null, v.digest.slice(0, 19))), h('td', null, when(v.created_at))))),
    h('h2', null, `Files of version ${doc.version}`),
    table(['Path', 'Type', 'Size'], (doc.files || []).map((f) => h('tr', null, h('td', { class: 'wrap' }, f.path), h('td', null, f.type), h('td', null, bytes(f.size))))));
}
