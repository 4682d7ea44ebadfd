// Offers (pending reservations): each with its channel, customer, queue, how long the customer has
// waited, their first message and the time left to answer; Accept and Reject, also from the
// keyboard. A new offer chimes and raises a browser notification.
import { chime, notifyOffer, withdrawOffer } from './alerts.js';
import { contactOf, forgetContact, showCustomer } from './customer.js';
import { $, announce, duration, el, problem } from './dom.js';
import { attrs, channelOf, customerOf, localTime, state } from './state.js';

const FIRST_MESSAGE_RETRY_MS = 3000;

function deadlineOf(r) {
  // The offer's start on the server's clock, moved to ours; its length is `timeout` seconds.
  return localTime(r.dateCreated.getTime()) + r.timeout * 1000;
}

export function addOffer(r) {
  const task = r.task;
  const customer = customerOf(task);
  const channel = channelOf(task);
  const a = attrs(task);
  const heading = 'offer-' + r.sid;
  const countdown = el('span', { class: 'countdown', role: 'timer', 'aria-label': 'Time left to answer' });
  const waited = el('span', { class: 'waited' });
  const preview = el('p', { class: 'preview small' });
  const accept = el('button', { type: 'button', class: 'accept', text: 'Accept', 'aria-describedby': heading, title: 'Accept (Alt+A)' });
  const reject = el('button', { type: 'button', class: 'secondary reject', text: 'Reject', 'aria-describedby': heading, title: 'Reject (Alt+R)' });
  const colleague = a.transferredFrom && state.directory && state.directory.workers.find((w) => w.sid === a.transferredFrom);
  const from = a.transferredFrom ? el('p', { class: 'small transfer-from', text: (a.transferType === 'warm' ? 'Warm transfer' : 'Transfer') + ' from ' + (colleague ? colleague.friendly_name : 'a colleague') }) : null;
  const li = el(
    'li',
    { class: 'item offer', 'data-reservation': r.sid, 'data-task': task.sid, 'aria-labelledby': heading },
    el(
      'h3',
      { id: heading, class: 'line1' },
      el('button', { type: 'button', class: 'select', onclick: () => showCustomer(task.sid, r) }, el('span', { class: 'badge channel', text: channel }), ' ', el('span', { class: 'customer', text: customer })),
    ),
    from,
    preview,
    el('p', { class: 'muted small' }, task.queueName ? 'Queue: ' + task.queueName + ' · ' : '', 'Waiting ', waited),
    el('p', { class: 'small' }, 'Answer within ', countdown),
    el('div', { class: 'row' }, accept, reject),
  );
  accept.addEventListener('click', () => acceptOffer(r));
  reject.addEventListener('click', () => rejectOffer(r));
  state.offers.set(r.sid, { reservation: r, li, countdown, waited, accept, reject, deadline: deadlineOf(r), since: task.dateCreated ? localTime(task.dateCreated.getTime()) : Date.now() });
  $('offers').append(li);
  $('no-offers').hidden = true;
  tickOffers();
  announce('New ' + channel + ' offer from ' + customer + '.');
  chime();
  notifyOffer(r.sid, 'New ' + channel + ' from ' + customer, (task.queueName ? task.queueName + ': ' : '') + 'answer on the agent desktop.');
  showFirstMessage(r, preview);
  if (!state.selected) showCustomer(task.sid, r);
}

/**
 * The first message on the offer itself, so the agent knows what it is about. A web chat is
 * offered before its customer writes, and the agent is not in the chat yet to hear it: asked
 * again every few seconds while the offer waits without one.
 */
async function showFirstMessage(r, preview) {
  const c = await contactOf(r.task.sid);
  const m = c && c.first_message;
  if (!state.offers.has(r.sid)) return;
  if (!m) {
    setTimeout(() => {
      if (!state.offers.has(r.sid)) return;
      forgetContact(r.task.sid);
      showFirstMessage(r, preview);
    }, FIRST_MESSAGE_RETRY_MS);
    return;
  }
  preview.textContent = m.subject ? m.subject + ' — ' + (m.body || '') : m.body || (m.media && m.media.length ? 'An attachment' : '');
}

export async function acceptOffer(r) {
  const o = state.offers.get(r.sid);
  if (!o || o.accept.disabled) return;
  o.accept.disabled = o.reject.disabled = true;
  try {
    await r.accept();
  } catch (err) {
    problem('Could not accept: ' + err.message);
    o.accept.disabled = o.reject.disabled = false;
  }
}

export async function rejectOffer(r) {
  const o = state.offers.get(r.sid);
  if (!o || o.reject.disabled) return;
  o.accept.disabled = o.reject.disabled = true;
  try {
    await r.reject();
  } catch (err) {
    problem('Could not reject: ' + err.message);
    o.accept.disabled = o.reject.disabled = false;
  }
}

/** The offer shown first in the list (the oldest): what the keyboard shortcuts act on. */
export function firstOffer() {
  const first = state.offers.values().next();
  return first.done ? null : first.value.reservation;
}

export function removeOffer(sid) {
  const o = state.offers.get(sid);
  if (!o) return;
  state.offers.delete(sid);
  o.li.remove();
  $('no-offers').hidden = state.offers.size > 0;
  withdrawOffer(sid);
}

export function offerGone(r, why) {
  if (!state.offers.has(r.sid)) return;
  removeOffer(r.sid);
  const words = { rejected: 'rejected', timeout: 'timed out', canceled: 'was canceled', rescinded: 'was taken by someone else' };
  announce('The offer from ' + customerOf(r.task) + ' ' + words[why] + '.');
  if (!state.selected) showCustomer(null);
}

export function tickOffers() {
  const now = Date.now();
  for (const o of state.offers.values()) {
    const left = Math.max(0, Math.ceil((o.deadline - now) / 1000));
    const text = duration(left);
    if (o.countdown.textContent !== text) o.countdown.textContent = text;
    o.countdown.classList.toggle('urgent', left <= 15);
    const waited = duration((now - o.since) / 1000);
    if (o.waited.textContent !== waited) o.waited.textContent = waited;
  }
}
