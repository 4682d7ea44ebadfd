// The chat's session with this server's public web chat API (/webchat/v1), and the copy kept in
// sessionStorage so that a reload resumes the chat with what was being written.

/** POSTs JSON; a refusal rejects with the server's message, HTTP status, Twilio code and Retry-After. */
export async function post(path, body) {
  const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body || {}) });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw Object.assign(new Error(data.message || 'HTTP ' + res.status), { status: res.status, code: data.code, retryAfter: res.headers.get('retry-after') });
  return data;
}

export function stored(key) {
  try {
    return JSON.parse(sessionStorage.getItem(key) || 'null');
  } catch (_) {
    return null;
  }
}

export function keep(key, value) {
  try {
    sessionStorage.setItem(key, JSON.stringify(value));
  } catch (_) {
    /* private mode: the chat still works, it just does not survive a reload */
  }
}

export function forget(key) {
  try {
    sessionStorage.removeItem(key);
  } catch (_) {
    /* nothing stored */
  }
}

/** Why a chat could not start, told to the customer (the server's message only where it is about their answers). */
export function startProblem(err) {
  if (err.status === 429) return `Too many chats were started from here. Please try again in ${err.retryAfter || 'a few'} seconds.`;
  if (err.status === 404) return 'This chat is not available any more. Please contact us another way.';
  if (err.status === 403) return 'This chat cannot be started from this site.';
  if (err.status === 400 && /PreEngagementData|Name/.test(err.message)) return 'Please check your answers: ' + err.message.replace(/^Invalid \w+ parameter: /, '');
  if (err.status === 400) return 'No chat can be started right now. Please try again later.';
  return 'The chat could not start. Check your connection and try again.';
}
