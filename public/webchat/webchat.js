// The customer's web chat: plain modules, no build. It starts a session (POST /webchat/v1/Sessions)
// and then runs Twilio's official Conversations SDK (window.Twilio.Conversations, served from
// /vendor/twilio-conversations.js) with the session's token, pointed at this server's twilsock
// endpoint: messages, media, typing, read horizons, who joins and leaves, reconnecting and catching
// up are the SDK's. The session (and what the customer was writing) is kept in sessionStorage, so a
// reload resumes the same chat; the token is renewed when the SDK says it is about to expire.
import { displayName, isStaff, readHorizon } from './people.js';
import { forget as drop, keep, post, startProblem, stored } from './session.js';
import { applyWidget, loadWidget, readForm } from './setup.js';
import * as transcript from './transcript.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const widgetSid = params.get('widget') || '';
const storeKey = 'switchyard.webchat.' + widgetSid;
const MAX_FILE = 5 * 1024 * 1024;
/** In the embed panel: the panel tells whether it is open (what the customer can see is what they read). */
const embedded = window.parent !== window;

let widget = null;
let session = null; // {conversation_sid, identity, token, expires, ttl, twilsock_url, name}
let client = null;
let conversation = null;
let lastName = '';

/**
 * What the status line says and what can be done, from what is known: `ended` and the connection
 * first, then who of the staff (agents, supervisors) is in the chat now and who was before.
 */
const chat = { connection: 'connecting', ended: null, endedByMe: false, staff: new Map(), left: null, readUpTo: null, typing: new Map() };
const seen = new Set(); // message SIDs shown
const names = new Map(); // participant SID or identity → display name
let panelOpen = true;
let unread = 0;

function resetChat() {
  Object.assign(chat, { connection: 'connecting', ended: null, endedByMe: false, left: null, readUpTo: null });
  chat.staff.clear();
  chat.typing.clear();
  seen.clear();
  names.clear();
  unread = 0;
  tellParent();
}

function render() {
  let state;
  let text;
  if (chat.ended) [state, text] = ['ended', chat.ended];
  else if (chat.connection === 'failed') [state, text] = ['failed', 'The chat could not connect. Reload the page to try again.'];
  else if (chat.connection === 'reconnecting') [state, text] = ['reconnecting', 'Connection lost. Reconnecting… What you write is kept.'];
  else if (chat.connection === 'connecting') [state, text] = ['connecting', 'Connecting…'];
  else if (chat.staff.size) [state, text] = ['joined', `You're chatting with ${[...chat.staff.values()].join(' and ')}.`];
  else if (chat.left) [state, text] = ['left', `${chat.left} left the chat.`];
  else [state, text] = ['waiting', 'Connected. Waiting for an agent to join: you can write now.'];
  const status = $('status');
  if (status.dataset.state !== state || status.textContent !== text) {
    status.dataset.state = state;
    status.textContent = text;
  }
  const ready = state !== 'ended' && state !== 'failed' && state !== 'connecting' && state !== 'reconnecting' && !!conversation;
  $('send').disabled = !ready;
  $('attach').disabled = !ready;
  // Ended: nothing can be sent, and what was being written stays in the box, to copy or to take along.
  $('message').disabled = state === 'ended';
  $('end').hidden = state === 'ended';
  $('new-chat').hidden = state !== 'ended';
  if (state === 'ended') $('confirm-end').hidden = true;
  const typists = [...chat.typing.values()];
  $('typing').textContent = state === 'ended' || !typists.length ? '' : `${typists.join(' and ')} ${typists.length > 1 ? 'are' : 'is'} typing…`;
}

function composeError(text) {
  $('compose-error').textContent = text || '';
  $('compose-error').hidden = !text;
}

// ---- The session, kept for a reload (with what was being written)
const save = () => keep(storeKey, { ...session, draft: $('message').value });
const forget = () => drop(storeKey);

/** A fresh token while the current one is valid; a 401 (expired) or 404 (the chat was closed) ends the chat. */
async function renew() {
  try {
    const fresh = await post('/webchat/v1/Sessions/Token', { Token: session.token });
    Object.assign(session, { token: fresh.token, expires: fresh.expires, ttl: fresh.ttl });
    save();
    if (client) await client.updateToken(session.token);
  } catch (err) {
    if (err.status === 401 || err.status === 404) ended(err.status === 404 ? 'This chat has ended.' : 'This chat has ended: your session expired.');
    throw err;
  }
}

function remember(p) {
  const name = displayName(p);
  names.set(p.sid, name);
  if (p.identity) names.set(p.identity, name);
  return name;
}

// ---- The SDK
function connect() {
  chat.connection = 'connecting';
  render();
  const logLevel = params.get('log') || 'error';
  client = new window.Twilio.Conversations.Client(session.token, { twilsock: { uri: session.twilsock_url }, logLevel });
  const mine = (c) => c && c.sid === session.conversation_sid;
  client.on('stateChanged', (state) => {
    if (state === 'initialized') opened();
    else if (state === 'failed') {
      chat.connection = 'failed';
      render();
    }
  });
  client.on('connectionStateChanged', (state) => {
    if (state === 'connected' && conversation) chat.connection = 'connected';
    else if (state === 'connecting' && conversation) chat.connection = 'reconnecting';
    else if (state === 'denied') renew().catch(() => {}); // the token ran out while offline: a valid one is asked for once
    render();
  });
  client.on('tokenAboutToExpire', () => renew().catch(() => {}));
  client.on('tokenExpired', () => ended('This chat has ended: your session expired.'));
  client.on('messageAdded', (m) => {
    if (mine(m.conversation)) showMessage(m, true);
  });
  client.on('participantJoined', (p) => {
    if (mine(p.conversation)) joined(p, true);
  });
  client.on('participantLeft', (p) => {
    if (mine(p.conversation)) left(p);
  });
  client.on('participantUpdated', ({ participant, updateReasons }) => {
    if (!mine(participant.conversation) || !updateReasons.includes('lastReadMessageIndex')) return;
    chat.readUpTo = readHorizon([participant], session.identity, chat.readUpTo);
    transcript.receipts(chat.readUpTo);
  });
  client.on('typingStarted', (p) => {
    if (!mine(p.conversation) || p.identity === session.identity) return;
    chat.typing.set(p.sid, remember(p));
    render();
  });
  client.on('typingEnded', (p) => {
    if (!mine(p.conversation)) return;
    chat.typing.delete(p.sid);
    render();
  });
  client.on('conversationUpdated', ({ conversation: c, updateReasons }) => {
    if (mine(c) && updateReasons.includes('state') && isClosed(c)) ended('This chat has ended.');
  });
}

const isClosed = (c) => !!(c.state && c.state.current === 'closed');

/** The SDK is ready: the conversation so far (who is in it, its last messages), then live events. */
async function opened() {
  try {
    conversation = await client.getConversationBySid(session.conversation_sid);
    const people = await conversation.getParticipants();
    for (const p of people) {
      remember(p);
      if (isStaff(p, session.identity)) chat.staff.set(p.sid, displayName(p));
    }
    chat.readUpTo = readHorizon(people, session.identity);
    const page = await conversation.getMessages(100);
    const earlier = page.hasPrevPage ? (await page.prevPage()).items : [];
    for (const m of earlier.concat(page.items)) showMessage(m, false);
    transcript.receipts(chat.readUpTo);
    if (isClosed(conversation)) return ended('This chat has ended.');
    chat.connection = 'connected';
    render();
    markRead();
  } catch (err) {
    console.error('web chat: the conversation could not be opened', err);
    chat.connection = 'failed';
    render();
  }
}

function showMessage(m, live) {
  if (seen.has(m.sid)) return;
  seen.add(m.sid);
  const mine = m.author === session.identity;
  const author = mine ? 'You' : names.get(m.participantSid) || names.get(m.author) || m.author;
  transcript.messageLine(m, author, mine);
  if (!mine) {
    chat.typing.delete(m.participantSid);
    render();
    if (live && !(panelOpen && document.visibilityState === 'visible')) {
      unread++;
      tellParent();
    }
    markRead();
  }
  transcript.receipts(chat.readUpTo);
}

function joined(p, live) {
  if (p.identity === session.identity) return;
  const name = remember(p);
  if (isStaff(p, session.identity)) {
    chat.staff.set(p.sid, name);
    chat.left = null;
  }
  if (live) transcript.systemLine(name + ' joined');
  render();
}

function left(p) {
  if (p.identity === session.identity) return ended('This chat has ended.');
  const name = names.get(p.sid) || displayName(p);
  transcript.systemLine(name + ' left the chat');
  chat.typing.delete(p.sid);
  if (chat.staff.delete(p.sid) && !chat.staff.size) chat.left = name;
  render();
}

/** What the customer can see, they have read: the read horizon moves while the chat is in view. */
let marking = false;
function markRead() {
  if (!conversation || chat.ended || marking || !panelOpen || document.visibilityState !== 'visible') return;
  marking = true;
  conversation
    .setAllMessagesRead()
    .catch(() => undefined)
    .finally(() => (marking = false));
  if (unread) {
    unread = 0;
    tellParent();
  }
}

function shutdown() {
  const c = client;
  client = null;
  conversation = null;
  if (c) {
    c.removeAllListeners();
    c.shutdown().catch(() => {});
  }
}

/** Nothing more can be sent: the reason says why; the box keeps its text; "Start a new chat" takes over. */
function ended(text) {
  if (chat.ended) return;
  // The customer's own End chat: the conversation closing (which may be heard first) is theirs.
  chat.ended = chat.endedByMe ? 'You ended this chat.' : text;
  chat.typing.clear();
  forget();
  // The SDK stays while the conversation closes (who leaves is still shown), unless the token is gone.
  if (/expired/.test(text)) shutdown();
  render();
  composeError('');
  if (document.activeElement === $('message') || document.activeElement === $('send') || document.activeElement === $('end') || document.activeElement === $('confirm-yes'))
    $('new-chat').focus();
}

function open(s) {
  session = s;
  resetChat();
  $('loading').hidden = true;
  $('start').hidden = true;
  $('chat').hidden = false;
  transcript.clear();
  if (widget && widget.greeting) transcript.greetingLine(widget.title, widget.greeting);
  if (s.draft && !$('message').value) $('message').value = s.draft;
  save();
  connect();
  $('message').focus();
}

// ---- The start form
async function startChat(e) {
  e.preventDefault();
  const form = readForm();
  if (!form) return;
  const error = $('start-error');
  error.hidden = true;
  $('start-button').disabled = true;
  try {
    const s = await post('/webchat/v1/Sessions', { Widget: widgetSid, Name: form.name, PreEngagementData: form.answers });
    lastName = form.name;
    names.set(s.identity, form.name);
    open({ ...s, name: form.name });
  } catch (err) {
    error.textContent = startProblem(err);
    error.hidden = false;
    error.focus();
  } finally {
    $('start-button').disabled = false;
  }
}

function showStart() {
  $('loading').hidden = true;
  $('problem').hidden = true;
  $('chat').hidden = true;
  $('start').hidden = false;
  if (lastName && !$('name').value) $('name').value = lastName;
  (lastName ? $('start-button') : $('name')).focus();
}

// ---- Writing
async function send() {
  const body = $('message').value;
  if (!body.trim()) return;
  if (!conversation || $('send').disabled) {
    composeError(chat.ended ? '' : 'Not connected yet: your message is kept; send it once connected.');
    return;
  }
  composeError('');
  $('message').value = '';
  save();
  $('message').focus();
  try {
    await conversation.sendMessage(body);
  } catch (err) {
    notSent(body, err);
  }
}

/** A message that did not go: its text comes back to the box; the chat may have ended meanwhile. */
async function notSent(body, err) {
  console.error('web chat: a message was not sent', err);
  if (body && !$('message').value) $('message').value = body;
  save();
  if (conversation && isClosed(conversation)) return ended('This chat has ended.');
  try {
    await renew(); // a closed chat answers 404 here, and ends the page's chat
    composeError('Your message was not sent. Please try again.');
  } catch (_) {
    if (!chat.ended) composeError('Your message was not sent. Check your connection and try again.');
  }
}

async function sendFile(file) {
  composeError('');
  if (file.size > MAX_FILE) return composeError(`${file.name} is ${transcript.sizeText(file.size)}; files can be up to 5 MB.`);
  if (file.size === 0) return composeError(`${file.name} is empty.`);
  const pending = transcript.pendingLine(`Sending ${file.name}…`);
  try {
    await conversation.sendMessage({ contentType: file.type || 'application/octet-stream', filename: file.name, media: file });
  } catch (err) {
    notSent('', err);
    if (!chat.ended) composeError(`${file.name} was not sent. Please try again.`);
  } finally {
    pending.remove();
  }
}

/** Keeps the draft, and tells the others (the SDK sends it at most once per typing timeout). */
function typing() {
  save();
  if (conversation && !chat.ended) conversation.typing().catch(() => undefined);
}

async function endChat() {
  $('confirm-end').hidden = true;
  chat.endedByMe = true;
  try {
    await post('/webchat/v1/Sessions/End', { Token: session.token });
    ended('You ended this chat.');
  } catch (err) {
    chat.endedByMe = false;
    if (err.status === 404 || err.status === 401) return ended('This chat has ended.');
    composeError('The chat could not be ended. Check your connection and try again.');
    $('end').focus();
  }
}

function newChat() {
  shutdown();
  forget();
  session = null;
  resetChat();
  transcript.clear();
  composeError('');
  // What was being written goes along to the next chat.
  $('message').disabled = false;
  showStart();
}

// ---- The embed panel (embed.js): open or closed, unread count, Escape
function tellParent() {
  if (embedded) window.parent.postMessage({ type: 'switchyard-webchat', unread }, '*');
}

window.addEventListener('message', (e) => {
  if (e.source !== window.parent || !e.data || e.data.type !== 'switchyard-webchat' || typeof e.data.open !== 'boolean') return;
  panelOpen = e.data.open;
  if (panelOpen) markRead();
});
document.addEventListener('visibilitychange', markRead);
document.addEventListener('keydown', (e) => {
  if (embedded && e.key === 'Escape') window.parent.postMessage({ type: 'switchyard-webchat', close: true }, '*');
});

$('start').addEventListener('submit', startChat);
$('compose').addEventListener('submit', (e) => {
  e.preventDefault();
  send();
});
$('message').addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    send();
  }
});
$('message').addEventListener('input', typing);
$('attach').addEventListener('click', () => $('file').click());
$('file').addEventListener('change', () => {
  const file = $('file').files[0];
  $('file').value = '';
  if (file) sendFile(file);
});
$('end').addEventListener('click', () => {
  $('confirm-end').hidden = false;
  $('confirm-no').focus();
});
$('confirm-no').addEventListener('click', () => {
  $('confirm-end').hidden = true;
  $('end').focus();
});
$('confirm-yes').addEventListener('click', endChat);
$('new-chat').addEventListener('click', newChat);

// ---- Start
async function boot() {
  $('problem').hidden = true;
  $('loading').hidden = false;
  widget = await loadWidget(widgetSid, boot);
  if (!widget) return;
  applyWidget(widget);
  const kept = stored(storeKey);
  // A reload resumes the chat; its token is renewed first (the server's clock, not this one, says whether it is still valid).
  if (kept && kept.token && kept.twilsock_url) {
    session = kept;
    lastName = kept.name || '';
    try {
      await renew();
      return open(session);
    } catch (_) {
      session = null;
      forget();
      if (kept.draft) $('message').value = kept.draft;
    }
  }
  showStart();
}
boot();
