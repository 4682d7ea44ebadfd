// What the desk's modules share: the session, the two SDK clients, what the workspace set the
// desk up with, and the offers and tasks on screen.

export const state = {
  /** The sign-in answer, plus `offset`: local clock minus server clock (ms). */
  session: null,
  /** The worker SDK's Worker (twilio-taskrouter). */
  worker: null,
  /** The Conversations SDK's Client. */
  chat: null,
  /** GET /Agent/Desk: wrapup_timeout, disposition_codes. */
  desk: { wrapup_timeout: 0, disposition_codes: [] },
  /** GET /Agent/Directory: transfer targets. */
  directory: null,
  /** Reservation SID → offer. */
  offers: new Map(),
  /** Task SID → card (the task's conversation pane and its list item). */
  cards: new Map(),
  /** The task SID shown in the conversation pane. */
  selected: null,
};

export const API = '/switchyard/v1/Agent';

/** A call to the agent routes with the worker token; rejects with the server's message. */
export async function call(method, path, body) {
  const res = await fetch(API + path, {
    method,
    headers: Object.assign({ authorization: 'Bearer ' + state.session.worker_token }, body ? { 'content-type': 'application/json' } : {}),
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

/** Server time (ms since the epoch) seen on the local clock. */
export const localTime = (serverMs) => serverMs + (state.session ? state.session.offset : 0);

export function attrs(task) {
  return (task && task.attributes) || {};
}
export function channelOf(task) {
  return attrs(task).channelType || task.taskChannelUniqueName || 'task';
}
export function customerOf(task) {
  const a = attrs(task);
  return a.customerName || a.name || a.from || (a.customers && (a.customers.name || a.customers.identity)) || 'Customer';
}
