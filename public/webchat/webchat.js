// The customer's web chat: plain JS, no build. It starts a session (POST /webchat/v1/Sessions),
// then talks over the chat WebSocket (frames: ready, message, participant, ack, error). The session
// is kept in sessionStorage, so a reload resumes the same chat; the token is renewed before it
// expires, and a dropped socket reconnects and reads back what it missed (the transcript).
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const widget = new URLSearchParams(location.search).get('widget') || '';
  const storeKey = 'switchyard.webchat.' + widget;

  let session = null; // {conversation_sid, identity, token, expires, ttl, chat_url, name}
  let ws = null;
  let closing = false;
  let retry = 0;
  let renewTimer = null;
  let reconnectTimer = null;
  let ref = 0;
  const seen = new Set(); // message SIDs already shown
  const names = new Map(); // identity → display name

  function problem(text) {
    $('problem').textContent = text;
    $('problem').hidden = !text;
  }

  function status(text, isError) {
    $('status').textContent = text;
    $('status').classList.toggle('error', !!isError);
  }

  function displayName(identity, attributes) {
    const a = attributes || {};
    for (const k of ['friendlyName', 'friendly_name', 'name']) if (typeof a[k] === 'string' && a[k].trim()) return a[k].trim();
    return identity || 'Someone';
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
    const li = line(mine ? 'mine' : 'theirs', mine ? 'You' : names.get(m.author) || m.author, m.body || '');
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

  async function post(path, body, token) {
    const headers = { 'content-type': 'application/json' };
    if (token) headers.authorization = 'Bearer ' + token;
    const res = await fetch(path, { method: 'POST', headers, body: JSON.stringify(body || {}) });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw Object.assign(new Error(data.message || 'HTTP ' + res.status), { status: res.status, code: data.code });
    return data;
  }

  // ---- Token: renewed at 80% of its life, and whenever a reconnect finds it close to expiry.
  function scheduleRenewal() {
    clearTimeout(renewTimer);
    const ms = Math.max(5, Math.floor((session.ttl || 3600) * 0.8)) * 1000;
    session.renewAt = Date.now() + ms;
    renewTimer = setTimeout(() => renew().catch(() => {}), ms);
  }

  async function renew() {
    try {
      const fresh = await post('/webchat/v1/Sessions/Token', { Token: session.token });
      session.token = fresh.token;
      session.expires = fresh.expires;
      session.ttl = fresh.ttl;
      save();
      scheduleRenewal();
    } catch (err) {
      if (err.status === 401 || err.status === 404) ended(err.status === 404 ? 'This chat has ended.' : 'Your chat session expired.');
      throw err;
    }
  }

  // ---- Socket
  function connect() {
    clearTimeout(reconnectTimer);
    closing = false;
    status(retry === 0 ? 'Connecting…' : 'Reconnecting…');
    const socket = new WebSocket(session.chat_url + '?token=' + encodeURIComponent(session.token));
    ws = socket;
    socket.onmessage = (e) => {
      let f;
      try {
        f = JSON.parse(e.data);
      } catch (_) {
        return;
      }
      onFrame(f);
    };
    socket.onclose = () => {
      if (ws !== socket || closing) return;
      ws = null;
      $('send').disabled = true;
      // Back off 1, 2, 4... up to 15 s; a token near its end is renewed first (a 401 closes the socket too).
      const wait = Math.min(15000, 1000 * 2 ** retry++);
      status('Connection lost. Reconnecting in ' + Math.round(wait / 1000) + ' s…', true);
      reconnectTimer = setTimeout(async () => {
        if (retry > 1 || Date.now() > (session.renewAt || 0)) {
          try {
            await renew();
          } catch (_) {
            /* ended() has said so when the chat is over; otherwise the socket tries anyway */
          }
        }
        if (session && !closing) connect();
      }, wait);
    };
  }

  function onFrame(f) {
    if (f.type === 'ready') {
      retry = 0;
      $('send').disabled = false;
      status('Connected. An agent will be with you shortly.');
      catchUp();
    } else if (f.type === 'message') {
      if (f.conversation_sid === session.conversation_sid) showMessage(f.message);
    } else if (f.type === 'participant') {
      if (f.conversation_sid !== session.conversation_sid || f.identity === session.identity) return;
      const name = displayName(f.identity, f.attributes);
      if (f.identity) names.set(f.identity, name);
      line('system', '', f.event === 'joined' ? name + ' joined' : name + ' left the chat');
      if (f.event === 'joined') status('Connected. ' + name + ' is here.');
    } else if (f.type === 'error') {
      status('Your message was not sent: ' + (f.message || 'error ' + f.code), true);
    }
  }

  /** After (re)connecting: messages that arrived while the socket was away, and who is in the chat. */
  async function catchUp() {
    try {
      const res = await fetch('/webchat/v1/Sessions/Transcript', { headers: { authorization: 'Bearer ' + session.token } });
      if (res.status === 404) return ended('This chat has ended.');
      if (!res.ok) return;
      const t = await res.json();
      for (const p of t.participants) if (p.identity && p.identity !== session.identity) names.set(p.identity, displayName(p.identity, p.attributes));
      for (const m of t.messages) showMessage(m);
    } catch (_) {
      /* offline again: the next reconnect tries once more */
    }
  }

  function ended(text) {
    closing = true;
    clearTimeout(renewTimer);
    clearTimeout(reconnectTimer);
    if (ws) ws.close();
    ws = null;
    forget();
    $('send').disabled = true;
    $('message').disabled = true;
    status(text + ' Start a new chat to talk to us again.', true);
  }

  function open(s) {
    session = s;
    save();
    $('start').hidden = true;
    $('chat').hidden = false;
    $('message').disabled = false;
    $('send').disabled = true;
    scheduleRenewal();
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

  function send() {
    const body = $('message').value;
    if (!body.trim()) return;
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      status('Not connected: your message was kept, send it again once connected.', true);
      return;
    }
    ws.send(JSON.stringify({ type: 'message', conversation_sid: session.conversation_sid, body, ref: ++ref }));
    $('message').value = '';
    $('message').focus();
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
    closing = true;
    if (ws) ws.close();
    ws = null;
    clearTimeout(renewTimer);
    clearTimeout(reconnectTimer);
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
  if (stored && stored.token) {
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
