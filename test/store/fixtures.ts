import { randomBytes } from 'node:crypto';
import { after, before } from 'node:test';
import type { Database, Executor } from '../../src/store/database.ts';
import { openDatabase, type StoreConfig } from '../../src/store/open.ts';
import {
  activities,
  taskChannels,
  taskQueues,
  workerChannels,
  workers,
  workflows,
  workspaces,
  type ActivityRow,
  type TaskChannelRow,
  type WorkerRow,
  type WorkspaceRow,
} from '../../src/taskrouter/model.ts';
import type { Backend } from '../support/server.ts';

/** Shared helpers of the storage suites: store lifecycles and small, valid rows. */

/** 2026-01-15T09:00:00Z in epoch ms: well past 2^32, so a BIGINT read back as a string or truncated shows. */
export const T0 = Date.UTC(2026, 0, 15, 9, 0, 0);

export const newSid = (prefix: string) => prefix + randomBytes(16).toString('hex');

/** One migrated store shared by the tests of a describe block; closed and thrown away after. */
export function sharedStore(backend: Backend): { readonly db: Database } {
  const holder = {} as { db: Database };
  let dispose: () => Promise<void> = async () => undefined;
  before(async () => {
    const store = await backend.create();
    dispose = store.dispose;
    holder.db = await openDatabase(store.config);
  });
  after(async () => {
    await holder.db?.close();
    await dispose();
  });
  return holder;
}

/** A fresh, never-opened store configuration for the duration of fn. */
export async function withFreshStore<T>(backend: Backend, fn: (config: StoreConfig) => Promise<T>): Promise<T> {
  const store = await backend.create();
  try {
    return await fn(store.config);
  } finally {
    await store.dispose();
  }
}

/** Opens a store, runs fn, closes it whatever happens. */
export async function withOpen<T>(config: StoreConfig, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase(config);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** A scratch table of counters for the executor and transaction tests (portable DDL). */
export async function createScratch(db: Executor): Promise<void> {
  await db.run('CREATE TABLE IF NOT EXISTS scratch (name TEXT PRIMARY KEY, n INTEGER NOT NULL)');
}

export async function scratchValue(db: Executor, name: string): Promise<number | undefined> {
  return (await db.get<{ n: number }>('SELECT n FROM scratch WHERE name = ?', [name]))?.n;
}

export async function insertAccount(db: Executor): Promise<string> {
  const sid = newSid('AC');
  await db.run('INSERT INTO accounts (sid, auth_token, friendly_name, date_created) VALUES (?, ?, ?, ?)', [sid, 'token', 'test', T0]);
  return sid;
}

export function workspaceRow(accountSid: string, over: Partial<WorkspaceRow> = {}): WorkspaceRow {
  return {
    sid: newSid('WS'),
    account_sid: accountSid,
    friendly_name: 'Support',
    event_callback_url: null,
    events_filter: null,
    multi_task_enabled: true,
    prioritize_queue_order: 'FIFO',
    default_activity_sid: null,
    timeout_activity_sid: null,
    date_created: T0,
    date_updated: T0,
    ...over,
  };
}

export function activityRow(ws: WorkspaceRow, over: Partial<ActivityRow> = {}): ActivityRow {
  return { sid: newSid('WA'), account_sid: ws.account_sid, workspace_sid: ws.sid, friendly_name: 'Available', available: true, date_created: T0, date_updated: T0, ...over };
}

export function taskChannelRow(ws: WorkspaceRow, over: Partial<TaskChannelRow> = {}): TaskChannelRow {
  return {
    sid: newSid('TC'),
    account_sid: ws.account_sid,
    workspace_sid: ws.sid,
    friendly_name: 'Voice',
    unique_name: 'voice',
    channel_optimized_routing: null,
    date_created: T0,
    date_updated: T0,
    ...over,
  };
}

export function workerRow(ws: WorkspaceRow, activitySid: string, over: Partial<WorkerRow> = {}): WorkerRow {
  return {
    sid: newSid('WK'),
    account_sid: ws.account_sid,
    workspace_sid: ws.sid,
    friendly_name: 'Alice',
    attributes: '{"skills":["en"]}',
    activity_sid: activitySid,
    version: 0,
    idle_since: T0,
    date_status_changed: T0,
    date_created: T0,
    date_updated: T0,
    ...over,
  };
}

/** A workspace with its default activity, inserted. */
export async function insertWorkspace(db: Executor, accountSid: string, over: Partial<WorkspaceRow> = {}) {
  const ws = workspaceRow(accountSid, over);
  await workspaces.insert(db, ws);
  const activity = activityRow(ws);
  await activities.insert(db, activity);
  return { ws, activity };
}

/** Every configuration resource of a workspace, one or two of each, referencing one another. */
export async function insertGraph(db: Executor, accountSid: string) {
  const { ws, activity: available } = await insertWorkspace(db, accountSid);
  const offline = activityRow(ws, { friendly_name: 'Offline', available: false });
  await activities.insert(db, offline);
  await workspaces.update(db, ws.sid, { default_activity_sid: offline.sid, timeout_activity_sid: offline.sid });
  const channel = taskChannelRow(ws);
  await taskChannels.insert(db, channel);
  const queue = {
    sid: newSid('WQ'),
    account_sid: accountSid,
    workspace_sid: ws.sid,
    friendly_name: 'Everyone',
    target_workers: '1==1',
    max_reserved_workers: 1,
    task_order: 'FIFO' as const,
    reservation_activity_sid: available.sid,
    assignment_activity_sid: offline.sid,
    date_created: T0,
    date_updated: T0,
  };
  await taskQueues.insert(db, queue);
  const workflow = {
    sid: newSid('WW'),
    account_sid: accountSid,
    workspace_sid: ws.sid,
    friendly_name: 'Default',
    configuration: JSON.stringify({ task_routing: { default_filter: { queue: queue.sid } } }),
    assignment_callback_url: null,
    fallback_assignment_callback_url: null,
    task_reservation_timeout: 120,
    revision: 1,
    date_created: T0,
    date_updated: T0,
  };
  await workflows.insert(db, workflow);
  const worker = workerRow(ws, offline.sid);
  await workers.insert(db, worker);
  const workerChannel = {
    sid: newSid('WC'),
    account_sid: accountSid,
    workspace_sid: ws.sid,
    worker_sid: worker.sid,
    task_channel_sid: channel.sid,
    capacity: 1,
    available: true,
    held: 0,
    assigned: 0,
    date_created: T0,
    date_updated: T0,
  };
  await workerChannels.insert(db, workerChannel);
  return { ws, available, offline, channel, queue, workflow, worker, workerChannel };
}

/** How many rows of each configuration table belong to the workspace. */
export async function countGraph(db: Executor, workspaceSid: string) {
  const inWs = ['workspace_sid = ?', workspaceSid] as const;
  return {
    workspaces: await workspaces.count(db, ['sid = ?', workspaceSid]),
    activities: await activities.count(db, inWs),
    taskChannels: await taskChannels.count(db, inWs),
    taskQueues: await taskQueues.count(db, inWs),
    workflows: await workflows.count(db, inWs),
    workers: await workers.count(db, inWs),
    workerChannels: await workerChannels.count(db, inWs),
  };
}

/** Lets other queued work (timers, I/O, microtasks) run before continuing. */
export const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A promise to await inside a transaction, and the function that releases it. */
export function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}
