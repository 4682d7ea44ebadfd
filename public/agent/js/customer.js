// The customer panel: who the selected task (or offer) is with, their channel and address, and
// their earlier conversations with this contact center: when, with whom, and how each ended (the
// disposition and note recorded at wrap-up). Read from GET /Agent/Tasks/{WT}/Contact, once per task.
import { $, el, timeOf } from './dom.js';
import { call, channelOf, customerOf, state } from './state.js';

const contacts = new Map(); // task SID → Promise of the Contact answer (null when it failed)

export function contactOf(taskSid) {
  if (!contacts.has(taskSid))
    contacts.set(
      taskSid,
      call('GET', '/Tasks/' + taskSid + '/Contact').catch(() => {
        contacts.delete(taskSid);
        return null;
      }),
    );
  return contacts.get(taskSid);
}

export function forgetContacts() {
  contacts.clear();
}

export function forgetContact(taskSid) {
  contacts.delete(taskSid);
}

const ADDRESS = { sms: 'Phone', whatsapp: 'WhatsApp', messenger: 'Messenger ID', email: 'Email', chat: 'Chat identity', web: 'Web chat visitor', gbm: 'Business Messages ID' };

/** Shows the customer of task `taskSid` (a task of the desk, or an offer's when `offer` is given); nothing for null. */
export async function showCustomer(taskSid, offer) {
  const body = $('customer-body');
  body.dataset.task = taskSid || '';
  if (!taskSid) {
    body.replaceChildren(el('p', { class: 'muted', text: 'Select a task or an offer to see who it is with.' }));
    return;
  }
  const card = state.cards.get(taskSid);
  const task = card ? card.task : offer && offer.task;
  if (!task) return;
  const name = customerOf(task);
  const channel = channelOf(task);
  body.replaceChildren(el('p', { class: 'customer-name', text: name }), el('p', { class: 'muted small', text: 'Loading…' }));
  const c = await contactOf(taskSid);
  if (body.dataset.task !== taskSid) return; // another task was selected meanwhile
  // Flex may know the customer only by address (an email's sender): the task's name is then the better one.
  const who = c && c.customer.name && c.customer.name !== c.customer.address ? c.customer.name : name;
  const address = c && c.customer.address;
  const facts = el(
    'dl',
    { class: 'facts' },
    el('dt', { text: 'Channel' }),
    el('dd', {}, el('span', { class: 'badge channel', text: (c && c.channel_type) || channel })),
    address ? el('dt', { text: ADDRESS[(c && c.channel_type) || channel] || 'Address' }) : null,
    address ? el('dd', { class: 'address', text: address }) : null,
    offer && !card ? el('dt', { text: 'Status' }) : null,
    offer && !card ? el('dd', { text: 'Offered to you' }) : null,
  );
  const history = el('ol', { class: 'history', 'aria-labelledby': 'history-heading' });
  for (const h of (c && c.history) || []) {
    history.append(
      el(
        'li',
        { 'data-task': h.task_sid },
        el('span', { class: 'line1' }, timeOf(h.date_started), ' ', el('span', { class: 'badge channel', text: h.channel_type })),
        el('span', { class: 'outcome' }, h.outcome ? h.outcome : 'No disposition'),
        el('span', { class: 'muted small' }, 'with ' + h.worker_name),
        h.note ? el('span', { class: 'note small', text: h.note }) : null,
      ),
    );
  }
  body.replaceChildren(
    el('p', { class: 'customer-name', text: who }),
    facts,
    el('h3', { id: 'history-heading', text: 'Earlier conversations' }),
    history.children.length ? history : el('p', { class: 'muted small', text: c ? 'None with this contact center.' : 'Not available.' }),
  );
}
