// A task's conversation through the official Conversations SDK (window.Twilio.Conversations over
// twilsock): what is said, with timestamps, line breaks, attachments (the SDK's media service,
// /mcs) and, for email, the subject and the quoted text folded away; who joins and leaves; who is
// typing; how far the customer has read. The agent's replies and files go out through the SDK too.
import { bytes, el, problem, timeOf } from './dom.js';
import { call, state } from './state.js';
import { cardFor, refreshItem } from './tasks.js';
import { transferJoined } from './transfer.js';

export function connectChat(renew) {
  const logLevel = new URLSearchParams(location.search).get('log') || 'error';
  const chat = new window.Twilio.Conversations.Client(state.session.chat_token, { twilsock: { uri: state.session.twilsock_url }, logLevel });
  state.chat = chat;
  chat.on('stateChanged', (s) => {
    if (s === 'failed') problem('The chat could not connect: replies cannot be sent. Sign in again to retry.');
  });
  // The server warns before the token runs out (the desk renews earlier; this is in case its timer was held up).
  chat.on('tokenAboutToExpire', () => renew());
  chat.on('conversationJoined', (c) => {
    const card = cardFor(c.sid);
    if (!card) return;
    if (!card.conversation) card.conversation = c;
    // A message sent while the SDK was joining is neither in what the card read before (the agent
    // route, when the SDK did not have the conversation yet) nor a messageAdded: read the chat again.
    c.getMessages(100)
      .then((page) => page.items.forEach((m) => showMessage(card, fromSdk(m), false)))
      .catch(() => undefined);
  });
  chat.on('messageAdded', (m) => {
    const card = cardFor(m.conversation.sid);
    if (card) showMessage(card, fromSdk(m), true);
  });
  chat.on('participantJoined', (p) => participantLine(p, 'joined'));
  chat.on('participantLeft', (p) => participantLine(p, 'left'));
  chat.on('participantUpdated', ({ participant, updateReasons }) => {
    if (!updateReasons.includes('lastReadMessageIndex')) return;
    const card = cardFor(participant.conversation.sid);
    if (card) showReadState(card);
  });
  chat.on('typingStarted', (p) => typing(p, true));
  chat.on('typingEnded', (p) => typing(p, false));
  return chat;
}

/** The SDK's message as the transcript shows it (the same shape as the agent route's). */
function fromSdk(m) {
  return {
    sid: m.sid,
    index: m.index,
    author: m.author,
    body: m.body,
    subject: m.subject || null,
    attributes: m.attributes || {},
    date: m.dateCreated,
    participantSid: m.participantSid,
    media: (m.getMediaByCategories ? m.getMediaByCategories(['media', 'body', 'history']) : m.attachedMedia || []).map((x) => ({ sid: x.sid, filename: x.filename, contentType: x.contentType, size: x.size, category: x.category || 'media', sdk: x })),
  };
}

function fromRoute(m) {
  let attributes = {};
  try {
    attributes = typeof m.attributes === 'string' ? JSON.parse(m.attributes) : m.attributes || {};
  } catch {
    attributes = {};
  }
  return {
    sid: m.sid,
    index: m.index,
    author: m.author,
    body: m.body,
    subject: m.subject || null,
    attributes,
    date: m.date_created ? new Date(m.date_created) : null,
    participantSid: m.participant_sid,
    media: (m.media || []).map((x) => ({ sid: x.sid, filename: x.filename, contentType: x.content_type, size: x.size, category: x.category || 'media', sdk: null })),
  };
}

/** A participant's name, when their attributes give one (a customer's; an agent is known by identity). */
export function nameOf(attributes) {
  const a = attributes || {};
  for (const k of ['friendlyName', 'friendly_name', 'name', 'display_name', 'displayName']) if (typeof a[k] === 'string' && a[k].trim()) return a[k].trim();
  return null;
}

function remember(card, p) {
  const name = nameOf(p.attributes);
  if (name) card.names.set(p.sid, name);
  if (p.identity) card.identities.set(p.sid, p.identity);
  return name || p.identity || (p.bindings && p.bindings.sms && p.bindings.sms.address) || 'Someone';
}

function participantLine(p, event) {
  const card = cardFor(p.conversation.sid);
  if (!card || p.identity === state.session.identity) return;
  const who = remember(card, p);
  systemLine(card, who + (event === 'joined' ? ' joined.' : ' left.'));
  if (event === 'joined') transferJoined(card, p.identity, who);
}

/**
 * The chat so far and the SDK's conversation to reply in. While the agent is in the chat the SDK
 * reads it (attachments included); once they have left (wrap-up, or a reload then) the agent route does.
 */
export async function openConversation(card) {
  if (card.reservation.status === 'accepted' && state.chat) {
    try {
      const c = await state.chat.getConversationBySid(card.conversationSid);
      card.conversation = card.conversation || c;
      for (const p of await c.getParticipants()) remember(card, p);
      const page = await c.getMessages(100);
      for (const m of page.items) showMessage(card, fromSdk(m), false);
      showReadState(card);
      markRead(card);
      return;
    } catch (err) {
      card.note.textContent = 'The chat is not reachable yet: ' + err.message;
    }
  }
  await loadTranscript(card);
}

async function loadTranscript(card) {
  try {
    const data = await call('GET', '/Tasks/' + card.task.sid + '/Messages');
    for (const m of data.messages) showMessage(card, fromRoute(m), false);
  } catch (err) {
    card.note.textContent = 'Could not load the conversation so far: ' + err.message;
  }
}

function authorOf(card, m) {
  if (m.author === state.session.identity) return 'You';
  const a = m.attributes || {};
  // A channel gateway may name the sender on the message itself (Messenger, WhatsApp, email).
  const given = nameOf(a) || nameOf(a.sender) || nameOf(a.from) || (typeof a.senderName === 'string' && a.senderName) || (typeof a.fromName === 'string' && a.fromName);
  return card.names.get(m.participantSid) || given || (m.author === card.customerAddress ? card.customer : m.author || card.customer);
}

export function showMessage(card, m, live) {
  if (card.seen.has(m.sid)) return;
  card.seen.add(m.sid);
  const mine = m.author === state.session.identity;
  const email = emailParts(m);
  const li = el(
    'li',
    { class: 'msg ' + (mine ? 'mine' : 'theirs'), 'data-sid': m.sid, 'data-index': String(m.index) },
    el('span', { class: 'author', text: authorOf(card, m) }),
    ' ',
    timeOf(m.date),
    mine ? el('span', { class: 'read-state small muted' }) : null,
    m.subject ? el('span', { class: 'subject', text: m.subject }) : null,
    m.body ? el('span', { class: 'body', text: email.quoted ? email.text : m.body }) : null,
    email.quoted ? el('details', { class: 'quoted' }, el('summary', { text: 'Quoted text' }), el('span', { class: 'body', text: email.quoted })) : null,
    email.history ? historyOf(email.history, m.body) : null,
    attachments(m.media.filter((x) => x.category === 'media' || !x.category)),
  );
  // Keep the order of the conversation, whatever order the SDK and the read-back come in.
  const after = [...card.transcript.children].find((x) => x.dataset.index && Number(x.dataset.index) > m.index);
  card.transcript.insertBefore(li, after || null);
  card.transcript.scrollTop = card.transcript.scrollHeight;
  card.last = { body: m.body || (m.media.length ? 'Attachment' : ''), mine };
  if (live && !mine) {
    if (state.selected !== card.task.sid || document.visibilityState !== 'visible') card.unread += 1;
    else markRead(card);
  }
  if (mine) showReadState(card);
  refreshItem(card);
}

/**
 * An email's parts: its message body is the text the mail adds (the email gateway cuts the quoted
 * history, as Twilio's email channel does); the whole text comes as a `body` media (text/plain)
 * when it holds more, or the history as a `history` media: either is the quoted text, folded away.
 * A gateway may also give it in the attributes; failing all that, the lines starting with `>` at
 * the end of an email's body are the quote.
 */
function emailParts(m) {
  const a = m.attributes || {};
  const plain = (x) => /^text\/plain/.test(x.contentType || '');
  const history = m.media.find((x) => x.category === 'history' && plain(x)) || m.media.find((x) => x.category === 'body' && plain(x)) || null;
  const quotedAttr = typeof a.quotedText === 'string' ? a.quotedText : typeof a.quoted_text === 'string' ? a.quoted_text : a.email && typeof a.email.quoted === 'string' ? a.email.quoted : null;
  if (quotedAttr && m.body) return { text: m.body.endsWith(quotedAttr) ? m.body.slice(0, -quotedAttr.length).trimEnd() : m.body, quoted: quotedAttr, history: null };
  if (history) return { text: m.body, quoted: null, history };
  if (m.body && (m.subject || a.email || a.channel === 'email')) {
    const lines = m.body.split('\n');
    let cut = lines.length;
    while (cut > 0 && (/^\s*>/.test(lines[cut - 1]) || lines[cut - 1].trim() === '')) cut--;
    // The "On <date>, <someone> wrote:" line belongs to the quote.
    if (cut < lines.length && cut > 0 && /wrote:\s*$/.test(lines[cut - 1])) cut--;
    if (cut < lines.length && lines.slice(cut).some((l) => /^\s*>/.test(l))) return { text: lines.slice(0, cut).join('\n').trimEnd(), quoted: lines.slice(cut).join('\n').trim(), history: null };
  }
  return { text: m.body, quoted: null, history: null };
}

/** The quoted history an email carries as media, as text, folded away and read when unfolded. */
function historyOf(media, shown) {
  const body = el('span', { class: 'body', text: 'Loading…' });
  const box = el('details', { class: 'quoted' }, el('summary', { text: 'Quoted text' }), body);
  if (!media.sdk) {
    body.textContent = 'Readable while you are in the conversation.';
    return box;
  }
  box.addEventListener('toggle', async () => {
    if (!box.open || box.dataset.loaded) return;
    box.dataset.loaded = '1';
    try {
      const url = await media.sdk.getContentTemporaryUrl();
      let text = await (await fetch(url)).text();
      if (/html/.test(media.contentType || '')) text = new DOMParser().parseFromString(text, 'text/html').body.textContent;
      text = text.trim();
      // A whole-text body starts with what the message already shows: only the rest is the quote.
      const already = (shown || '').trim();
      if (media.category === 'body' && already && text.startsWith(already)) text = text.slice(already.length).trim();
      body.textContent = text || 'Nothing more than the message above.';
    } catch {
      body.textContent = 'The quoted text could not be loaded.';
    }
  });
  return box;
}

function attachments(list) {
  if (!list.length) return null;
  const ul = el('ul', { class: 'attachments' });
  for (const media of list) {
    const name = media.filename || 'attachment';
    const label = name + (media.size ? ' (' + bytes(media.size) + ')' : '');
    const li = el('li', { class: 'attachment', 'data-media': media.sid });
    ul.append(li);
    if (!media.sdk) {
      li.append(el('span', { class: 'muted', text: label + ' — viewable while you are in the chat' }));
      continue;
    }
    li.append(el('span', { class: 'muted', text: 'Loading ' + name + '…' }));
    media.sdk
      .getContentTemporaryUrl()
      .then((url) => {
        const link = el('a', { href: url, target: '_blank', rel: 'noopener', download: name });
        if (/^image\//.test(media.contentType || '')) link.append(el('img', { src: url, alt: name, loading: 'lazy' }));
        link.append(el('span', { class: 'filename', text: label }));
        li.replaceChildren(link);
      })
      .catch(() => li.replaceChildren(el('span', { class: 'error', text: name + ' could not be loaded' })));
  }
  return ul;
}

export function systemLine(card, text) {
  card.transcript.append(el('li', { class: 'system', text }));
  card.transcript.scrollTop = card.transcript.scrollHeight;
}

/** "Read" on the agent's messages the customer (any other chat participant) has read up to. */
export function showReadState(card) {
  const c = card.conversation;
  if (!c) return;
  c.getParticipants()
    .then((ps) => {
      let read = -1;
      for (const p of ps) if (p.identity && p.identity !== state.session.identity && p.lastReadMessageIndex !== null) read = Math.max(read, p.lastReadMessageIndex);
      for (const li of card.transcript.querySelectorAll('li.mine')) {
        const mark = li.querySelector('.read-state');
        if (mark) mark.textContent = Number(li.dataset.index) <= read ? 'Read' : 'Sent';
      }
    })
    .catch(() => {});
}

/** The agent has seen what is there: for the other side's read state, and this desk's unread count. */
export function markRead(card) {
  card.unread = 0;
  refreshItem(card);
  if (card.conversation && card.reservation.status === 'accepted') card.conversation.setAllMessagesRead().catch(() => {});
}

function typing(p, on) {
  const card = cardFor(p.conversation.sid);
  if (!card || p.identity === state.session.identity) return;
  const who = card.names.get(p.sid) || nameOf(p.attributes) || p.identity || 'Someone';
  if (on) card.typists.add(who);
  else card.typists.delete(who);
  const names = [...card.typists];
  card.typing.textContent = names.length === 0 ? '' : names.join(' and ') + (names.length > 1 ? ' are typing…' : ' is typing…');
}

/** Tells the others the agent is typing (the SDK sends at most one such signal every few seconds). */
export function agentTyping(card) {
  if (card.conversation && card.reservation.status === 'accepted') Promise.resolve(card.conversation.typing()).catch(() => {});
}

/** The agent's reply, text and an attached file, through the SDK. */
export async function sendReply(card) {
  const text = card.reply.value.trim();
  const file = card.file.files && card.file.files[0];
  if ((!text && !file) || card.reply.disabled) return;
  if (!card.conversation) {
    card.note.textContent = 'Not connected to the chat yet; try again in a moment.';
    return;
  }
  card.reply.value = '';
  card.note.textContent = file ? 'Sending ' + file.name + '…' : '';
  try {
    if (file) {
      const builder = card.conversation.prepareMessage();
      if (text) builder.setBody(text);
      builder.addMedia({ contentType: file.type || 'application/octet-stream', filename: file.name, media: file });
      await builder.build().send();
      clearAttachment(card);
      card.note.textContent = '';
    } else {
      await card.conversation.sendMessage(text);
    }
  } catch (err) {
    card.note.textContent = 'Not sent: ' + ((err.body && err.body.message) || err.message);
    if (!card.reply.value) card.reply.value = text;
  }
}

export function clearAttachment(card) {
  card.file.value = '';
  card.fileName.textContent = '';
  card.clearFile.hidden = true;
}
