import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { TestServer } from '../support/server.ts';

/** Shared fixtures for the routing-*.test.ts suites: one fresh workspace per test, driven by the manual clock. */

type V1 = TestServer['client']['taskrouter']['v1'];
export type WorkspaceApi = ReturnType<V1['workspaces']>;

export interface Fixture {
  wsSid: string;
  w: WorkspaceApi;
  act: { available: string; offline: string; unavailable: string };
  /** A queue; TargetWorkers defaults to every worker. */
  queue(name: string, targetWorkers?: string, extra?: Record<string, unknown>): Promise<{ sid: string }>;
  /** A workflow from a task_routing object (the `{task_routing: ...}` wrapper is added). */
  workflow(taskRouting: unknown, extra?: Record<string, unknown>): Promise<{ sid: string }>;
  /** A worker, Available unless told otherwise; the clock moves 1 s after, so creation order is idle order. */
  worker(name: string, attributes?: unknown, opts?: { activitySid?: string; capacity?: Record<string, number> }): Promise<{ sid: string }>;
  task(params: Record<string, unknown>): Promise<{ sid: string; assignmentStatus: string }>;
  /** Reservations of a task, oldest first. */
  reservations(taskSid: string): Promise<{ sid: string; workerSid: string; reservationStatus: string }[]>;
  pending(taskSid: string): Promise<{ sid: string; workerSid: string; reservationStatus: string }[]>;
  status(taskSid: string): Promise<string>;
  /** The task's queue right now. */
  queueOf(taskSid: string): Promise<string | null>;
  /** Event rows recorded for a task, in order. */
  events(taskSid: string): Promise<{ event_type: string; description: string; data: Record<string, unknown> }[]>;
  /** The task's version as its ETag header gives it. */
  etag(taskSid: string): Promise<string>;
}

/** Moves the manual clock forward and fires whatever timers are due. */
export async function advance(t: TestServer, seconds: number): Promise<void> {
  t.clock.advance(seconds * 1000);
  await t.server.taskRouter.engine.tick();
}

/** The official client rejects with a RestException: check its HTTP status and Twilio code. */
export async function expectError(p: Promise<unknown>, status: number, code: number, message?: RegExp): Promise<void> {
  await assert.rejects(p, (e: { status?: number; code?: number; message?: string }) => {
    assert.equal(e.status, status, `status (${e.message})`);
    assert.equal(e.code, code, `code (${e.message})`);
    if (message) assert.match(e.message ?? '', message);
    return true;
  });
}

export async function makeWorkspace(
  t: TestServer,
  opts: { multiTaskEnabled?: boolean; prioritizeQueueOrder?: 'FIFO' | 'LIFO' } = {},
): Promise<Fixture> {
  const tr = t.client.taskrouter.v1;
  const ws = await tr.workspaces.create({ friendlyName: `ws-${randomUUID()}`, ...opts });
  const w = tr.workspaces(ws.sid);
  const activities = await w.activities.list();
  const byName = (n: string) => activities.find((a) => a.friendlyName === n)!.sid;
  const act = { available: byName('Available'), offline: byName('Offline'), unavailable: byName('Unavailable') };
  const f: Fixture = {
    wsSid: ws.sid,
    w,
    act,
    queue: (name, targetWorkers = '1==1', extra = {}) => w.taskQueues.create({ friendlyName: name, targetWorkers, ...extra }),
    workflow: (taskRouting, extra = {}) =>
      w.workflows.create({
        friendlyName: `wf-${randomUUID()}`,
        configuration: JSON.stringify({ task_routing: taskRouting }),
        taskReservationTimeout: 120,
        ...extra,
      }),
    async worker(name, attributes = {}, o = {}) {
      const worker = await w.workers.create({
        friendlyName: name,
        attributes: JSON.stringify(attributes),
        activitySid: o.activitySid ?? act.available,
      });
      for (const [channel, capacity] of Object.entries(o.capacity ?? {})) await w.workers(worker.sid).workerChannels(channel).update({ capacity });
      t.clock.advance(1000);
      return worker;
    },
    task: (params) => w.tasks.create(params),
    async reservations(taskSid) {
      const all = await w.tasks(taskSid).reservations.list();
      return all.sort((a, b) => a.dateCreated.getTime() - b.dateCreated.getTime());
    },
    async pending(taskSid) {
      return (await f.reservations(taskSid)).filter((r) => r.reservationStatus === 'pending');
    },
    status: async (taskSid) => (await w.tasks(taskSid).fetch()).assignmentStatus,
    queueOf: async (taskSid) => (await w.tasks(taskSid).fetch()).taskQueueSid,
    async events(taskSid) {
      const rows = await t.server.db.all<{ event_type: string; description: string; event_data: string }>(
        'SELECT event_type, description, event_data FROM events WHERE task_sid = ? ORDER BY seq',
        [taskSid],
      );
      return rows.map((r) => ({ event_type: r.event_type, description: r.description, data: JSON.parse(r.event_data) }));
    },
    async etag(taskSid) {
      const res = await t.http('GET', `/taskrouter/v1/Workspaces/${ws.sid}/Tasks/${taskSid}`);
      assert.equal(res.status, 200);
      return res.headers.get('etag')!;
    },
  };
  return f;
}
