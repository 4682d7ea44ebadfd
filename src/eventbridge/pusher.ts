import type { ReservationStatus, TaskStatus } from '../core/routing/lifecycle.ts';
import { Pump } from '../core/pump.ts';
import { consoleLog, type Log } from '../ops/logger.ts';
import type { Database } from '../store/database.ts';
import { activities } from '../taskrouter/model.ts';
import { reservations, tasks, transfers, type EventRow, type TransferStatus } from '../taskrouter/routing-model.ts';
import { latestEvent } from '../taskrouter/engine/events.ts';
import type { TaskRouter } from '../taskrouter/services.ts';
import type { Connections } from './connections.ts';
import type { PendingReplies } from './replies.ts';
import * as eb from './representation.ts';
import type { TaskPayload } from './representation.ts';
import type { Views } from './views.ts';

/** What a reservation event says the reservation became. */
const RESERVATION_EVENTS: Record<string, ReservationStatus> = {
  'reservation.created': 'pending',
  'reservation.accepted': 'accepted',
  'reservation.wrapup': 'wrapping',
  'reservation.completed': 'completed',
  'reservation.rejected': 'rejected',
  'reservation.timeout': 'timeout',
  'reservation.canceled': 'canceled',
  'reservation.rescinded': 'rescinded',
};
const WORKER_EVENTS = new Set(['worker.activity.update', 'worker.attributes.update']);
const CHANNEL_EVENTS = new Set(['worker.capacity.update', 'worker.channel.availability.update']);
const TASK_EVENTS = new Set(['task.updated', 'task.canceled', 'task.completed', 'task.wrapup']);
/** What a transfer event says the transfer became (the SDK's statuses). */
const TRANSFER_EVENTS: Record<string, TransferStatus> = {
  'task.transfer-initiated': 'initiated',
  'task.transfer-attempt-failed': 'initiated',
  'task.transfer-failed': 'failed',
  'task.transfer-completed': 'complete',
  'task.transfer-canceled': 'canceled',
};
/** A task deleted (over REST, or by the system 24 hours after it was accepted) while someone held it. */
const DELETION_EVENTS = new Set(['task.deleted', 'task.system-deleted']);
const PUSHED = [...Object.keys(RESERVATION_EVENTS), ...WORKER_EVENTS, ...CHANNEL_EVENTS, ...TASK_EVENTS, ...Object.keys(TRANSFER_EVENTS), ...DELETION_EVENTS];

const BATCH = 500;
/**
 * How long a push waits after its events were read and the replies under way went out. Twilio's
 * events trail the REST reply that caused them (routing and delivery take time), and the SDK and
 * Twilio's own specs are written for that: a push that overtakes the reply, or a reservation
 * offered before a worker's other session finished starting, is a race Twilio never shows.
 * docs/decisions.md, "Event-bridge pushes trail their replies".
 */
export const PUSH_DELAY_MS = 20;

interface Cursor {
  seq: number;
}

/** How far the clocks of several nodes may be apart, for reads by date. */
const CLOCK_MARGIN_MS = 5 * 60_000;

interface Followed {
  refs: number;
  cursor: Cursor | null;
  ready: Promise<void>;
}

interface Push {
  workers: string[];
  frame: string;
}

/**
 * Turns the `events` rows into pushes. Per workspace, events are written under the workspace's
 * routing lock, so their seq order is their commit order; an in-memory cursor per workspace
 * (from the latest event when its first worker connects) therefore never skips one, on either
 * store, whichever node wrote it. Only workspaces with a connected worker are read. A push is
 * built from the current rows, with the state the event reports (the reservation's status, the
 * task's status, the worker's activity) so that each push says what happened, in order.
 */
export class EventPusher {
  private readonly followed = new Map<string, Followed>();
  private readonly waker = new Pump(() => this.pushAll());

  constructor(
    private readonly db: Database,
    private readonly tr: TaskRouter,
    private readonly views: Views,
    private readonly connections: Connections,
    private readonly replies: PendingReplies,
    private readonly log: Log = consoleLog,
    private readonly delayMs = PUSH_DELAY_MS,
  ) {}

  /**
   * A worker of this workspace is connecting: read its events from now on (until unfollow).
   * Resolves with the workspace's last event now: the socket hears only what commits after it.
   */
  async follow(workspaceSid: string): Promise<number> {
    let f = this.followed.get(workspaceSid);
    if (!f) {
      const entry: Followed = { refs: 0, cursor: null, ready: Promise.resolve() };
      entry.ready = (async () => {
        entry.cursor = { seq: await this.latestSeq(workspaceSid) };
      })();
      this.followed.set(workspaceSid, (f = entry));
    }
    f.refs++;
    try {
      await f.ready;
      return await this.latestSeq(workspaceSid);
    } catch (err) {
      this.unfollow(workspaceSid);
      throw err;
    }
  }

  unfollow(workspaceSid: string): void {
    const f = this.followed.get(workspaceSid);
    if (f && --f.refs <= 0) this.followed.delete(workspaceSid);
  }

  /** Something may have committed (here, or on another node: the poll): push what is new. */
  wake(): void {
    this.waker.wake();
  }

  /** Waits for pushes under way (tests, shutdown). */
  idle(): Promise<void> {
    return this.waker.idle();
  }

  private async latestSeq(workspaceSid: string): Promise<number> {
    return (await latestEvent(this.db, workspaceSid))?.seq ?? 0;
  }

  private async pushAll(): Promise<void> {
    // Workspaces side by side: each one's pushes wait out the delay, which must not add up.
    await Promise.all(
      [...this.followed].map(async ([workspaceSid, f]) => {
        if (!f.cursor) return;
        try {
          await this.pushWorkspace(workspaceSid, f.cursor);
        } catch (err) {
          // The store is unreachable for now, or a row could not be read: the cursor has not
          // moved, so the next wake or poll tries these events again.
          this.log.error({ err, workspaceSid }, 'pushing the events of a workspace failed; retrying on the next poll');
        }
      }),
    );
  }

  /**
   * Events up to the workspace's latest when the run starts are read, through the (workspace_sid,
   * seq) index; those not pushed (task.created...) are stepped over once, not read on every run.
   */
  private async pushWorkspace(workspaceSid: string, cursor: Cursor): Promise<void> {
    const upTo = await this.latestSeq(workspaceSid);
    for (;;) {
      const rows = await this.db.all<EventRow & { seq: number | string }>(
        `SELECT * FROM events WHERE workspace_sid = ? AND seq > ? AND seq <= ? AND event_type IN (${PUSHED.map(() => '?').join(', ')})
          ORDER BY seq LIMIT ${BATCH}`,
        [workspaceSid, cursor.seq, upTo, ...PUSHED],
      );
      if (rows.length === 0) {
        cursor.seq = Math.max(cursor.seq, upTo);
        return;
      }
      // Build every push of the batch before sending any: a failed read leaves the cursor where
      // it was and nothing half-sent.
      const pushes: (Push & { seq: number })[] = [];
      for (const ev of rows) for (const p of await this.build(ev, rows)) pushes.push({ ...p, seq: Number(ev.seq) });
      await this.replies.settled();
      if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
      for (const p of pushes) for (const w of p.workers) this.connections.send(w, p.frame, p.seq);
      cursor.seq = rows.length < BATCH ? Math.max(cursor.seq, upTo) : Number(rows[rows.length - 1].seq);
      if (rows.length < BATCH) return;
    }
  }

  private async build(ev: EventRow, batch: EventRow[]): Promise<Push[]> {
    const data = JSON.parse(ev.event_data) as Record<string, unknown>;
    const frame = (payload: unknown, type = ev.event_type) => JSON.stringify({ event_type: type, payload });
    if (WORKER_EVENTS.has(ev.event_type) || CHANNEL_EVENTS.has(ev.event_type)) {
      const workerSid = ev.worker_sid ?? ev.resource_sid;
      if (!this.connections.has(workerSid)) return [];
      const payload = WORKER_EVENTS.has(ev.event_type) ? await this.workerPayload(ev, workerSid, data) : await this.channelPayload(ev, workerSid);
      return payload ? [{ workers: [workerSid], frame: frame(payload) }] : [];
    }
    const status = RESERVATION_EVENTS[ev.event_type];
    if (status) {
      if (!ev.worker_sid || !ev.reservation_sid || !this.connections.has(ev.worker_sid)) return [];
      const payload = await this.reservationPayload(ev, data, status);
      return [{ workers: [ev.worker_sid], frame: frame(payload) }];
    }
    if (TASK_EVENTS.has(ev.event_type) && ev.task_sid) {
      const workers = await this.taskWorkers(ev.task_sid, batch);
      if (workers.length === 0) return [];
      return [{ workers, frame: frame(await this.taskPayload(ev, data)) }];
    }
    const transferStatus = TRANSFER_EVENTS[ev.event_type];
    if (transferStatus) {
      // The SDK routes these to the Task of the initiating worker's reservation.
      const initiator = typeof data.TransferInitiatingWorkerSid === 'string' ? data.TransferInitiatingWorkerSid : null;
      const transfer = typeof data.TransferSid === 'string' ? await transfers.get(this.db, data.TransferSid) : undefined;
      if (!initiator || !transfer || !this.connections.has(initiator)) return [];
      const reason = typeof data.TransferFailedReason === 'string' ? data.TransferFailedReason : null;
      return [{ workers: [initiator], frame: frame({ ...eb.transfer(transfer), transfer_status: transferStatus, transfer_failed_reason: reason }) }];
    }
    if (DELETION_EVENTS.has(ev.event_type) && ev.task_sid) {
      // Its reservations went with it: whoever held it hears that the reservation is over.
      const pushes: Push[] = [];
      for (const held of await this.heldWhenDeleted(ev, data)) {
        if (!this.connections.has(held.worker_sid)) continue;
        const holder = { ...ev, worker_sid: held.worker_sid, reservation_sid: held.reservation_sid };
        const payload = await this.reservationPayload(holder, { ...JSON.parse(held.event_data), ...data }, 'completed');
        pushes.push({ workers: [held.worker_sid], frame: frame(payload, 'reservation.completed') });
      }
      return pushes;
    }
    return [];
  }

  /**
   * The reservations that held a task (accepted or wrapping) when it was deleted: read from its
   * reservation events since it was created, through the (workspace, type, date) index.
   */
  private async heldWhenDeleted(ev: EventRow, data: Record<string, unknown>) {
    // A little before the task's creation: events dated by another node's clock may be a little behind.
    const since = typeof data.TaskDateCreated === 'number' ? data.TaskDateCreated * 1000 - CLOCK_MARGIN_MS : 0;
    const rows = await this.db.all<{ reservation_sid: string; worker_sid: string; event_type: string; event_data: string }>(
      `SELECT reservation_sid, worker_sid, event_type, event_data FROM events
        WHERE workspace_sid = ? AND event_type IN ('reservation.accepted', 'reservation.wrapup', 'reservation.completed')
          AND event_date >= ? AND task_sid = ? AND seq < ? ORDER BY seq`,
      [ev.workspace_sid, since, ev.task_sid, (ev as EventRow & { seq: number | string }).seq],
    );
    const last = new Map<string, (typeof rows)[number]>();
    for (const r of rows) last.set(r.reservation_sid, r);
    return [...last.values()].filter((r) => r.event_type !== 'reservation.completed');
  }

  /** The worker now, with the activity, attributes and version the event reports. */
  private async workerPayload(ev: EventRow, workerSid: string, data: Record<string, unknown>) {
    let payload;
    try {
      payload = await this.views.worker(ev.account_sid, ev.workspace_sid, workerSid);
    } catch {
      return undefined; // deleted since
    }
    if (typeof data.WorkerActivitySid === 'string' && data.WorkerActivitySid !== payload.activity_sid) {
      const a = await activities.get(this.db, data.WorkerActivitySid);
      if (a) Object.assign(payload, { activity_sid: a.sid, activity_name: a.friendly_name, available: a.available });
    }
    if (typeof data.WorkerAttributes === 'string') payload.attributes = data.WorkerAttributes;
    if (typeof data.WorkerVersion === 'number') payload.version = data.WorkerVersion;
    return payload;
  }

  private async channelPayload(ev: EventRow, workerSid: string) {
    if (!ev.task_channel) return undefined;
    try {
      return await this.views.channel(await this.tr.workerChannels.get(ev.account_sid, ev.workspace_sid, workerSid, ev.task_channel));
    } catch {
      return undefined; // the worker or the channel is gone
    }
  }

  private async reservationPayload(ev: EventRow, data: Record<string, unknown>, status: ReservationStatus) {
    const row = await reservations.get(this.db, ev.reservation_sid!);
    const task = await this.taskPayload(ev, data);
    if (!row) {
      // The task was deleted with its reservations (they go with it): the event still has enough.
      const at = Math.floor(Number(ev.event_date) / 1000);
      return {
        account_sid: ev.account_sid,
        date_created: at,
        date_updated: at,
        reservation_status: status,
        sid: ev.reservation_sid!,
        task,
        task_sid: task.sid,
        reservation_timeout: 0,
        worker_name: typeof data.WorkerName === 'string' ? data.WorkerName : '',
        worker_sid: ev.worker_sid!,
        workspace_sid: ev.workspace_sid,
        version: 0,
      };
    }
    const payload = (await this.views.reservation(row))!;
    return { ...payload, reservation_status: status, task };
  }

  /** The task now, with the status the event reports; from the event alone if it was deleted. */
  private async taskPayload(ev: EventRow, data: Record<string, unknown>): Promise<TaskPayload> {
    const status = (typeof data.TaskAssignmentStatus === 'string' ? data.TaskAssignmentStatus : undefined) as TaskStatus | undefined;
    const row = ev.task_sid ? await tasks.get(this.db, ev.task_sid) : undefined;
    if (row) {
      const payload = await this.views.task(row);
      return status ? { ...payload, assignment_status: status } : payload;
    }
    const at = Math.floor(Number(ev.event_date) / 1000);
    const str = (k: string) => (typeof data[k] === 'string' ? (data[k] as string) : null);
    const num = (k: string, d: number) => (typeof data[k] === 'number' ? (data[k] as number) : d);
    return {
      account_sid: ev.account_sid,
      workspace_sid: ev.workspace_sid,
      addons: '{}',
      age: num('TaskAge', 0),
      attributes: str('TaskAttributes') ?? '{}',
      date_created: num('TaskDateCreated', at),
      date_updated: at,
      priority: num('TaskPriority', 0),
      queue_name: null,
      queue_sid: str('TaskQueueSid'),
      reason: str('Reason'),
      routing_target: null,
      sid: ev.task_sid ?? str('TaskSid') ?? '',
      assignment_status: status ?? 'canceled',
      task_channel_unique_name: str('TaskChannelUniqueName') ?? 'default',
      task_channel_sid: str('TaskChannelSid') ?? '',
      timeout: 0,
      workflow_name: null,
      workflow_sid: str('WorkflowSid'),
      version: num('TaskVersion', 0),
      virtual_start_time: num('TaskDateCreated', at),
    };
  }

  /**
   * Who hears about a task: the connected workers holding an offer or assignment of it, and those
   * whose reservation of it ended in the same batch: a task's end is recorded right after its
   * reservations' ends (the SDK keeps an ended reservation for a few seconds to take it).
   */
  private async taskWorkers(taskSid: string, batch: EventRow[]): Promise<string[]> {
    const rows = await this.db.all<{ worker_sid: string }>(
      "SELECT DISTINCT worker_sid FROM reservations WHERE task_sid = ? AND reservation_status IN ('pending', 'accepted', 'wrapping')",
      [taskSid],
    );
    const workers = new Set(rows.map((r) => r.worker_sid));
    for (const e of batch) if (e.task_sid === taskSid && e.worker_sid && e.event_type.startsWith('reservation.')) workers.add(e.worker_sid);
    return [...workers].filter((w) => this.connections.has(w));
  }
}
