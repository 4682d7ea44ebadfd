// The board's server API (/switchyard/v1/Supervisor): the supervisor's session (sign-in, a token
// renewed before it runs out, kept in this tab's sessionStorage only: never the password) and the
// event streams the server pushes the board and monitored chats over.
const BASE = '/switchyard/v1/Supervisor';
const STORE = 'switchyard.supervisor.session';
/** Renew this long before the token runs out. */
const RENEW_BEFORE_S = 300;
/** After a dropped stream, ask again this much later (and back off to 30 s). */
const RETRY_MS = 3000;

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.code = body && body.code;
  }
}

export class Session {
  constructor(onLost) {
    this.data = null;
    this.renewTimer = null;
    // Called when the session cannot go on (revoked, expired, role taken away), with why.
    this.onLost = onLost;
  }

  /** A session this tab had (a reload): renewed first, so a revoked one ends here. */
  async resume() {
    let stored = null;
    try {
      stored = JSON.parse(sessionStorage.getItem(STORE) || 'null');
    } catch (_) {
      stored = null;
    }
    if (!stored || !stored.token) return false;
    this.data = stored;
    try {
      await this.renew();
      return true;
    } catch (_) {
      this.forget();
      return false;
    }
  }

  async signIn(accountSid, username, password) {
    const body = new URLSearchParams({ AccountSid: accountSid, Username: username, Password: password });
    const res = await fetch(`${BASE}/Sessions`, { method: 'POST', body });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new ApiError(res.status, data);
    this.keep(data);
  }

  async renew() {
    const data = await this.call('POST', '/Tokens');
    this.keep(data);
  }

  keep(data) {
    this.data = data;
    try {
      sessionStorage.setItem(STORE, JSON.stringify(data));
    } catch (_) {
      /* private mode: signed in for this page only */
    }
    // By the token's lifetime, not its expiry date: this browser's clock may not be the server's.
    this.scheduleRenewal(Math.max(10, (data.ttl || 3600) - RENEW_BEFORE_S) * 1000);
  }

  /** A refusal ends the session; a network failure is tried again in 30 s (the token has minutes left). */
  scheduleRenewal(inMs) {
    clearTimeout(this.renewTimer);
    this.renewTimer = setTimeout(() => {
      this.renew().catch((err) => {
        if (err instanceof ApiError) this.onLost(err.message);
        else this.scheduleRenewal(30000);
      });
    }, inMs);
  }

  forget() {
    clearTimeout(this.renewTimer);
    this.data = null;
    try {
      sessionStorage.removeItem(STORE);
    } catch (_) {
      /* nothing stored */
    }
  }

  async call(method, path, fields) {
    const init = { method, headers: { authorization: `Bearer ${this.data.token}` } };
    if (fields) init.body = new URLSearchParams(fields);
    const res = await fetch(BASE + path, init);
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw new ApiError(res.status, body);
    return body;
  }

  /**
   * A Server-Sent Events stream read with fetch (EventSource sends no Authorization header), asked
   * again after a drop. `handlers` maps event names to functions; `onState` hears 'live' or
   * 'reconnecting'. A `closed` event from the server ends it: an expired token is renewed and the
   * stream asked again; anything else ends the session. Returns a function that stops it.
   */
  stream(path, handlers, onState = () => {}) {
    const abort = new AbortController();
    let stopped = false;
    let delay = RETRY_MS;
    const run = async () => {
      while (!stopped) {
        let closed = null;
        try {
          const res = await fetch(BASE + path, { headers: { authorization: `Bearer ${this.data.token}` }, signal: abort.signal });
          if (!res.ok) {
            const body = await res.json().catch(() => ({}));
            throw new ApiError(res.status, body);
          }
          onState('live');
          delay = RETRY_MS;
          closed = await read(res.body, handlers);
        } catch (err) {
          if (stopped) return;
          if (err instanceof ApiError && (err.status === 401 || err.status === 403)) return this.onLost(err.message);
          if (err instanceof ApiError && err.status === 404) return handlers.gone && handlers.gone(err.message);
        }
        if (stopped) return;
        if (closed && closed.reason === 'token expired') {
          await this.renew().catch((err) => this.onLost(err.message));
          continue;
        }
        if (closed && closed.reason === 'not a supervisor') return this.onLost('Your worker no longer has the supervisor role.');
        onState('reconnecting');
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 30000);
      }
    };
    run();
    return () => {
      stopped = true;
      abort.abort();
    };
  }
}

/** Reads events until the stream ends; resolves with the `closed` event's data, if one came. */
async function read(body, handlers) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let closed = null;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return closed;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let event = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (data.length === 0) continue;
      const parsed = JSON.parse(data.join('\n'));
      if (event === 'closed') closed = parsed;
      else if (handlers[event]) handlers[event](parsed);
    }
  }
}
