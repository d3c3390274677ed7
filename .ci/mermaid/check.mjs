// Parses every ```mermaid block of the Markdown files given with Mermaid's own
// parser (in jsdom, no browser): a diagram that would not render fails.
// Run by .ci/docs-check.
import { JSDOM } from 'jsdom';
import { readFileSync } from 'node:fs';
const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false });
let failed = 0, n = 0;
for (const file of process.argv.slice(2)) {
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== '```mermaid') continue;
    const start = i + 1; const body = [];
    for (i++; i < lines.length && lines[i].trim() !== '```'; i++) body.push(lines[i]);
    n++;
    try { await mermaid.parse(body.join('\n')); console.log(`${file}:${start}: ok`); }
    catch (e) { failed++; console.log(`${file}:${start}: ${String(e.message || e).split('\n').slice(0, 6).join('\n')}`); }
  }
}
console.log(`${n - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
