// Transfers of a chat (Flex Interactions' transfers, through POST /Agent/Tasks/{WT}/Transfer): cold
// (the other agent takes over as soon as they accept) or warm (they join while this agent stays,
// and this agent leaves when done: Transfers/{UX} Status=completed). Until it is accepted the agent
// can call it off (Status=failed).
import { el, problem } from './dom.js';
import { call, state } from './state.js';

export function transferControls(card, id) {
  const target = el('select', { id: id + '-target' });
  const cold = el('input', { type: 'radio', name: id + '-kind', value: 'cold', id: id + '-cold', checked: true });
  const warm = el('input', { type: 'radio', name: id + '-kind', value: 'warm', id: id + '-warm' });
  const go = el('button', { type: 'button', class: 'transfer', text: 'Transfer' });
  const box = el(
    'details',
    { class: 'transfer-box' },
    el('summary', { text: 'Transfer' }),
    el(
      'div',
      { class: 'transfer-fields' },
      el('label', { for: id + '-target', text: 'Transfer to' }),
      target,
      el(
        'fieldset',
        { class: 'kind' },
        el('legend', { text: 'Kind of transfer' }),
        el('span', { class: 'choice' }, cold, el('label', { for: id + '-cold', text: 'Cold: hand the chat over' })),
        el('span', { class: 'choice' }, warm, el('label', { for: id + '-warm', text: 'Warm: stay until they join' })),
      ),
      el('div', { class: 'row' }, go),
    ),
  );
  const text = el('p', { class: 'transfer-text' });
  const cancel = el('button', { type: 'button', class: 'secondary cancel-transfer', text: 'Cancel transfer' });
  const leave = el('button', { type: 'button', class: 'leave', text: 'Leave the chat', disabled: true });
  const status = el('div', { class: 'transfer-state', role: 'status', hidden: true }, text, el('div', { class: 'row' }, cancel, leave));
  go.addEventListener('click', () => transferTask(card));
  cancel.addEventListener('click', () => endTransfer(card, 'failed'));
  leave.addEventListener('click', () => endTransfer(card, 'completed'));
  // The list is fetched again whenever the agent opens it, so activities are current.
  target.addEventListener('focus', () => loadDirectory());
  Object.assign(card, { target, transferGo: go, transferBox: box, transferStatus: status, transferText: text, transferCancel: cancel, transferLeave: leave });
  return el('div', { class: 'transfers' }, box, status);
}

export async function loadDirectory() {
  try {
    state.directory = await call('GET', '/Directory');
    for (const card of state.cards.values()) fillTargets(card);
  } catch {
    state.directory = null;
  }
}

export function fillTargets(card) {
  const select = card.target;
  if (!select) return;
  const keep = select.value;
  select.replaceChildren(el('option', { value: '', text: 'Choose a queue or an agent' }));
  if (state.directory) {
    const queues = el('optgroup', { label: 'Queues' });
    for (const q of state.directory.task_queues) queues.append(el('option', { value: q.sid, text: q.friendly_name }));
    const people = el('optgroup', { label: 'Agents' });
    for (const w of state.directory.workers) people.append(el('option', { value: w.sid, text: w.friendly_name + ' (' + w.activity_name + ')' }));
    select.append(queues, people);
  }
  select.value = keep;
}

export function updateTransferControls(card, wrapping) {
  if (!card.target) return;
  card.target.disabled = wrapping || !!card.transfer;
  card.transferGo.disabled = wrapping || !!card.transfer;
  // Once wrapping, the chat is no longer this agent's to hand on.
  card.transferBox.parentElement.hidden = wrapping;
  if (wrapping) {
    card.transfer = null;
    card.transferStatus.hidden = true;
  }
}

async function transferTask(card) {
  const to = card.target.value;
  if (!to) {
    card.note.textContent = 'Choose where to transfer first.';
    card.target.focus();
    return;
  }
  const type = card.el.querySelector('input[value="warm"]').checked ? 'warm' : 'cold';
  const name = card.target.selectedOptions[0].textContent.replace(/ \([^)]*\)$/, '');
  card.transferGo.disabled = true;
  try {
    const t = await call('POST', '/Tasks/' + card.task.sid + '/Transfer', { To: to, Type: type });
    card.transfer = { sid: t.sid, type, name, joined: false };
    card.transferBox.open = false;
    card.transferText.textContent =
      type === 'warm' ? 'Warm transfer to ' + name + ': waiting for them to accept. You stay in the chat.' : 'Transfer to ' + name + ' requested. You keep the chat until it is accepted.';
    card.transferStatus.hidden = false;
    card.transferCancel.hidden = false;
    card.transferLeave.hidden = type !== 'warm';
    card.transferLeave.disabled = true;
    card.target.disabled = true;
  } catch (err) {
    problem('Could not transfer: ' + err.message);
    card.transferGo.disabled = false;
  }
}

/** Someone joined the chat: the warm transfer's target, if one is under way. */
export function transferJoined(card, identity, who) {
  const t = card.transfer;
  if (!t || t.joined || identity === card.customerAddress) return;
  t.joined = true;
  card.transferCancel.hidden = true;
  if (t.type === 'warm') {
    card.transferText.textContent = who + ' joined. Introduce them, then leave the chat to hand it over.';
    card.transferLeave.disabled = false;
    card.transferLeave.focus();
  }
}

async function endTransfer(card, status) {
  const t = card.transfer;
  if (!t) return;
  card.transferCancel.disabled = card.transferLeave.disabled = true;
  try {
    await call('POST', '/Tasks/' + card.task.sid + '/Transfers/' + t.sid, { Status: status });
    card.transfer = null;
    card.transferStatus.hidden = true;
    card.note.textContent = status === 'failed' ? 'Transfer called off: the chat stays with you.' : 'You left the chat. Wrap up, then complete the task.';
    card.target.disabled = card.transferGo.disabled = false;
  } catch (err) {
    problem((status === 'failed' ? 'Could not cancel the transfer: ' : 'Could not leave the chat: ') + err.message);
    card.transferLeave.disabled = !t.joined;
  } finally {
    card.transferCancel.disabled = false;
  }
}
