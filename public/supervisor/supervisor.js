// The supervisor's board: plain JS, no build. It reads TaskRouter's own statistics endpoints with
// the account's credentials (Basic auth, kept in sessionStorage only, so they leave with the tab):
//   live, every 5 s:  GET /Workspaces/{WS}/TaskQueues/Statistics (realtime + cumulative per queue)
//                     GET /Workspaces/{WS}/RealTimeStatistics (agents by activity)
//   chart, every 30 s: the same list with StartDate/EndDate, once per 5-minute slice of the last hour.
// The slices are laid out from the server's own "now" (the end_time it answers), not this
// browser's clock, so a server whose clock is moved (tests, SWITCHYARD_CLOCK_CONTROL) still charts right.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const CREDS = 'switchyard.supervisor';
  const LIVE_MS = 5000;
  const CHART_MS = 30000;
  const SLICE_MIN = 5;
  const SLICES = 12;
  const COLORS = ['#0b57d0', '#b3261e', '#146c2e', '#8a4b00', '#6b2fb3', '#00658f', '#5f6368', '#a50e5b'];

  let creds = null; // {sid, token}
  let workspace = '';
  let queueNames = new Map();
  let liveTimer = null;
  let chartTimer = null;
  let busy = false;
  let lastEnd = null; // the server's "now" from the last live answer (ISO)

  function problem(text) {
    $('problem').textContent = text || '';
    $('problem').hidden = !text;
  }

  async function api(path) {
    const res = await fetch('/taskrouter/v1' + path, { headers: { authorization: 'Basic ' + btoa(creds.sid + ':' + creds.token) } });
    const body = await res.json().catch(() => ({}));
    if (res.status === 401) {
      signOut();
      problem('The account SID or auth token is wrong. Please sign in again.');
      throw new Error('unauthorized');
    }
    if (!res.ok) throw new Error(body.message || 'HTTP ' + res.status);
    return body;
  }

  /** Every page of a list (the board reads at most a few hundred queues or workspaces). */
  async function all(path, key) {
    const out = [];
    let next = path + (path.includes('?') ? '&' : '?') + 'PageSize=100';
    for (let i = 0; next && i < 20; i++) {
      const page = await api(next);
      out.push(...page[key]);
      const url = page.meta && page.meta.next_page_url;
      next = url ? url.slice(url.indexOf('/v1/') + 3) : null;
    }
    return out;
  }

  // ---- Signing in and out
  function signOut() {
    clearInterval(liveTimer);
    clearInterval(chartTimer);
    creds = null;
    try {
      sessionStorage.removeItem(CREDS);
    } catch (_) {
      /* nothing stored */
    }
    $('board').hidden = true;
    $('sign-out').hidden = true;
    $('who').textContent = '';
    $('sign-in').hidden = false;
    $('auth-token').value = '';
    $('account-sid').focus();
  }

  async function signIn(c) {
    creds = c;
    const workspaces = await all('/Workspaces', 'workspaces');
    try {
      sessionStorage.setItem(CREDS, JSON.stringify(c));
    } catch (_) {
      /* private mode: signed in for this page only */
    }
    problem('');
    $('sign-in').hidden = true;
    $('board').hidden = false;
    $('sign-out').hidden = false;
    $('who').textContent = c.sid;
    const select = $('workspace');
    select.textContent = '';
    for (const w of workspaces) select.appendChild(new Option(w.friendly_name, w.sid));
    if (workspaces.length === 0) {
      problem('This account has no workspaces yet.');
      return;
    }
    const remembered = sessionStorage.getItem(CREDS + '.workspace');
    if (remembered && workspaces.some((w) => w.sid === remembered)) select.value = remembered;
    await choose(select.value);
  }

  async function choose(sid) {
    workspace = sid;
    try {
      sessionStorage.setItem(CREDS + '.workspace', sid);
    } catch (_) {
      /* fine */
    }
    clearInterval(liveTimer);
    clearInterval(chartTimer);
    $('queues').querySelector('tbody').textContent = '';
    $('chart').textContent = '';
    await loadQueueNames();
    await live();
    await chart();
    liveTimer = setInterval(() => live().catch(() => {}), LIVE_MS);
    chartTimer = setInterval(() => chart().catch(() => {}), CHART_MS);
  }

  async function loadQueueNames() {
    const queues = await all(`/Workspaces/${workspace}/TaskQueues`, 'task_queues');
    queueNames = new Map(queues.map((q) => [q.sid, q.friendly_name]));
  }

  // ---- Live figures
  function age(seconds, waiting) {
    if (!waiting) return '—';
    seconds = seconds || 0;
    const m = Math.floor(seconds / 60);
    const s = seconds % 60;
    return m ? `${m} min ${String(s).padStart(2, '0')} s` : `${s} s`;
  }

  function activities(list) {
    const parts = (list || []).filter((a) => a.workers > 0).map((a) => `${a.friendly_name}: ${a.workers}`);
    return parts.length ? parts.join(', ') : 'No agents';
  }

  function cell(tr, text, cls) {
    const td = document.createElement('td');
    td.textContent = String(text);
    if (cls) td.className = cls;
    tr.appendChild(td);
    return td;
  }

  async function live() {
    if (busy || !creds) return;
    busy = true;
    const ws = workspace;
    try {
      const [rows, wsStats] = await Promise.all([all(`/Workspaces/${ws}/TaskQueues/Statistics?Minutes=60`, 'task_queues_statistics'), api(`/Workspaces/${ws}/RealTimeStatistics`)]);
      if (ws !== workspace) return;
      if (rows.some((r) => !queueNames.has(r.task_queue_sid))) await loadQueueNames();
      const body = $('queues').querySelector('tbody');
      const fresh = document.createDocumentFragment();
      for (const r of rows) {
        const rt = r.realtime;
        const by = rt.tasks_by_status || {};
        const waiting = (by.pending || 0) + (by.reserved || 0);
        const tr = document.createElement('tr');
        tr.dataset.queue = r.task_queue_sid;
        const th = document.createElement('th');
        th.scope = 'row';
        th.textContent = queueNames.get(r.task_queue_sid) || r.task_queue_sid;
        tr.appendChild(th);
        cell(tr, waiting, 'num waiting' + (waiting > 0 && rt.total_available_workers === 0 ? ' alert' : ''));
        cell(tr, age(rt.longest_task_waiting_age, waiting), 'num longest');
        cell(tr, by.assigned || 0, 'num');
        cell(tr, by.wrapping || 0, 'num');
        cell(tr, `${activities(rt.activity_statistics)} (${rt.total_available_workers} of ${rt.total_eligible_workers} available)`, 'agents');
        fresh.appendChild(tr);
        if (r.cumulative && r.cumulative.end_time) lastEnd = r.cumulative.end_time;
      }
      if (rows.length === 0) {
        const tr = document.createElement('tr');
        const td = cell(tr, 'This workspace has no queues.');
        td.colSpan = 6;
        fresh.appendChild(tr);
      }
      body.replaceChildren(fresh);
      const agents = $('agents');
      agents.replaceChildren(
        ...(wsStats.activity_statistics || []).map((a) => {
          const li = document.createElement('li');
          li.textContent = `${a.friendly_name}: ${a.workers}`;
          return li;
        }),
      );
      $('updated').textContent = 'Updated ' + new Date().toLocaleTimeString();
      problem('');
    } catch (err) {
      if (creds) problem('Could not refresh: ' + err.message);
    } finally {
      busy = false;
    }
  }

  // ---- The last hour, as a chart
  async function chart() {
    if (!creds || !lastEnd) return;
    const ws = workspace;
    // The server's "now" comes without its milliseconds: the last slice reaches a second past it
    // (the server stops every window at its now), so a task that entered in that second counts.
    const end = Date.parse(lastEnd) + 1000;
    const starts = [];
    for (let i = SLICES; i > 0; i--) starts.push(end - i * SLICE_MIN * 60000);
    const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const answers = await Promise.all(
      starts.map((s) => all(`/Workspaces/${ws}/TaskQueues/Statistics?StartDate=${iso(s)}&EndDate=${iso(s + SLICE_MIN * 60000)}`, 'task_queues_statistics')),
    );
    if (ws !== workspace) return;
    const sids = [...new Set(answers.flatMap((rows) => rows.map((r) => r.task_queue_sid)))];
    const series = sids.map((sid, k) => ({
      sid,
      name: queueNames.get(sid) || sid,
      color: COLORS[k % COLORS.length],
      values: answers.map((rows) => {
        const r = rows.find((x) => x.task_queue_sid === sid);
        return r ? r.cumulative.tasks_entered || 0 : 0;
      }),
    }));
    draw(series, starts);
  }

  const SVG = 'http://www.w3.org/2000/svg';
  function el(name, attrs, text) {
    const e = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function draw(series, starts) {
    const W = 720;
    const H = 260;
    const m = { l: 40, r: 10, t: 10, b: 40 };
    const max = Math.max(1, ...series.flatMap((s) => s.values));
    const top = max <= 5 ? max : Math.ceil(max / 5) * 5;
    const plotW = W - m.l - m.r;
    const plotH = H - m.t - m.b;
    const groupW = plotW / SLICES;
    const barW = Math.max(2, (groupW - 6) / Math.max(1, series.length));
    const y = (v) => m.t + plotH - (v / top) * plotH;
    const clock = (ms) => new Date(ms).toISOString().slice(11, 16);
    const total = series.reduce((n, s) => n + s.values.reduce((a, b) => a + b, 0), 0);

    const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': 'chart-title chart-desc' });
    svg.appendChild(el('title', { id: 'chart-title' }, 'Tasks entered per queue, per 5 minutes, over the last hour'));
    svg.appendChild(
      el('desc', { id: 'chart-desc' }, series.length ? `${total} tasks entered in all: ` + series.map((s) => `${s.name} ${s.values.reduce((a, b) => a + b, 0)}`).join(', ') : 'No queues.'),
    );
    const ticks = top <= 5 ? top : 5;
    for (let i = 0; i <= ticks; i++) {
      const v = Math.round((top / ticks) * i);
      svg.appendChild(el('line', { x1: m.l, x2: W - m.r, y1: y(v), y2: y(v), stroke: '#c9ccd1' }));
      svg.appendChild(el('text', { x: m.l - 6, y: y(v) + 4, 'text-anchor': 'end' }, v));
    }
    starts.forEach((s, i) => {
      const gx = m.l + i * groupW + 3;
      series.forEach((ser, k) => {
        const v = ser.values[i];
        if (v > 0) {
          const bar = el('rect', { x: gx + k * barW, y: y(v), width: barW - 1, height: m.t + plotH - y(v), fill: ser.color });
          bar.appendChild(el('title', {}, `${ser.name}, ${clock(s)}–${clock(s + SLICE_MIN * 60000)}: ${v}`));
          svg.appendChild(bar);
        }
      });
      if (i % 2 === 0) svg.appendChild(el('text', { x: gx + groupW / 2 - 3, y: H - m.b + 16, 'text-anchor': 'middle' }, clock(s)));
    });
    svg.appendChild(el('line', { x1: m.l, x2: W - m.r, y1: m.t + plotH, y2: m.t + plotH, stroke: '#4a4a4a' }));
    svg.appendChild(el('text', { x: m.l + plotW / 2, y: H - 6, 'text-anchor': 'middle' }, 'Time (UTC, slice start)'));
    $('chart').replaceChildren(svg);

    $('legend').replaceChildren(
      ...series.map((s) => {
        const span = document.createElement('span');
        span.style.setProperty('--swatch', s.color);
        span.textContent = s.name;
        return span;
      }),
    );

    // The same figures as a table, for screen readers and for reading exact numbers.
    const table = $('chart-table');
    const head = document.createElement('tr');
    head.appendChild(Object.assign(document.createElement('th'), { scope: 'col', textContent: 'Slice (UTC)' }));
    for (const s of series) head.appendChild(Object.assign(document.createElement('th'), { scope: 'col', textContent: s.name }));
    table.querySelector('thead').replaceChildren(head);
    table.querySelector('tbody').replaceChildren(
      ...starts.map((s, i) => {
        const tr = document.createElement('tr');
        tr.appendChild(Object.assign(document.createElement('th'), { scope: 'row', textContent: `${clock(s)}–${clock(s + SLICE_MIN * 60000)}` }));
        for (const ser of series) cell(tr, ser.values[i], 'num');
        return tr;
      }),
    );
  }

  // ---- Wiring
  $('sign-in').addEventListener('submit', async (e) => {
    e.preventDefault();
    const sid = $('account-sid').value.trim();
    const token = $('auth-token').value.trim();
    if (!/^AC[0-9a-fA-F]{32}$/.test(sid) || !token) {
      problem('Enter the account SID (AC…) and its auth token.');
      return;
    }
    $('sign-in-button').disabled = true;
    try {
      await signIn({ sid, token });
    } catch (err) {
      if (err.message !== 'unauthorized') problem('Could not sign in: ' + err.message);
    } finally {
      $('sign-in-button').disabled = false;
    }
  });
  $('sign-out').addEventListener('click', signOut);
  $('workspace').addEventListener('change', (e) => choose(e.target.value).catch((err) => problem(err.message)));

  let stored = null;
  try {
    stored = JSON.parse(sessionStorage.getItem(CREDS) || 'null');
  } catch (_) {
    stored = null;
  }
  if (stored && stored.sid && stored.token) signIn(stored).catch(() => signOut());
  else signOut();
})();
