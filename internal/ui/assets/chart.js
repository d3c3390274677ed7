// A line chart of the last minutes, in SVG: a few series of numbers
// sampled once a second.
import { h, num } from './dom.js';

const NS = 'http://www.w3.org/2000/svg';

// Series holds the last `size` samples of one figure.
export class Series {
  constructor(size) { this.size = size; this.values = []; }
  push(v) {
    this.values.push(v);
    if (this.values.length > this.size) this.values.shift();
  }
  last() { return this.values.length ? this.values[this.values.length - 1] : null; }
}

// chart returns an element drawing the named series; call its update()
// to redraw. labels name the series in its legend.
export function chart(title, series, labels, unit = '') {
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', '0 0 600 120');
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('role', 'img');
  const paths = series.map((_, i) => {
    const p = document.createElementNS(NS, 'path');
    p.setAttribute('class', `s${i}`);
    p.setAttribute('vector-effect', 'non-scaling-stroke');
    svg.append(p);
    return p;
  });
  const axis = document.createElementNS(NS, 'line');
  axis.setAttribute('class', 'axis');
  axis.setAttribute('x1', 0); axis.setAttribute('x2', 600); axis.setAttribute('y1', 119); axis.setAttribute('y2', 119);
  svg.append(axis);
  const values = labels.map(() => h('b', null, '—'));
  const legend = h('div', { class: 'legend' }, labels.map((l, i) => h('span', null, `${l}: `, values[i], unit)));
  const peak = h('span', { class: 'muted' });
  const el = h('section', { class: 'card chart', 'aria-label': title }, h('div', { class: 'k' }, title, ' ', peak), svg, legend);
  el.update = () => {
    let max = 0;
    for (const s of series) for (const v of s.values) if (v > max) max = v;
    max = max || 1;
    // The graph spans the samples there are, from a minute up to the
    // series' size: young history is not a sliver at the right edge.
    const span = Math.max(60, Math.min(series[0].size, Math.max(...series.map((s) => s.values.length))));
    series.forEach((s, i) => {
      const n = s.values.length;
      let d = '';
      for (let j = 0; j < n; j++) {
        const x = ((span - n + j) / (span - 1)) * 600;
        const y = 118 - (s.values[j] / max) * 112;
        d += `${j ? 'L' : 'M'}${x.toFixed(1)} ${y.toFixed(1)}`;
      }
      paths[i].setAttribute('d', d);
      values[i].textContent = num(s.last());
    });
    peak.textContent = `(last ${span < 120 ? `${span} s` : `${Math.round(span / 60)} min`}, peak ${num(max)}${unit})`;
    svg.setAttribute('aria-label', `${title}: ${labels.map((l, i) => `${l} ${num(series[i].last())}`).join(', ')}`);
  };
  return el;
}
