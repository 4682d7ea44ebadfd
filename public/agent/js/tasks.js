// The agent's tasks: a line each in the task list (channel, customer, time in it, the last thing
// said, unread messages) and a conversation pane each, one shown at a time: the transcript, the
// reply box (with attachments and canned responses), End chat, transfers and the wrap-up.
import { openCanned } from './canned.js';
import { agentTyping, clearAttachment, markRead, openConversation, sendReply } from './conversation.js';
import { showCustomer } from './customer.js';
import { $, announce, duration, el, problem } from './dom.js';
import { removeOffer } from './offers.js';
import { attrs, call, channelOf, customerOf, localTime, state } from './state.js';
import { transferControls, fillTargets, updateTransferControls } from './transfer.js';
import { startWrapup, stopWrapup, wrapupForm } from './wrapup.js';

export function cardFor(conversationSid) {
  for (const card of state.cards.values()) if (card.conversationSid === conversationSid) return card;
  return null;
}

export function addTask(r) {
  const task = r.task;
  if (state.cards.has(task.sid)) return updateTask(r);
  const a = attrs(task);
  const customer = customerOf(task);
  const channel = channelOf(task);
  const id = 'task-' + task.sid;
  const card = {
    reservation: r,
    task,
    conversationSid: a.conversationSid || null,
    customerAddress: a.customerAddress,
    interaction: !!a.flexInteractionSid,
    customer,
    channel,
    seen: new Set(),
    names: new Map(),
    identities: new Map(),
    typists: new Set(),
    conversation: null,
    unread: 0,
    last: null,
    since: task.dateCreated ? localTime(task.dateCreated.getTime()) : Date.now(),
    transfer: null,
    loadedWrapping: r.status === 'wrapping',
  };
  const transcript = el('ol', { class: 'transcript', 'aria-live': 'polite', 'aria-relevant': 'additions', 'aria-label': 'Conversation with ' + customer, tabindex: '0' });
  const reply = el('textarea', { id: id + '-reply', rows: '3', maxlength: '1600', 'aria-describedby': id + '-reply-hint' });
  const file = el('input', { type: 'file', id: id + '-file', class: 'visually-hidden file' });
  const fileName = el('span', { class: 'file-name small', 'aria-live': 'polite' });
  const clearFile = el('button', { type: 'button', class: 'secondary small-button', text: 'Remove file', hidden: true });
  const cannedButton = el('button', { type: 'button', class: 'secondary canned-open', text: 'Canned responses', 'aria-haspopup': 'dialog', 'aria-expanded': 'false' });
  const send = el('button', { type: 'submit', class: 'send', text: 'Send' });
  const cannedBox = el('div', { class: 'canned', hidden: true });
  const compose = el(
    'form',
    { class: 'compose' },
    el('label', { for: id + '-reply', text: 'Reply to ' + customer }),
    cannedBox,
    reply,
    el('p', { id: id + '-reply-hint', class: 'muted small', text: 'Enter sends; Shift+Enter starts a new line; / at the start opens canned responses.' }),
    el('div', { class: 'row compose-actions' }, el('label', { for: id + '-file', class: 'button secondary attach', text: 'Attach a file' }), file, fileName, clearFile, cannedButton, el('span', { class: 'grow' }), send),
  );
  const endChat = el('button', { type: 'button', class: 'danger end-chat', text: 'End chat' });
  const state_ = el('span', { class: 'state' });
  const elapsed = el('span', { class: 'elapsed' });
  const note = el('p', { class: 'note muted small', role: 'status' });
  const typing = el('p', { class: 'typing muted small', 'aria-live': 'polite' });
  const queue = task.queueName ? ' · Queue: ' + task.queueName : '';
  const pane = el(
    'article',
    { class: 'task', 'data-task': task.sid, 'aria-labelledby': id + '-heading', hidden: true },
    el(
      'header',
      { class: 'task-head' },
      el('h2', { id: id + '-heading' }, el('span', { class: 'badge channel', text: channel }), ' ', el('span', { class: 'customer', text: customer })),
      el('p', { class: 'meta muted small' }, 'Status: ', state_, queue, ' · ', elapsed),
      el('div', { class: 'row task-actions' }, card.interaction ? endChat : null),
    ),
    card.interaction ? transferControls(card, id) : null,
    note,
    wrapupForm(card, id),
    card.conversationSid ? transcript : el('p', { class: 'muted', text: 'This task has no conversation.' }),
    card.conversationSid ? typing : null,
    card.conversationSid ? compose : null,
  );
  const item = el(
    'li',
    { class: 'item task-item', 'data-task': task.sid },
    el(
      'button',
      { type: 'button', class: 'select', 'aria-controls': id + '-heading', onclick: () => select(task.sid) },
      el('span', { class: 'line1' }, el('span', { class: 'badge channel', text: channel }), ' ', el('span', { class: 'customer', text: customer }), el('span', { class: 'elapsed small' })),
      el('span', { class: 'preview small muted' }),
      el('span', { class: 'item-state small' }),
      el('span', { class: 'unread small' }),
    ),
  );
  Object.assign(card, { el: pane, item, transcript, reply, file, fileName, clearFile, cannedButton, cannedBox, send, endChat, state: state_, elapsed, note, typing, compose });
  state.cards.set(task.sid, card);

  compose.addEventListener('submit', (ev) => {
    ev.preventDefault();
    sendReply(card);
  });
  reply.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      sendReply(card);
    } else if (ev.key === '/' && reply.value === '') {
      ev.preventDefault();
      openCanned(card);
    }
  });
  reply.addEventListener('input', () => agentTyping(card));
  file.addEventListener('change', () => {
    const f = file.files && file.files[0];
    fileName.textContent = f ? f.name : '';
    clearFile.hidden = !f;
  });
  clearFile.addEventListener('click', () => clearAttachment(card));
  cannedButton.addEventListener('click', () => openCanned(card));
  endChat.addEventListener('click', () => endTheChat(card));
  fillTargets(card);

  $('tasks').append(pane);
  $('task-items').append(item);
  $('no-tasks').hidden = true;
  updateTask(r);
  tickTasks();
  if (card.conversationSid) openConversation(card);
  announce('You are now working on the ' + channel + ' from ' + customer + '.');
  select(task.sid);
  if (card.conversationSid && r.status === 'accepted') reply.focus();
}

export function updateTask(r) {
  const card = state.cards.get(r.task.sid);
  if (!card) return;
  card.reservation = r;
  const wrapping = r.status === 'wrapping' || r.task.status === 'wrapping';
  card.state.textContent = wrapping ? 'wrapping up' : r.task.status === 'assigned' ? 'in progress' : r.task.status;
  card.el.classList.toggle('wrapping', wrapping);
  card.item.classList.toggle('wrapping', wrapping);
  card.endChat.disabled = wrapping;
  card.endChat.hidden = wrapping;
  card.send.disabled = wrapping;
  card.reply.disabled = wrapping;
  card.file.disabled = wrapping;
  card.cannedButton.disabled = wrapping;
  card.compose.hidden = wrapping;
  updateTransferControls(card, wrapping);
  // A chat ends before it is wrapped up (Flex's order); any other task can be wrapped up at once.
  if (wrapping || !card.interaction) startWrapup(card, wrapping);
  if (wrapping) card.typing.textContent = '';
  refreshItem(card);
}

/** The task's line in the list: what was said last, unread messages, its state. */
export function refreshItem(card) {
  const preview = card.item.querySelector('.preview');
  preview.textContent = card.last ? (card.last.mine ? 'You: ' : '') + card.last.body.replace(/\s+/g, ' ').slice(0, 80) : '';
  const unread = card.item.querySelector('.unread');
  unread.textContent = card.unread > 0 ? card.unread + ' new' : '';
  card.item.querySelector('.item-state').textContent = card.state.textContent;
}

export function select(taskSid) {
  const card = state.cards.get(taskSid);
  if (!card) return;
  state.selected = taskSid;
  for (const c of state.cards.values()) {
    c.el.hidden = c !== card;
    c.item.querySelector('.select').setAttribute('aria-current', c === card ? 'true' : 'false');
  }
  $('nothing-selected').hidden = true;
  markRead(card);
  showCustomer(card.task.sid);
}

/** The next (or previous) task in the list. */
export function selectNext(step) {
  const sids = [...state.cards.keys()];
  if (sids.length === 0) return;
  const at = sids.indexOf(state.selected);
  const next = sids[(at + step + sids.length) % sids.length];
  select(next);
  state.cards.get(next).item.querySelector('.select').focus();
}

export function taskDone(r, how) {
  removeOffer(r.sid);
  const card = state.cards.get(r.task.sid);
  if (!card) return;
  stopWrapup(card);
  state.cards.delete(r.task.sid);
  card.el.remove();
  card.item.remove();
  $('no-tasks').hidden = state.cards.size > 0;
  announce('The task from ' + card.customer + ' is ' + how + '.');
  if (state.selected === r.task.sid) {
    state.selected = null;
    const next = state.cards.keys().next();
    if (!next.done) select(next.value);
    else {
      $('nothing-selected').hidden = false;
      showCustomer(null);
    }
  }
}

export async function endTheChat(card) {
  if (!card.interaction || card.endChat.disabled) return;
  card.endChat.disabled = true;
  card.note.textContent = 'Ending the chat…';
  try {
    await call('POST', '/Tasks/' + card.task.sid + '/EndChat');
    card.note.textContent = 'Chat ended. Wrap up, then complete the task.';
  } catch (err) {
    card.note.textContent = '';
    problem('Could not end the chat: ' + err.message);
    card.endChat.disabled = false;
  }
}

/** Each second: each task's age (since the customer's task was made, as Flex counts it). */
export function tickTasks() {
  for (const card of state.cards.values()) {
    const text = duration((Date.now() - card.since) / 1000);
    if (card.elapsed.textContent !== text) {
      card.elapsed.textContent = text;
      card.item.querySelector('.elapsed').textContent = text;
    }
  }
}
