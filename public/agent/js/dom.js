// Small DOM helpers shared by the desk's modules.

export const $ = (id) => document.getElementById(id);

/** An element with attributes (class, text, on<event> handlers, the rest as attributes) and children. */
export function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

export function problem(text) {
  $('problem').textContent = text || '';
  $('problem').hidden = !text;
}

/** Read out by screen readers (the assertive region): new offers, offers gone, tasks ended. */
export function announce(text) {
  // Cleared first so the same words twice are still read out.
  $('announce').textContent = '';
  setTimeout(() => ($('announce').textContent = text), 50);
}

export function connection(text, isError) {
  $('connection').textContent = text;
  $('connection').classList.toggle('error', !!isError);
}

/** "42 s", "3 min 05 s", "1 h 02 min": a countdown or a wait. */
export function duration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return s + ' s';
  if (s < 3600) return Math.floor(s / 60) + ' min ' + String(s % 60).padStart(2, '0') + ' s';
  return Math.floor(s / 3600) + ' h ' + String(Math.floor((s % 3600) / 60)).padStart(2, '0') + ' min';
}

/** A <time> with the clock time shown and the whole date for a tooltip and assistive technology. */
export function timeOf(date) {
  if (!date) return null;
  const d = date instanceof Date ? date : new Date(date);
  if (Number.isNaN(d.getTime())) return null;
  const today = new Date().toDateString() === d.toDateString();
  const shown = today ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : d.toLocaleString([], { dateStyle: 'short', timeStyle: 'short' });
  return el('time', { datetime: d.toISOString(), title: d.toLocaleString() }, shown);
}

export function bytes(n) {
  if (!Number.isFinite(n)) return '';
  if (n < 1024) return n + ' B';
  if (n < 1024 * 1024) return Math.round(n / 1024) + ' KB';
  return (n / 1024 / 1024).toFixed(1) + ' MB';
}
