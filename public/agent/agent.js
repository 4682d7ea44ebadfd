// The agent desktop: plain JS, no build. The agent signs in (POST /switchyard/v1/Agent/Sessions)
// and gets a worker token and a chat token. The worker token drives Twilio's official worker SDK
// (window.TaskRouter, served from /vendor/twilio-taskrouter.js) through Switchyard's event bridge:
// activity, offers, accept/reject, complete. The chat token drives Twilio's official Conversations
// SDK (window.Twilio.Conversations, from /vendor/twilio-conversations.js) through the twilsock
// endpoint: what is said in the agent's chats, who joins and leaves, and the agent's replies. A
// task's history is read from the agent endpoints (the SDK no longer reads a chat the agent has
// left, as in wrap-up), and so is what the SDKs cannot do (end a chat with wrap-up, transfer), with
// the worker token as a bearer. Tokens are renewed before they expire and handed to both SDKs; the
// session is kept in sessionStorage so a reload resumes it.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const STORE = 'switchyard.agent.session';
  const API = '/switchyard/v1/Agent';
  /** Renew this long before the tokens expire (or at 80 % of their life, if that is sooner). */
  const RENEW_EARLY_MS = 5 * 60 * 1000;

  let session = null; // the sign-in answer, plus `offset`: local clock minus server clock (ms)
  let worker = null;
  let chat = null; // the Conversations SDK's client
  let renewTimer = null;
  let ticker = null;
  let directory = null; // { task_queues, workers } for transfer targets
  const offers = new Map(); // reservation SID → { reservation, li }
  const cards = new Map(); // task SID → { reservation, el, conversationSid, conversation, names, seen:Set, ... }

  // ---------- small helpers ----------

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c);
    return e;
  }

  function problem(text) {
    $('problem').textContent = text || '';
    $('problem').hidden = !text;
  }

  function announce(text) {
    // Cleared first so the same words twice are still read out.
    $('announce').textContent = '';
    setTimeout(() => ($('announce').textContent = text), 50);
  }

  function connection(text, isError) {
    $('connection').textContent = text;
    $('connection').classList.toggle('error', !!isError);
  }

  async function call(method, path, body) {
    const res = await fetch(API + path, {
      method,
      headers: Object.assign({ authorization: 'Bearer ' + session.worker_token }, body ? { 'content-type': 'application/json' } : {}),
      body: body ? JSON.stringify(body) : undefined,
    });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) {
      const err = new Error(data.message || 'HTTP ' + res.status);
      err.status = res.status;
      throw err;
    }
    return data;
  }

  function attrs(task) {
    return (task && task.attributes) || {};
  }
  function channelOf(task) {
    return attrs(task).channelType || task.taskChannelUniqueName || 'task';
  }
  function customerOf(task) {
    const a = attrs(task);
    return a.customerName || a.name || a.from || (a.customers && (a.customers.name || a.customers.identity)) || 'Customer';
  }

  // ---------- sign-in, session, tokens ----------

  function keep(answer) {
    // The server's clock: the tokens were issued `ttl` seconds before `expires`.
    const serverNow = Date.parse(answer.expires) - answer.ttl * 1000;
    session = Object.assign({}, answer, { offset: Date.now() - serverNow });
    sessionStorage.setItem(STORE, JSON.stringify(session));
  }

  async function signIn(ev) {
    ev.preventDefault();
    problem('');
    const button = $('signin-button');
    button.disabled = true;
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
    const expiresLocal = Date.parse(session.expires) + session.offset;
    const early = Math.min(RENEW_EARLY_MS, session.ttl * 1000 * 0.2);
    const wait = Math.max(0, expiresLocal - early - Date.now());
    renewTimer = setTimeout(renew, wait);
  }

  async function renew() {
    try {
      const data = await call('POST', '/Tokens');
      if (worker) worker.updateToken(data.worker_token);
      // Kept once both SDKs hold the new tokens (an SDK offline now takes it when it reconnects).
      if (chat) await chat.updateToken(data.chat_token).catch(() => {});
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
    if (worker) {
      worker.removeAllListeners();
      worker.disconnect();
    }
    worker = null;
    if (chat) {
      chat.removeAllListeners();
      chat.shutdown().catch(() => {});
    }
    chat = null;
    session = null;
    sessionStorage.removeItem(STORE);
    offers.clear();
    cards.clear();
    $('offers').replaceChildren();
    $('tasks').replaceChildren();
    $('desk').hidden = true;
    $('presence').hidden = true;
    $('who').hidden = true;
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

  function start() {
    $('signin').hidden = true;
    $('desk').hidden = false;
    $('presence').hidden = false;
    $('who').hidden = false;
    $('who').textContent = 'Signed in as ' + session.friendly_name;
    connection('Connecting…');
    scheduleRenewal();
    // One desk per agent: a newer one (another tab or window) closes this one's connection, and
    // a desk that goes away (tab closed, connection lost) leaves its agent Offline, not offered work.
    worker = new window.TaskRouter.Worker(session.worker_token, {
      ebServer: session.event_bridge.ebServer,
      wsServer: session.event_bridge.wsServer,
      closeExistingSessions: true,
      setWorkerOfflineIfDisconnected: true,
      logLevel: new URLSearchParams(location.search).get('log') || 'error',
    });
    worker.on('ready', onReady);
    worker.on('activityUpdated', showActivity);
    worker.on('reservationCreated', (r) => {
      addReservation(r);
    });
    worker.on('disconnected', (why) => {
      // The SDK would reconnect by itself: a desk replaced by a newer one stops here instead.
      if (why && /closeExistingSessions/.test(why.message || '')) return stop('You opened the desk in another tab or window; this one is closed.');
      connection('Disconnected from the server; reconnecting…', true);
    });
    worker.on('error', (err) => connection('Connection problem: ' + ((err && err.message) || err), true));
    worker.on('tokenExpired', () => stop('Your session has expired. Please sign in again.'));
    connectChat();
    clearInterval(ticker);
    ticker = setInterval(tick, 1000);
    loadDirectory();
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
  }

  async function setActivity() {
    const select = $('activity');
    const activity = worker && worker.activities.get(select.value);
    if (!activity) return;
    select.disabled = true;
    try {
      await activity.setAsCurrent();
      connection('You are now ' + activity.name + '.');
    } catch (err) {
      problem('Could not change activity: ' + err.message);
      showActivity(worker);
    } finally {
      select.disabled = false;
    }
  }

  // ---------- offers ----------

  function addReservation(r) {
    if (offers.has(r.sid) || cards.has(r.task.sid)) return;
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

  function deadlineOf(r) {
    // The offer's start on the server's clock, moved to ours; its length is `timeout` seconds.
    return r.dateCreated.getTime() + session.offset + r.timeout * 1000;
  }

  function addOffer(r) {
    const task = r.task;
    const customer = customerOf(task);
    const channel = channelOf(task);
    const heading = 'offer-' + r.sid;
    const countdown = el('span', { class: 'countdown', role: 'timer', 'aria-label': 'Time left to answer' });
    const accept = el('button', { type: 'button', class: 'accept', text: 'Accept', 'aria-describedby': heading });
    const reject = el('button', { type: 'button', class: 'secondary reject', text: 'Reject', 'aria-describedby': heading });
    const li = el(
      'li',
      { class: 'card offer', 'data-reservation': r.sid, 'data-task': task.sid, 'aria-labelledby': heading },
      el('h3', { id: heading }, el('span', { class: 'badge channel', text: channel }), ' ', el('span', { class: 'customer', text: customer })),
      el('p', { class: 'muted small' }, task.queueName ? 'Queue: ' + task.queueName : ''),
      el('p', {}, 'Answer within ', countdown),
      el('div', { class: 'row' }, accept, reject),
    );
    accept.addEventListener('click', async () => {
      accept.disabled = reject.disabled = true;
      try {
        await r.accept();
      } catch (err) {
        problem('Could not accept: ' + err.message);
        accept.disabled = reject.disabled = false;
      }
    });
    reject.addEventListener('click', async () => {
      accept.disabled = reject.disabled = true;
      try {
        await r.reject();
      } catch (err) {
        problem('Could not reject: ' + err.message);
        accept.disabled = reject.disabled = false;
      }
    });
    offers.set(r.sid, { reservation: r, li, countdown, deadline: deadlineOf(r) });
    $('offers').append(li);
    $('no-offers').hidden = true;
    tick();
    announce('New ' + channel + ' offer from ' + customer + '.');
  }

  function removeOffer(sid) {
    const o = offers.get(sid);
    if (!o) return;
    offers.delete(sid);
    o.li.remove();
    $('no-offers').hidden = offers.size > 0;
  }

  function offerGone(r, why) {
    if (!offers.has(r.sid)) return;
    removeOffer(r.sid);
    const words = { rejected: 'rejected', timeout: 'timed out', canceled: 'was canceled', rescinded: 'was taken by someone else' };
    announce('The offer from ' + customerOf(r.task) + ' ' + words[why] + '.');
  }

  function tick() {
    const now = Date.now();
    for (const o of offers.values()) {
      const left = Math.max(0, Math.ceil((o.deadline - now) / 1000));
      const text = left >= 60 ? Math.floor(left / 60) + ' min ' + String(left % 60).padStart(2, '0') + ' s' : left + ' s';
      if (o.countdown.textContent !== text) o.countdown.textContent = text;
      o.countdown.classList.toggle('urgent', left <= 15);
    }
  }

  // ---------- tasks ----------

  function addTask(r) {
    const task = r.task;
    if (cards.has(task.sid)) return updateTask(r);
    const a = attrs(task);
    const customer = customerOf(task);
    const channel = channelOf(task);
    const id = 'task-' + task.sid;
    const card = { reservation: r, task, conversationSid: a.conversationSid || null, customerAddress: a.customerAddress, interaction: !!a.flexInteractionSid, seen: new Set(), names: new Map(), conversation: null, customer };
    const transcript = el('ol', { class: 'transcript', 'aria-live': 'polite', 'aria-relevant': 'additions', 'aria-label': 'Conversation with ' + customer, tabindex: '0' });
    const reply = el('textarea', { id: id + '-reply', rows: '2', maxlength: '1600', 'aria-describedby': id + '-reply-hint' });
    const send = el('button', { type: 'submit', class: 'send', text: 'Send' });
    const compose = el(
      'form',
      { class: 'compose' },
      el('label', { for: id + '-reply', text: 'Reply to ' + customer }),
      reply,
      el('p', { id: id + '-reply-hint', class: 'muted small', text: 'Enter sends; Shift+Enter starts a new line.' }),
      el('div', { class: 'row' }, send),
    );
    const endChat = el('button', { type: 'button', class: 'secondary end-chat', text: 'End chat' });
    const complete = el('button', { type: 'button', class: 'complete', text: 'Complete' });
    const target = el('select', { id: id + '-target' });
    const transfer = el('button', { type: 'button', class: 'secondary transfer', text: 'Transfer' });
    const state = el('span', { class: 'state' });
    const note = el('p', { class: 'note muted small', role: 'status' });
    const elCard = el(
      'article',
      { class: 'card task', 'data-task': task.sid, 'aria-labelledby': id + '-heading' },
      el('h3', { id: id + '-heading' }, el('span', { class: 'badge channel', text: channel }), ' ', el('span', { class: 'customer', text: customer })),
      el('p', { class: 'meta muted small' }, 'Status: ', state, task.queueName ? ' · Queue: ' + task.queueName : ''),
      card.conversationSid ? transcript : el('p', { class: 'muted', text: 'This task has no conversation.' }),
      card.conversationSid ? compose : null,
      el('div', { class: 'row' }, card.interaction ? endChat : null, complete),
      card.interaction ? el('div', { class: 'row' }, el('label', { for: id + '-target', text: 'Transfer to' }), target, transfer) : null,
      note,
    );
    Object.assign(card, { el: elCard, transcript, reply, send, endChat, complete, target, transfer, state, note, compose });
    cards.set(task.sid, card);

    compose.addEventListener('submit', (ev) => {
      ev.preventDefault();
      sendReply(card);
    });
    reply.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && !ev.shiftKey) {
        ev.preventDefault();
        sendReply(card);
      }
    });
    endChat.addEventListener('click', () => endTheChat(card));
    complete.addEventListener('click', () => completeTask(card));
    transfer.addEventListener('click', () => transferTask(card));
    fillTargets(card);

    $('tasks').append(elCard);
    $('no-tasks').hidden = true;
    updateTask(r);
    if (card.conversationSid) openConversation(card);
    announce('You are now working on the ' + channel + ' from ' + customer + '.');
    if (card.conversationSid && r.status === 'accepted') reply.focus();
  }

  function updateTask(r) {
    const card = cards.get(r.task.sid);
    if (!card) return;
    const wrapping = r.status === 'wrapping' || r.task.status === 'wrapping';
    card.state.textContent = wrapping ? 'wrapping up' : r.task.status === 'assigned' ? 'in progress' : r.task.status;
    card.el.classList.toggle('wrapping', wrapping);
    card.endChat.disabled = wrapping;
    card.transfer.disabled = wrapping;
    card.target.disabled = wrapping;
    card.send.disabled = wrapping;
    card.reply.disabled = wrapping;
    // A chat ends before it is completed (Flex's order); other tasks can be completed at once.
    card.complete.disabled = card.interaction && !wrapping;
  }

  function taskDone(r, how) {
    removeOffer(r.sid);
    const card = cards.get(r.task.sid);
    if (!card) return;
    cards.delete(r.task.sid);
    card.el.remove();
    $('no-tasks').hidden = cards.size > 0;
    announce('The task from ' + card.customer + ' is ' + how + '.');
  }

  async function endTheChat(card) {
    card.endChat.disabled = true;
    card.note.textContent = 'Ending the chat…';
    try {
      await call('POST', '/Tasks/' + card.task.sid + '/EndChat');
      card.note.textContent = 'Chat ended. Complete the task when you are done with it.';
      card.complete.disabled = false;
      card.complete.focus();
    } catch (err) {
      card.note.textContent = '';
      problem('Could not end the chat: ' + err.message);
      card.endChat.disabled = false;
    }
  }

  async function completeTask(card) {
    card.complete.disabled = true;
    try {
      await card.task.complete('Completed by the agent');
    } catch (err) {
      problem('Could not complete the task: ' + err.message);
      card.complete.disabled = false;
    }
  }

  // ---------- transfers ----------

  async function loadDirectory() {
    try {
      directory = await call('GET', '/Directory');
      for (const card of cards.values()) fillTargets(card);
    } catch {
      directory = null;
    }
  }

  function fillTargets(card) {
    const select = card.target;
    if (!select) return;
    const keep = select.value;
    select.replaceChildren(el('option', { value: '', text: 'Choose a queue or an agent' }));
    if (directory) {
      const queues = el('optgroup', { label: 'Queues' });
      for (const q of directory.task_queues) queues.append(el('option', { value: q.sid, text: q.friendly_name }));
      const people = el('optgroup', { label: 'Agents' });
      for (const w of directory.workers) people.append(el('option', { value: w.sid, text: w.friendly_name + ' (' + w.activity_name + ')' }));
      select.append(queues, people);
    }
    select.value = keep;
    // The list is fetched again whenever the agent opens it, so activities are current.
    select.onfocus = () => loadDirectory();
  }

  async function transferTask(card) {
    const to = card.target.value;
    if (!to) {
      card.note.textContent = 'Choose where to transfer first.';
      card.target.focus();
      return;
    }
    const name = card.target.selectedOptions[0].textContent;
    card.transfer.disabled = true;
    try {
      await call('POST', '/Tasks/' + card.task.sid + '/Transfer', { To: to });
      card.note.textContent = 'Transfer to ' + name + ' requested. You keep the chat until it is accepted.';
    } catch (err) {
      problem('Could not transfer: ' + err.message);
    } finally {
      card.transfer.disabled = false;
    }
  }

  // ---------- chats: the Conversations SDK, and each task's history ----------

  function connectChat() {
    if (!session) return;
    const logLevel = new URLSearchParams(location.search).get('log') || 'error';
    chat = new window.Twilio.Conversations.Client(session.chat_token, { twilsock: { uri: session.twilsock_url }, logLevel });
    chat.on('stateChanged', (state) => {
      if (state === 'failed') problem('The chat could not connect: replies cannot be sent. Sign in again to retry.');
    });
    // The server warns before the token runs out (the desk renews earlier; this is in case its timer was held up).
    chat.on('tokenAboutToExpire', () => renew());
    chat.on('conversationJoined', (c) => {
      const card = cardFor(c.sid);
      if (card) card.conversation = c;
    });
    chat.on('messageAdded', (m) => {
      const card = cardFor(m.conversation.sid);
      if (card) showMessage(card, m);
    });
    chat.on('participantJoined', (p) => participantLine(p, 'joined'));
    chat.on('participantLeft', (p) => participantLine(p, 'left'));
  }

  function cardFor(conversationSid) {
    for (const card of cards.values()) if (card.conversationSid === conversationSid) return card;
    return null;
  }

  /** A participant's name, when their attributes give one (a customer's; an agent is known by identity). */
  function nameOf(attributes) {
    const a = attributes || {};
    for (const k of ['friendlyName', 'friendly_name', 'name']) if (typeof a[k] === 'string' && a[k].trim()) return a[k].trim();
    return null;
  }

  function remember(card, p) {
    const name = nameOf(p.attributes);
    if (name) card.names.set(p.sid, name);
    return name || p.identity || (p.bindings && p.bindings.sms && p.bindings.sms.address) || 'Someone';
  }

  function participantLine(p, event) {
    const card = cardFor(p.conversation.sid);
    if (!card || p.identity === session.identity) return;
    systemLine(card, remember(card, p) + (event === 'joined' ? ' joined.' : ' left.'));
  }

  /** The chat so far (the agent endpoint: it answers in every state), and the SDK's conversation to reply in. */
  async function openConversation(card) {
    loadTranscript(card);
    if (card.reservation.status !== 'accepted' || !chat) return;
    try {
      const c = await chat.getConversationBySid(card.conversationSid);
      card.conversation = card.conversation || c;
      for (const p of await c.getParticipants()) remember(card, p);
    } catch (err) {
      card.note.textContent = 'The chat is not reachable yet: ' + err.message;
    }
  }

  async function loadTranscript(card) {
    try {
      const data = await call('GET', '/Tasks/' + card.task.sid + '/Messages');
      for (const m of data.messages) showMessage(card, { sid: m.sid, index: m.index, author: m.author, body: m.body, participantSid: m.participant_sid });
    } catch (err) {
      card.note.textContent = 'Could not load the conversation so far: ' + err.message;
    }
  }

  function showMessage(card, m) {
    if (card.seen.has(m.sid)) return;
    card.seen.add(m.sid);
    const mine = m.author === session.identity;
    const author = mine ? 'You' : card.names.get(m.participantSid) || (m.author === card.customerAddress ? card.customer : m.author || card.customer);
    const li = el('li', { class: mine ? 'mine' : 'theirs', 'data-sid': m.sid, 'data-index': String(m.index) }, el('span', { class: 'author', text: author }), m.body || '');
    // Keep the order of the conversation, whatever order the SDK and the read-back come in.
    const after = [...card.transcript.children].find((x) => x.dataset.index && Number(x.dataset.index) > m.index);
    card.transcript.insertBefore(li, after || null);
    card.transcript.scrollTop = card.transcript.scrollHeight;
  }

  function systemLine(card, text) {
    card.transcript.append(el('li', { class: 'system', text }));
    card.transcript.scrollTop = card.transcript.scrollHeight;
  }

  async function sendReply(card) {
    const text = card.reply.value.trim();
    if (!text || card.reply.disabled) return;
    if (!card.conversation) {
      card.note.textContent = 'Not connected to the chat yet; try again in a moment.';
      return;
    }
    card.reply.value = '';
    card.note.textContent = '';
    try {
      await card.conversation.sendMessage(text);
    } catch (err) {
      card.note.textContent = 'Not sent: ' + ((err.body && err.body.message) || err.message);
      if (!card.reply.value) card.reply.value = text;
    }
  }

  // ---------- start ----------

  $('signin').addEventListener('submit', signIn);
  $('activity').addEventListener('change', setActivity);
  $('signout').addEventListener('click', () => stop(''));

  const saved = sessionStorage.getItem(STORE);
  try {
    session = saved ? JSON.parse(saved) : null;
  } catch {
    session = null;
  }
  // A session kept by an older page (no twilsock_url) signs in again rather than point the SDK elsewhere.
  if (session && session.twilsock_url && Date.parse(session.expires) + session.offset > Date.now() + 10000) start();
  else {
    session = null;
    sessionStorage.removeItem(STORE);
    showSignIn();
  }
})();
