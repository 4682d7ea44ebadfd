// The agent desktop: plain ES modules, no build. The agent signs in (POST /switchyard/v1/Agent/
// Sessions) and gets a worker token and a chat token. The worker token drives Twilio's official
// worker SDK (window.TaskRouter, /vendor/twilio-taskrouter.js) through Switchyard's event bridge:
// activity, offers, accept/reject, complete. The chat token drives Twilio's official Conversations
// SDK (window.Twilio.Conversations, /vendor/twilio-conversations.js) through twilsock: what is said
// in the agent's chats, typing, read state, attachments, and the agent's replies. What the SDKs
// cannot do goes to the agent routes with the worker token as a bearer: a task's history once the
// agent has left its chat, End chat, transfers, the customer panel, canned responses, wrap-up.
// Tokens are renewed before they expire and handed to both SDKs; the session is kept in
// sessionStorage so a reload resumes it.
import { prepareAlerts, showSoundButton, toggleSound } from './alerts.js';
import { connectChat, markRead } from './conversation.js';
import { forgetContacts, showCustomer } from './customer.js';
import { $, connection, el, problem } from './dom.js';
import { addOffer, offerGone, removeOffer, tickOffers } from './offers.js';
import { onKey, openHelp, SHORTCUTS } from './shortcuts.js';
import { API, call, state } from './state.js';
import { addTask, taskDone, tickTasks, updateTask } from './tasks.js';
import { loadDirectory } from './transfer.js';
import { tickWrapups } from './wrapup.js';

const STORE = 'switchyard.agent.session';
/** Renew this long before the tokens expire (or at 80 % of their life, if that is sooner). */
const RENEW_EARLY_MS = 5 * 60 * 1000;

let renewTimer = null;
let ticker = null;

// ---------- sign-in, session, tokens ----------

function keep(answer) {
  // The server's clock: the tokens were issued `ttl` seconds before `expires`.
  const serverNow = Date.parse(answer.expires) - answer.ttl * 1000;
  state.session = Object.assign({}, answer, { offset: Date.now() - serverNow });
  sessionStorage.setItem(STORE, JSON.stringify(state.session));
}

async function signIn(ev) {
  ev.preventDefault();
  problem('');
  const button = $('signin-button');
  button.disabled = true;
  // While the click still counts as the agent's gesture: sound, and the one notification prompt.
  const alerts = prepareAlerts();
  try {
    const res = await fetch(API + '/Sessions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ AccountSid: $('account').value.trim(), Username: $('username').value, Password: $('password').value }),
    });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(res.status === 401 ? 'The account, username or password is not right.' : data.message || 'Sign-in failed (HTTP ' + res.status + ')');
    localStorage.setItem('switchyard.agent.account', data.account_sid);
    $('password').value = '';
    keep(data);
    await alerts.catch(() => {});
    start();
  } catch (err) {
    problem(err.message);
    $('password').focus();
  } finally {
    button.disabled = false;
  }
}

function scheduleRenewal() {
  clearTimeout(renewTimer);
  const s = state.session;
  const expiresLocal = Date.parse(s.expires) + s.offset;
  const early = Math.min(RENEW_EARLY_MS, s.ttl * 1000 * 0.2);
  renewTimer = setTimeout(renew, Math.max(0, expiresLocal - early - Date.now()));
}

async function renew() {
  try {
    const data = await call('POST', '/Tokens');
    if (state.worker) state.worker.updateToken(data.worker_token);
    // Kept once both SDKs hold the new tokens (an SDK offline now takes it when it reconnects).
    if (state.chat) await state.chat.updateToken(data.chat_token).catch(() => {});
    keep(data);
    scheduleRenewal();
  } catch (err) {
    if (err.status === 401) return stop('Your session has ended (' + err.message + '). Please sign in again.');
    // The server is unreachable for now: try again in a while, before the token runs out.
    renewTimer = setTimeout(renew, 15000);
  }
}

function stop(message) {
  clearTimeout(renewTimer);
  clearInterval(ticker);
  if (state.worker) {
    state.worker.removeAllListeners();
    state.worker.disconnect();
  }
  state.worker = null;
  if (state.chat) {
    state.chat.removeAllListeners();
    state.chat.shutdown().catch(() => {});
  }
  state.chat = null;
  state.session = null;
  state.selected = null;
  sessionStorage.removeItem(STORE);
  for (const sid of [...state.offers.keys()]) removeOffer(sid);
  state.cards.clear();
  forgetContacts();
  $('offers').replaceChildren();
  $('task-items').replaceChildren();
  $('tasks').replaceChildren();
  $('desk').hidden = true;
  $('presence').hidden = true;
  $('who').hidden = true;
  document.body.classList.remove('signed-in');
  showSignIn();
  if (message) problem(message);
}

function showSignIn() {
  $('signin').hidden = false;
  const account = new URLSearchParams(location.search).get('account') || localStorage.getItem('switchyard.agent.account') || '';
  if (!$('account').value) $('account').value = account;
  ($('account').value ? $('username') : $('account')).focus();
}

// ---------- the worker SDK ----------

async function start() {
  $('signin').hidden = true;
  $('desk').hidden = false;
  $('presence').hidden = false;
  $('who').hidden = false;
  document.body.classList.add('signed-in');
  $('who').textContent = 'Signed in as ' + state.session.friendly_name;
  connection('Connecting…');
  $('no-offers').hidden = false;
  $('no-tasks').hidden = false;
  $('nothing-selected').hidden = false;
  showCustomer(null);
  scheduleRenewal();
  // The desk's setup (wrap-up time, disposition codes) before any task is drawn.
  try {
    state.desk = await call('GET', '/Desk');
  } catch {
    state.desk = { wrapup_timeout: 0, disposition_codes: [] };
  }
  loadDirectory();
  // One desk per agent: a newer one (another tab or window) closes this one's connection, and
  // a desk that goes away (tab closed, connection lost) leaves its agent Offline, not offered work.
  const worker = new window.TaskRouter.Worker(state.session.worker_token, {
    ebServer: state.session.event_bridge.ebServer,
    wsServer: state.session.event_bridge.wsServer,
    closeExistingSessions: true,
    setWorkerOfflineIfDisconnected: true,
    logLevel: new URLSearchParams(location.search).get('log') || 'error',
  });
  state.worker = worker;
  worker.on('ready', onReady);
  worker.on('activityUpdated', showActivity);
  worker.on('reservationCreated', addReservation);
  worker.on('disconnected', (why) => {
    // The SDK would reconnect by itself: a desk replaced by a newer one stops here instead.
    if (why && /closeExistingSessions/.test(why.message || '')) return stop('You opened the desk in another tab or window; this one is closed.');
    connection('Disconnected from the server; reconnecting…', true);
  });
  worker.on('error', (err) => connection('Connection problem: ' + ((err && err.message) || err), true));
  worker.on('tokenExpired', () => stop('Your session has expired. Please sign in again.'));
  connectChat(renew);
  clearInterval(ticker);
  ticker = setInterval(tick, 1000);
}

function tick() {
  tickOffers();
  tickTasks();
  tickWrapups();
}

function onReady(w) {
  connection('Connected. Offers appear below.');
  const select = $('activity');
  select.replaceChildren();
  for (const a of w.activities.values()) select.append(el('option', { value: a.sid, text: a.name + (a.available ? '' : ' (not available)') }));
  showActivity(w);
  for (const r of w.reservations.values()) addReservation(r);
}

function showActivity(w) {
  if (w.activity) $('activity').value = w.activity.sid;
  $('activity').dataset.available = w.activity && w.activity.available ? 'true' : 'false';
}

async function setActivity() {
  const select = $('activity');
  const activity = state.worker && state.worker.activities.get(select.value);
  if (!activity) return;
  select.disabled = true;
  try {
    await activity.setAsCurrent();
    connection('You are now ' + activity.name + '.');
  } catch (err) {
    problem('Could not change activity: ' + err.message);
    showActivity(state.worker);
  } finally {
    select.disabled = false;
  }
}

function addReservation(r) {
  if (state.offers.has(r.sid) || state.cards.has(r.task.sid)) return;
  r.on('accepted', () => {
    removeOffer(r.sid);
    addTask(r);
  });
  for (const what of ['rejected', 'timeout', 'canceled', 'rescinded']) r.on(what, () => offerGone(r, what));
  r.on('wrapup', () => updateTask(r));
  r.on('completed', () => taskDone(r, 'completed'));
  r.task.on('wrapup', () => updateTask(r));
  r.task.on('completed', () => taskDone(r, 'completed'));
  r.task.on('canceled', () => taskDone(r, 'canceled'));
  if (r.status === 'pending') addOffer(r);
  else if (r.status === 'accepted' || r.status === 'wrapping') addTask(r);
}

// ---------- start ----------

function fillHelp() {
  const rows = SHORTCUTS.map(([keys, what]) => el('tr', {}, el('th', { scope: 'row' }, el('kbd', { text: keys })), el('td', { text: what })));
  $('shortcut-rows').replaceChildren(...rows);
}

$('signin').addEventListener('submit', signIn);
$('activity').addEventListener('change', setActivity);
$('signout').addEventListener('click', () => stop(''));
$('sound').addEventListener('click', toggleSound);
$('shortcuts-open').addEventListener('click', openHelp);
$('shortcuts-close').addEventListener('click', () => $('shortcuts').close());
document.addEventListener('keydown', onKey);
// Back on the desk: what the selected chat received meanwhile is now read.
document.addEventListener('visibilitychange', () => {
  const card = document.visibilityState === 'visible' && state.selected && state.cards.get(state.selected);
  if (card) markRead(card);
});
showSoundButton();
fillHelp();

const saved = sessionStorage.getItem(STORE);
try {
  state.session = saved ? JSON.parse(saved) : null;
} catch {
  state.session = null;
}
// A session kept by an older page (no twilsock_url) signs in again rather than point the SDK elsewhere.
if (state.session && state.session.twilsock_url && Date.parse(state.session.expires) + state.session.offset > Date.now() + 10000) start();
else {
  state.session = null;
  sessionStorage.removeItem(STORE);
  showSignIn();
}
