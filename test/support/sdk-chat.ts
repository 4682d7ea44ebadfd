import WebSocket from 'ws';
import { decodeFrame, encodeFrame, type Frame } from '../../src/twilsock/frame.ts';
import { connectSdk, nextEvent, twilsockUri, within, type Client, type Conversation } from './conversations-sdk.ts';
import type { TestServer } from './server.ts';

/**
 * A chat participant in a test, on the official Conversations SDK (what replaced our own chat
 * socket). Under `timers: 'manual'` the server projects and pushes the SDK's live data only when a
 * test flushes, so each helper flushes before it reads or waits.
 */

/** An SDK client for the identity the token names, connected and initialised (what the server committed so far projected first). */
export async function sdkFor(t: TestServer, token: string, clients?: Client[]): Promise<Client> {
  await t.server.sdk.flush();
  const client = await connectSdk(t.baseUrl, token);
  clients?.push(client);
  return client;
}

/** The conversation as the SDK holds it once it has opened its roster (what comes later arrives as events). */
export async function conversationOf(t: TestServer, client: Client, sid: string): Promise<Conversation> {
  await t.server.sdk.flush();
  const c = await within(client.getConversationBySid(sid), `getConversationBySid ${sid}`);
  await within(c.getParticipants(), 'getParticipants');
  return c;
}

/** Waits for `event` (accepted by `accept`) on `emitter` after `action`, the server having pushed what it committed. */
export async function seenAfter<T>(t: TestServer, emitter: Parameters<typeof nextEvent>[0], event: string, accept: (value: T) => boolean, action: () => Promise<unknown>): Promise<T> {
  const seen = nextEvent<T>(emitter, event, accept);
  seen.catch(() => undefined);
  await action();
  await t.server.sdk.flush();
  return seen;
}

/** Every `event` the client emits from now on, kept (to show that nothing arrived). */
export function collect<T = unknown>(client: Client, event: string): T[] {
  const seen: T[] = [];
  client.on(event as never, ((value: T) => seen.push(value)) as never);
  return seen;
}

export async function shutdownAll(clients: Client[]): Promise<void> {
  for (const c of clients.splice(0)) await within(c.shutdown(), 'shutdown', 2000).catch(() => undefined);
}

/**
 * A twilsock socket driven by hand, for what the SDK would never send (an oversized frame, a frame
 * at the limit) or never show (the close code). `call` resolves with the reply, and rejects if the
 * socket closes first.
 */
export function rawTwilsock(t: TestServer): Promise<{ ws: WebSocket; call(header: Record<string, unknown>, payload?: string): Promise<Frame>; closed: Promise<number> }> {
  const ws = new WebSocket(twilsockUri(t.baseUrl));
  const replies = new Map<string, { resolve: (f: Frame) => void; reject: (e: Error) => void }>();
  let n = 0;
  ws.on('message', (data: Buffer) => {
    const f = decodeFrame(data);
    if (f.header.method === 'reply' && typeof f.header.id === 'string') replies.get(f.header.id)?.resolve(f);
  });
  const closed = new Promise<number>((resolve) =>
    ws.once('close', (code) => {
      for (const r of replies.values()) r.reject(new Error(`closed (${code}) before the reply`));
      resolve(code);
    }),
  );
  const call = (header: Record<string, unknown>, payload = '') => {
    const id = `TM${++n}`;
    const reply = new Promise<Frame>((resolve, reject) => replies.set(id, { resolve, reject }));
    ws.send(encodeFrame({ ...header, id } as never, payload));
    return within(reply, `reply to ${String(header.method)}`);
  };
  return within(
    new Promise((resolve, reject) => {
      ws.once('open', () => resolve({ ws, call, closed }));
      ws.once('error', reject);
    }),
    'twilsock open',
  );
}

/** The status code of a reply frame. */
export const statusOf = (f: Frame) => (f.header.status as { code: number }).code;
