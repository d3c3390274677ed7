// Small helpers to build the DOM and format figures.

// h builds an element: h('a', {href: '/ui/'}, 'text', child, ...).
// Attributes starting with "on" are listeners; null and false are left out.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'style') el.style.cssText = v; // CSSOM: allowed by the page's CSP

    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, v);
  }
  append(el, children);
  return el;
}

// fill replaces el's children, leaving out null, undefined and false
// and flattening arrays as h does.
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

// link is an anchor to a dashboard path.
export const link = (path, text) => h('a', { href: path }, text);

// state is a coloured state badge.
export const state = (s) => h('span', { class: `state ${s || ''}` }, s || '—');

// enc escapes a path segment.
export const enc = encodeURIComponent;

// when formats a time for a table: local time, with the date if not today.
export function when(t) {
  if (!t) return '—';
  const d = new Date(t);
  if (isNaN(d) || d.getFullYear() < 2000) return '—';
  const now = new Date();
  const time = d.toLocaleTimeString([], { hour12: false });
  return d.toDateString() === now.toDateString() ? time : `${d.toISOString().slice(0, 10)} ${time}`;
}

// num formats a number with thousands separators and at most 2 decimals.
export function num(n) {
  if (n === null || n === undefined || isNaN(n)) return '—';
  return Number(n).toLocaleString('en-US', { maximumFractionDigits: 2 });
}

// bytes formats a size.
export function bytes(n) {
  if (n === null || n === undefined) return '—';
  const u = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return `${i ? n.toFixed(1) : n} ${u[i]}`;
}

// ms formats a duration in milliseconds.
export function ms(n) {
  if (n === null || n === undefined) return '—';
  if (n < 1) return `${n.toFixed(3)} ms`;
  if (n < 1000) return `${n.toFixed(1)} ms`;
  return `${(n / 1000).toFixed(2)} s`;
}

// kv is a definition list of label and value pairs.
export function kv(pairs) {
  return h('dl', { class: 'kv' }, pairs.filter(Boolean).flatMap(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
}

// table builds a table from headers and rows of cells, or a tbody the
// caller keeps to fill.
export function table(headers, rows, caption) {
  return h('div', { class: 'tablewrap' }, h('table', null,
    caption ? h('caption', { class: 'muted' }, caption) : null,
    h('thead', null, h('tr', null, headers.map((x) => h('th', { scope: 'col' }, x)))),
    rows instanceof HTMLTableSectionElement ? rows : h('tbody', null, rows)));
}

// message is a status line: an error (role alert) or a notice.
export function message(el, text, isError) {
  fill(el, text ? h('p', { class: isError ? 'error' : 'notice', role: isError ? 'alert' : 'status' }, text) : '');
}

// hex renders bytes as a hex dump: offset, 16 bytes, their text.
export function hex(buf, max = 4096) {
  const b = new Uint8Array(buf.slice(0, max));
  const lines = [];
  for (let i = 0; i < b.length; i += 16) {
    const row = b.subarray(i, i + 16);
    const hx = Array.from(row, (x) => x.toString(16).padStart(2, '0')).join(' ');
    const tx = Array.from(row, (x) => (x >= 32 && x < 127 ? String.fromCharCode(x) : '.')).join('');
    lines.push(`${i.toString(16).padStart(8, '0')}  ${hx.padEnd(47)}  ${tx}`);
  }
  if (buf.byteLength > max) lines.push(`… ${buf.byteLength - max} more bytes`);
  return lines.join('\n');
}

// isText reports whether bytes decode as UTF-8 without control bytes
// other than whitespace.
export function isText(buf) {
  const b = new Uint8Array(buf.slice(0, 4096));
  for (const x of b) if (x < 9 || (x > 13 && x < 32)) return false;
  try { new TextDecoder('utf-8', { fatal: true }).decode(b, { stream: true }); return true; } catch { return false; }
}
