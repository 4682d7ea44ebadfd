import { createRequire } from 'node:module';
import type { EventEmitter } from 'node:events';
import twilio from 'twilio';
import type * as TaskRouterSdk from 'twilio-taskrouter';
import type { TestServer } from '../support/server.ts';

/**
 * Shared fixtures for the event-bridge suites: the official twilio-taskrouter Worker, unmodified,
 * pointed at the test server, with tokens minted by the official twilio package.
 */

// The SDK is a CommonJS bundle whose exports Node's ESM loader cannot name statically.
const sdk = createRequire(import.meta.url)('twilio-taskrouter') as typeof TaskRouterSdk;
export const { Worker, Workspace, Supervisor } = sdk;
export type SdkWorker = TaskRouterSdk.Worker;
export type SdkReservation = TaskRouterSdk.Reservation;

export const EB_PATH = '/event-bridge/v1/wschannels';

/** How long any awaited event may take before the test fails (no test sleeps for timing). */
export const WAIT_MS = 5000;

/** The first `name` event of an emitter, or a failure after `ms`. */
export function nextEvent<T = unknown>(emitter: EventEmitter | { once(name: string, fn: (...args: any[]) => void): unknown }, name: string, ms = WAIT_MS): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${name}' event within ${ms} ms`)), ms);
    (emitter as EventEmitter).once(name, (value: T) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

/** A promise, or a failure after `ms`. */
export function within<T>(p: Promise<T>, label: string, ms = WAIT_MS): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label}: nothing within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/** A worker token as Twilio's docs mint it: AccessToken + TaskRouterGrant, signed with an API key secret. */
export function workerToken(
  t: TestServer,
  workspaceSid: string,
  workerSid: string,
  opts: { secret?: string; ttl?: number; apiKey?: string; accountSid?: string } = {},
): string {
  const token = new twilio.jwt.AccessToken(opts.accountSid ?? t.account.accountSid, opts.apiKey ?? t.account.apiKey, opts.secret ?? t.account.apiSecret, {
    identity: workerSid,
    ttl: opts.ttl ?? 3600,
  });
  token.addGrant(new twilio.jwt.AccessToken.TaskRouterGrant({ workspaceSid, workerSid, role: 'worker' }));
  return token.toJwt();
}

/**
 * A TaskRouter token in a role (`worker`, `supervisor`, `admin`), as Twilio's docs mint them; an
 * admin token may name no worker (what `new Workspace(token)` is given).
 */
export function roleToken(t: TestServer, workspaceSid: string, workerSid: string | undefined, role: string, ttl = 3600): string {
  const token = new twilio.jwt.AccessToken(t.account.accountSid, t.account.apiKey, t.account.apiSecret, { identity: workerSid ?? `admin-${role}`, ttl });
  token.addGrant(new twilio.jwt.AccessToken.TaskRouterGrant({ workspaceSid, workerSid, role }));
  return token.toJwt();
}

export function sdkOptions(baseUrl: string): { ebServer: string; wsServer: string } {
  return { ebServer: `${baseUrl}${EB_PATH}`, wsServer: `${baseUrl.replace(/^http/, 'ws')}${EB_PATH}` };
}

/** A Worker of the official SDK; resolves once `ready`. Its `error` events are collected, not thrown. */
export async function connectWorker(
  baseUrl: string,
  token: string,
  options: Partial<TaskRouterSdk.WorkerOptions> = {},
): Promise<{ worker: SdkWorker; errors: unknown[] }> {
  const errors: unknown[] = [];
  const worker = new Worker(token, { ...sdkOptions(baseUrl), logLevel: 'silent', ...options } as TaskRouterSdk.WorkerOptions);
  worker.on('error', (e: unknown) => errors.push(e));
  // So that a test calling plain disconnect() still lets its process exit (see release()).
  const disconnect = worker.disconnect.bind(worker);
  worker.disconnect = () => {
    disconnect();
    stopLeftoverTimers(worker);
  };
  try {
    await nextEvent(worker, 'ready');
  } catch (err) {
    worker.disconnect();
    throw new Error(`${(err as Error).message}; SDK errors: ${errors.map((e) => String((e as Error).message ?? e)).join('; ')}`);
  }
  return { worker, errors };
}

/** POSTs an envelope as the SDK does (a JSON string labelled form-encoded), returning status and body. */
export async function envelope(
  t: TestServer,
  body: { url: string; method: string; params?: unknown; token: string },
  apiVersion = 'v1',
): Promise<{ status: number; body: any }> {
  const res = await t.http('POST', EB_PATH, {
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/x-www-form-urlencoded', apiversion: apiVersion },
    auth: null,
  });
  return { status: res.status, body: res.body };
}

/**
 * Disconnects a Worker and stops the timers the SDK leaves behind: disconnect() keeps its
 * token-expiry timer (token lifetime − 5 s) and its heartbeat check (every 30 s) running, which
 * a browser tab never notices but which would keep a test process alive for an hour.
 */
export function release(worker: SdkWorker): void {
  worker.disconnect();
  stopLeftoverTimers(worker);
}

function stopLeftoverTimers(worker: SdkWorker): void {
  const signaling = (worker as unknown as { _signaling?: { tokenTimer?: NodeJS.Timeout; _heartbeat?: { pintvl: NodeJS.Timeout | null } } })._signaling;
  if (!signaling) return;
  clearTimeout(signaling.tokenTimer);
  if (signaling._heartbeat?.pintvl) {
    clearInterval(signaling._heartbeat.pintvl);
    signaling._heartbeat.pintvl = null;
  }
}
