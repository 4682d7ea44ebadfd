// The transcript as the customer reads it: messages with their author and time, line breaks kept,
// attachments (images shown, other files as download links, both through the Conversations media
// the SDK hands out), who joined and left, and "Sent"/"Read" under the customer's last message.
const list = () => document.getElementById('transcript');
const clock = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });

function scrollDown() {
  const l = list();
  l.scrollTop = l.scrollHeight;
}

export function clear() {
  list().textContent = '';
}

/** A line of the chat itself: someone joined or left. */
export function systemLine(text) {
  const li = document.createElement('li');
  li.className = 'system';
  li.textContent = text;
  list().appendChild(li);
  scrollDown();
  return li;
}

/** The widget's greeting, first in the transcript: shown here only, never a message of the conversation. */
export function greetingLine(author, text) {
  const li = document.createElement('li');
  li.className = 'greeting';
  li.append(meta(author, null), body(text));
  list().appendChild(li);
}

function meta(author, date) {
  const m = document.createElement('span');
  m.className = 'meta';
  const who = document.createElement('span');
  who.className = 'author';
  who.textContent = author;
  m.appendChild(who);
  if (date) {
    const t = document.createElement('time');
    t.dateTime = date.toISOString();
    t.textContent = clock.format(date);
    m.appendChild(t);
  }
  return m;
}

function body(text) {
  const b = document.createElement('div');
  b.className = 'body';
  b.textContent = text;
  return b;
}

export function sizeText(bytes) {
  if (bytes < 1024) return bytes + ' B';
  if (bytes < 1024 * 1024) return Math.round(bytes / 102.4) / 10 + ' kB';
  return Math.round(bytes / 104857.6) / 10 + ' MB';
}

/** One attachment: an image is shown (its file name as its text), any other file is a download link. */
function attachment(media) {
  const box = document.createElement('div');
  box.className = 'attachment';
  const name = media.filename || (media.contentType.startsWith('image/') ? 'image' : 'file');
  const link = document.createElement('a');
  link.textContent = name;
  link.download = name;
  const size = document.createElement('span');
  size.className = 'size';
  size.textContent = ' (' + sizeText(media.size) + ')';
  // A content URL works for a few minutes: each use asks the SDK for a fresh one.
  let fetched = 0;
  const fresh = async () => {
    const url = await media.getContentTemporaryUrl();
    fetched = Date.now();
    link.href = url;
    return url;
  };
  link.addEventListener('click', (e) => {
    if (Date.now() - fetched < 60_000) return;
    e.preventDefault();
    fresh().then(() => link.click(), () => undefined);
  });
  if (media.contentType.startsWith('image/')) {
    const img = document.createElement('img');
    img.alt = name;
    img.loading = 'lazy';
    fresh().then((url) => (img.src = url), () => (img.alt = name + ' (could not be loaded)'));
    img.addEventListener('load', scrollDown, { once: true });
    box.append(img);
  } else {
    fresh().catch(() => undefined);
  }
  box.append(link, size);
  return box;
}

/** A message of the conversation; `mine`: the customer's own. Returns its line. */
export function messageLine(m, author, mine) {
  const li = document.createElement('li');
  li.className = mine ? 'mine' : 'theirs';
  li.dataset.sid = m.sid;
  li.dataset.index = String(m.index);
  li.appendChild(meta(author, m.dateCreated));
  if (m.body) li.appendChild(body(m.body));
  for (const media of m.attachedMedia || []) li.appendChild(attachment(media));
  list().appendChild(li);
  scrollDown();
  return li;
}

/** A file on its way: shown until its message arrives (or it fails). */
export function pendingLine(text) {
  const li = document.createElement('li');
  li.className = 'mine pending';
  li.textContent = text;
  list().appendChild(li);
  scrollDown();
  return li;
}

/**
 * "Read" under the customer's last message once an agent's read horizon reaches it, "Sent" before.
 * Only the last one says it, as chat apps do.
 */
export function receipts(readUpTo) {
  for (const r of list().querySelectorAll('.receipt')) r.remove();
  const mine = list().querySelectorAll('li.mine[data-index]');
  const last = mine[mine.length - 1];
  if (!last) return;
  const r = document.createElement('span');
  r.className = 'receipt';
  r.textContent = readUpTo !== null && Number(last.dataset.index) <= readUpTo ? 'Read' : 'Sent';
  last.appendChild(r);
}
