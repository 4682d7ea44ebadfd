// The board's tables: queues, agents (with the activity each can be moved to), and the chats under
// way. Rows are kept by SID and updated in place, so a push never takes the focus away from the
// control a supervisor is using (an agent's activity, a chat's Monitor button).
import { duration, serverNow } from './time.js';

function cell(tr, label, cls) {
  const td = document.createElement('td');
  td.dataset.label = label;
  if (cls) td.className = cls;
  tr.appendChild(td);
  return td;
}

/** A text that counts up from `since` (server ms) every second (time.js tick). */
function since(el, ms) {
  el.dataset.since = String(ms);
  el.textContent = duration(serverNow() - ms);
}

function still(el) {
  delete el.dataset.since;
}

// ---- Queues: no controls, drawn afresh.
export function renderQueues(board) {
  const body = document.querySelector('#queues tbody');
  const rows = board.queues.map((q) => {
    const tr = document.createElement('tr');
    tr.dataset.queue = q.sid;
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = q.friendly_name;
    tr.appendChild(th);
    const waiting = cell(tr, 'Tasks waiting', 'num waiting' + (q.waiting > 0 && q.available_workers === 0 ? ' alert' : ''));
    waiting.textContent = String(q.waiting);
    const longest = cell(tr, 'Longest wait', 'num longest');
    if (q.waiting > 0) since(longest, board.now - q.longest_wait * 1000);
    else longest.textContent = '—';
    cell(tr, 'Assigned', 'num').textContent = String(q.assigned);
    cell(tr, 'Wrapping', 'num').textContent = String(q.wrapping);
    const by = q.activities.filter((a) => a.workers > 0).map((a) => `${a.friendly_name}: ${a.workers}`);
    cell(tr, 'Agents by activity', 'agents').textContent = `${by.length ? by.join(', ') : 'No agents'} (${q.available_workers} of ${q.eligible_workers} available)`;
    return tr;
  });
  if (rows.length === 0) {
    const tr = document.createElement('tr');
    const td = cell(tr, 'Queues');
    td.colSpan = 6;
    td.textContent = 'This workspace has no queues.';
    rows.push(tr);
  }
  body.replaceChildren(...rows);
}

// ---- Agents: kept rows, each with its activity picker.
function tasksText(t) {
  const parts = [];
  if (t.assigned) parts.push(`${t.assigned} assigned`);
  if (t.wrapping) parts.push(`${t.wrapping} wrapping`);
  if (t.offered) parts.push(`${t.offered} offered`);
  return parts.length ? parts.join(', ') : 'None';
}

/** The channels the agent holds tasks on, each against its capacity; "None" when idle. */
function capacityText(list) {
  const used = list.filter((c) => c.used > 0);
  return used.length ? used.map((c) => `${c.channel} ${c.used} of ${c.capacity}`).join(', ') : 'None';
}

function agentRow(a, onActivity) {
  const tr = document.createElement('tr');
  tr.dataset.worker = a.sid;
  const th = document.createElement('th');
  th.scope = 'row';
  const name = document.createElement('span');
  name.className = 'name';
  th.appendChild(name);
  const role = document.createElement('span');
  role.className = 'role small';
  th.appendChild(role);
  tr.appendChild(th);
  const td = cell(tr, 'Activity', 'activity');
  const select = document.createElement('select');
  select.addEventListener('change', () => onActivity(a.sid, select));
  td.appendChild(select);
  cell(tr, 'In it for', 'num in-activity');
  cell(tr, 'Tasks', 'tasks');
  cell(tr, 'Capacity used', 'capacity');
  cell(tr, 'Longest current chat', 'num longest-chat');
  return tr;
}

function fillAgent(tr, a, activities) {
  tr.querySelector('.name').textContent = a.friendly_name;
  const roles = a.roles.filter((r) => r === 'supervisor' || r === 'admin');
  tr.querySelector('.role').textContent = roles.length ? ` (${roles.join(', ')})` : '';
  const select = tr.querySelector('select');
  select.setAttribute('aria-label', `Activity of ${a.friendly_name}`);
  const names = activities.map((x) => x.sid + x.friendly_name).join('|');
  if (select.dataset.options !== names) {
    select.replaceChildren(...activities.map((x) => new Option(x.friendly_name, x.sid)));
    select.dataset.options = names;
  }
  // A change under way keeps what the supervisor picked until the server answers.
  if (!select.disabled) select.value = a.activity_sid;
  since(tr.querySelector('.in-activity'), a.activity_since);
  tr.querySelector('.tasks').textContent = tasksText(a.tasks);
  tr.querySelector('.capacity').textContent = capacityText(a.capacity);
  const longest = tr.querySelector('.longest-chat');
  if (a.longest_chat) since(longest, a.longest_chat.since);
  else {
    still(longest);
    longest.textContent = '—';
  }
}

/** Keeps `body`'s rows (keyed by data-key) in the order of `items`, moving nodes only when the order changed. */
function keep(body, items, key, make, fill) {
  const existing = new Map([...body.children].filter((r) => r.dataset.key).map((r) => [r.dataset.key, r]));
  const rows = items.map((item) => {
    let row = existing.get(key(item));
    if (!row) {
      row = make(item);
      row.dataset.key = key(item);
    }
    fill(row, item);
    return row;
  });
  const current = [...body.children];
  const sameOrder = current.length === rows.length && rows.every((r, i) => current[i] === r);
  if (!sameOrder) body.replaceChildren(...rows);
}

export function renderAgents(board, onActivity) {
  const body = document.querySelector('#agents tbody');
  keep(body, board.agents, (a) => a.sid, (a) => agentRow(a, onActivity), (tr, a) => fillAgent(tr, a, board.activities));
}

// ---- Chats under way, each with its Monitor button.
export function renderChats(board, onMonitor, monitored) {
  const list = document.getElementById('chats');
  if (board.chats.length === 0) {
    const li = document.createElement('li');
    li.className = 'muted empty';
    li.textContent = 'No chat under way.';
    list.replaceChildren(li);
    return;
  }
  keep(
    list,
    board.chats,
    (c) => c.task_sid,
    (c) => {
      const li = document.createElement('li');
      li.dataset.task = c.task_sid;
      li.innerHTML = '<p class="who"></p><p class="meta small muted"></p>';
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'secondary';
      button.textContent = 'Monitor';
      button.addEventListener('click', () => onMonitor(c.task_sid));
      li.appendChild(button);
      return li;
    },
    (li, c) => {
      li.querySelector('.who').textContent = `${c.customer} · ${c.channel_type}`;
      const meta = li.querySelector('.meta');
      meta.textContent = `with ${c.worker_name} for `;
      const time = document.createElement('span');
      since(time, c.since);
      meta.appendChild(time);
      const button = li.querySelector('button');
      button.setAttribute('aria-label', `Monitor the chat with ${c.customer} (agent ${c.worker_name})`);
      li.classList.toggle('current', c.task_sid === monitored);
    },
  );
}
