// The customer's web chat: plain JS, no build. It starts a session (POST /webchat/v1/Sessions) and
// then runs Twilio's official Conversations SDK (window.Twilio.Conversations, served from
// /vendor/twilio-conversations.js) with the session's token, pointed at this server's twilsock
// endpoint: messages both ways, who joins and leaves, reconnecting and catching up are the SDK's.
// The session is kept in sessionStorage, so a reload resumes the same chat; the token is renewed
// when the server says it is about to expire (the SDK's tokenAboutToExpire) and handed to the SDK.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  const widget = params.get('widget') || '';
  const storeKey = 'switchyard.webchat.' + widget;

  let session = null; // {conversation_sid, identity, token, expires, ttl, twilsock_url, name}
  let client = null;
  let conversation = null;
  let wasConnected = false;
  let closed = false; // the agent closed the chat
  const seen = new Set(); // message SIDs already shown
  const names = new Map(); // participant SID or identity → display name

  function problem(text) {
    $('problem').textContent = text;
    $('problem').hidden = !text;
  }

  function status(text, isError) {
    $('status').textContent = text;
    $('status').classList.toggle('error', !!isError);
  }

  function displayName(p) {
    const a = (p && p.attributes) || {};
    for (const k of ['friendlyName', 'friendly_name', 'name']) if (typeof a[k] === 'string' && a[k].trim()) return a[k].trim();
    return p.identity || 'Someone';
  }

  function remember(p) {
    const name = displayName(p);
    names.set(p.sid, name);
    if (p.identity) names.set(p.identity, name);
    return name;
  }

  function line(cls, author, text) {
    const li = document.createElement('li');
    li.className = cls;
    if (author) {
      const who = document.createElement('span');
      who.className = 'author';
      who.textContent = author;
      li.appendChild(who);
    }
    li.appendChild(document.createTextNode(text));
    const list = $('transcript');
    list.appendChild(li);
    list.scrollTop = list.scrollHeight;
    return li;
  }

  function showMessage(m) {
    if (seen.has(m.sid)) return;
    seen.add(m.sid);
    const mine = m.author === session.identity;
    const author = mine ? 'You' : names.get(m.participantSid) || names.get(m.author) || m.author;
    const li = line(mine ? 'mine' : 'theirs', author, m.body || '');
    li.dataset.sid = m.sid;
  }

  function save() {
    try {
      sessionStorage.setItem(storeKey, JSON.stringify(session));
    } catch (_) {
      /* private mode: the chat still works, it just does not survive a reload */
    }
  }

  function forget() {
    try {
      sessionStorage.removeItem(storeKey);
    } catch (_) {
      /* nothing stored */
    }
  }

  async function post(path, body) {
    const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body || {}) });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw Object.assign(new Error(data.message || 'HTTP ' + res.status), { status: res.status, code: data.code });
    return data;
  }

  // ---- Token: renewed while still valid; a 401 (expired) or 404 (the chat was closed) ends it.
  async function renew() {
    try {
      const fresh = await post('/webchat/v1/Sessions/Token', { Token: session.token });
      session.token = fresh.token;
      session.expires = fresh.expires;
      session.ttl = fresh.ttl;
      save();
      if (client) await client.updateToken(session.token);
    } catch (err) {
      if (err.status === 401 || err.status === 404) ended(err.status === 404 ? 'This chat has ended.' : 'Your chat session expired.');
      throw err;
    }
  }

  // ---- The SDK
  function connect() {
    status('Connecting…');
    const logLevel = params.get('log') || 'error';
    client = new window.Twilio.Conversations.Client(session.token, { twilsock: { uri: session.twilsock_url }, logLevel });
    client.on('stateChanged', (state) => {
      if (state === 'initialized') opened();
      else if (state === 'failed') status('The chat could not connect. Reload the page to try again.', true);
    });
    client.on('connectionStateChanged', (state) => {
      if (closed) return;
      if (state === 'connected' && wasConnected && conversation) {
        // The SDK has reconnected and replays what it missed.
        $('send').disabled = false;
        status('Connected again.');
      } else if (state === 'connecting' && wasConnected) {
        $('send').disabled = true;
        status('Connection lost. Reconnecting…', true);
      } else if (state === 'denied') {
        // The token was refused (it ran out while offline): a valid one is asked for once.
        renew().catch(() => {});
      }
    });
    client.on('tokenAboutToExpire', () => renew().catch(() => {}));
    client.on('tokenExpired', () => ended('Your chat session expired.'));
    client.on('messageAdded', (m) => {
      if (m.conversation.sid === session.conversation_sid) showMessage(m);
    });
    client.on('participantJoined', (p) => participantLine(p, 'joined'));
    client.on('participantLeft', (p) => participantLine(p, 'left'));
    client.on('conversationUpdated', ({ conversation: c, updateReasons }) => {
      if (c.sid === session.conversation_sid && updateReasons.includes('state') && isClosed(c)) chatClosed();
    });
  }

  /** The SDK is ready: the conversation so far (who is in it, its last messages), then live events. */
  async function opened() {
    try {
      conversation = await client.getConversationBySid(session.conversation_sid);
      const people = await conversation.getParticipants();
      for (const p of people) remember(p);
      const page = await conversation.getMessages(100);
      const earlier = page.hasPrevPage ? (await page.prevPage()).items : [];
      for (const m of earlier.concat(page.items)) showMessage(m);
      if (isClosed(conversation)) return chatClosed();
      wasConnected = true;
      $('send').disabled = false;
      const here = people.filter((p) => p.identity && p.identity !== session.identity).map(displayName);
      status(here.length ? 'Connected. ' + here.join(', ') + (here.length > 1 ? ' are here.' : ' is here.') : 'Connected. An agent will be with you shortly.');
    } catch (err) {
      status('The chat could not be opened: ' + err.message, true);
    }
  }

  function participantLine(p, event) {
    if (p.conversation.sid !== session.conversation_sid || p.identity === session.identity) return;
    const name = remember(p);
    line('system', '', event === 'joined' ? name + ' joined' : name + ' left the chat');
    if (event === 'joined') status('Connected. ' + name + ' is here.');
  }

  function shutdown() {
    const c = client;
    client = null;
    conversation = null;
    wasConnected = false;
    if (c) {
      c.removeAllListeners();
      c.shutdown().catch(() => {});
    }
  }

  const isClosed = (c) => !!(c.state && c.state.current === 'closed');

  /** The agent closed the chat: nothing more can be written, but the SDK stays to show who leaves. */
  function chatClosed() {
    closed = true;
    forget();
    $('send').disabled = true;
    $('message').disabled = true;
    status('This chat has ended. Start a new chat to talk to us again.');
  }

  function ended(text) {
    shutdown();
    forget();
    $('send').disabled = true;
    $('message').disabled = true;
    status(text + ' Start a new chat to talk to us again.', true);
  }

  function open(s) {
    session = s;
    closed = false;
    save();
    $('start').hidden = true;
    $('chat').hidden = false;
    $('message').disabled = false;
    $('send').disabled = true;
    connect();
    $('message').focus();
  }

  // ---- Forms
  $('start').addEventListener('submit', async (e) => {
    e.preventDefault();
    const name = $('name').value.trim();
    if (!name) {
      problem('Please tell us your name.');
      $('name').focus();
      return;
    }
    problem('');
    $('start-button').disabled = true;
    try {
      const s = await post('/webchat/v1/Sessions', { Widget: widget, Name: name });
      names.set(s.identity, name);
      open({ ...s, name });
    } catch (err) {
      problem('The chat could not start: ' + err.message);
    } finally {
      $('start-button').disabled = false;
    }
  });

  async function send() {
    const body = $('message').value;
    if (!body.trim()) return;
    if (!conversation || $('send').disabled) {
      status('Not connected: your message was kept, send it again once connected.', true);
      return;
    }
    $('message').value = '';
    $('message').focus();
    try {
      await conversation.sendMessage(body);
    } catch (err) {
      if (!$('message').value) $('message').value = body;
      status('Your message was not sent: ' + err.message, true);
    }
  }

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
  $('end').addEventListener('click', () => {
    shutdown();
    forget();
    session = null;
    seen.clear();
    names.clear();
    $('transcript').textContent = '';
    $('chat').hidden = true;
    $('start').hidden = false;
    $('name').focus();
  });

  // ---- Start
  if (!/^YW[0-9a-fA-F]{32}$/.test(widget)) {
    problem('This chat is not set up: the page needs ?widget=YW… in its address.');
    return;
  }
  fetch('/webchat/v1/Widgets/' + widget)
    .then((r) => (r.ok ? r.json() : Promise.reject(r)))
    .then((w) => {
      $('title').textContent = w.friendly_name;
      document.title = w.friendly_name;
    })
    .catch(() => problem('This chat is not available right now.'));
  let stored = null;
  try {
    stored = JSON.parse(sessionStorage.getItem(storeKey) || 'null');
  } catch (_) {
    stored = null;
  }
  // A reload resumes the chat; its token is renewed first (the server's clock, not this one, says whether it is still valid).
  if (stored && stored.token && stored.twilsock_url) {
    session = stored;
    renew().then(
      () => open(session),
      () => {
        session = null;
        $('start').hidden = false;
      },
    );
  } else {
    $('start').hidden = false;
    $('name').focus();
  }
})();
