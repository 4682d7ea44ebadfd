// The last hour as a bar chart (SVG) with the same figures in a table under it, for screen
// readers and for reading exact numbers. Slices come from the server, laid back from its "now".
import { TIMEZONE, minute } from './time.js';

const SVG = 'http://www.w3.org/2000/svg';
/** Series colours are CSS variables (supervisor.css), so dark mode has its own. */
const SERIES = 8;

function el(name, attrs, text) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

let last = null;
let drawnWidth = 0;

/** The chart is drawn at the width it is shown (its text stays 12px on a phone), and again when that changes a lot. */
function width() {
  const box = document.getElementById('chart');
  return Math.round(Math.min(720, Math.max(280, box.clientWidth || 720)));
}

new ResizeObserver(() => {
  if (last && Math.abs(width() - drawnWidth) > 24) draw(last);
}).observe(document.getElementById('chart'));

export function drawChart(chart) {
  // A board pushed for another reason carries the same chart: nothing to redraw.
  if (last && same(last, chart)) return;
  last = chart;
  draw(chart);
}

function draw(chart) {
  const { starts, series } = chart;
  const sliceMs = chart.slice_minutes * 60000;
  const W = (drawnWidth = width());
  const H = W < 480 ? 200 : 260;
  // Every other slice is labelled, every third on a narrow chart.
  const every = W < 420 ? 3 : 2;
  const m = { l: 40, r: 10, t: 10, b: 40 };
  const max = Math.max(1, ...series.flatMap((s) => s.values));
  const top = max <= 5 ? max : Math.ceil(max / 5) * 5;
  const plotW = W - m.l - m.r;
  const plotH = H - m.t - m.b;
  const groupW = plotW / starts.length;
  const barW = Math.max(2, (groupW - 6) / Math.max(1, series.length));
  const y = (v) => m.t + plotH - (v / top) * plotH;
  const sum = (s) => s.values.reduce((a, b) => a + b, 0);
  const total = series.reduce((n, s) => n + sum(s), 0);
  const colour = (k) => `var(--series-${(k % SERIES) + 1})`;

  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': 'chart-title chart-desc' });
  svg.appendChild(el('title', { id: 'chart-title' }, 'Tasks entered per queue, per 5 minutes, over the last hour'));
  svg.appendChild(el('desc', { id: 'chart-desc' }, series.length ? `${total} tasks entered in all: ` + series.map((s) => `${s.friendly_name} ${sum(s)}`).join(', ') : 'No queues.'));
  const ticks = top <= 5 ? top : 5;
  for (let i = 0; i <= ticks; i++) {
    const v = Math.round((top / ticks) * i);
    svg.appendChild(el('line', { x1: m.l, x2: W - m.r, y1: y(v), y2: y(v), class: 'grid' }));
    svg.appendChild(el('text', { x: m.l - 6, y: y(v) + 4, 'text-anchor': 'end' }, v));
  }
  starts.forEach((s, i) => {
    const gx = m.l + i * groupW + 3;
    series.forEach((ser, k) => {
      const v = ser.values[i];
      if (v <= 0) return;
      const bar = el('rect', { x: gx + k * barW, y: y(v), width: barW - 1, height: m.t + plotH - y(v), style: `fill: ${colour(k)}` });
      bar.appendChild(el('title', {}, `${ser.friendly_name}, ${minute(s)}–${minute(s + sliceMs)}: ${v}`));
      svg.appendChild(bar);
    });
    if (i % every === 0) svg.appendChild(el('text', { x: gx + groupW / 2 - 3, y: H - m.b + 16, 'text-anchor': 'middle' }, minute(s)));
  });
  svg.appendChild(el('line', { x1: m.l, x2: W - m.r, y1: m.t + plotH, y2: m.t + plotH, class: 'axis' }));
  svg.appendChild(el('text', { x: m.l + plotW / 2, y: H - 6, 'text-anchor': 'middle' }, `Time (${TIMEZONE}, slice start)`));
  document.getElementById('chart').replaceChildren(svg);

  document.getElementById('legend').replaceChildren(
    ...series.map((s, k) => {
      const span = document.createElement('span');
      span.style.setProperty('--swatch', colour(k));
      span.textContent = s.friendly_name;
      return span;
    }),
  );

  const table = document.getElementById('chart-table');
  const head = document.createElement('tr');
  head.appendChild(Object.assign(document.createElement('th'), { scope: 'col', textContent: `Slice (${TIMEZONE})` }));
  for (const s of series) head.appendChild(Object.assign(document.createElement('th'), { scope: 'col', textContent: s.friendly_name }));
  table.querySelector('thead').replaceChildren(head);
  table.querySelector('tbody').replaceChildren(
    ...starts.map((s, i) => {
      const tr = document.createElement('tr');
      tr.appendChild(Object.assign(document.createElement('th'), { scope: 'row', textContent: `${minute(s)}–${minute(s + sliceMs)}` }));
      for (const ser of series) tr.appendChild(Object.assign(document.createElement('td'), { className: 'num', textContent: String(ser.values[i]) }));
      return tr;
    }),
  );
}

export function resetChart() {
  last = null;
}
