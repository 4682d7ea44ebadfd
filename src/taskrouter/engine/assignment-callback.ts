import type { Clock } from '../../core/clock.ts';
import type { Database, Executor } from '../../store/database.ts';
import { activities, workers, workflows, type WorkspaceRow } from '../model.ts';
import { reservations, type ReservationRow, type TaskRow } from '../routing-model.ts';
import { CALLBACK_DEFAULTS, authTokenOf, postSigned, type CallbackOptions, type PostResult } from './delivery.ts';
import type { Engine } from './index.ts';
import { outboxSignal } from './outbox-signal.ts';

interface CallbackRow {
  seq: number;
  reservation_sid: string;
  account_sid: string;
  workspace_sid: string;
  url: string;
  fallback_url: string | null;
  body: string;
  locked_until: number;
}

/** What the application answered: an instruction to carry out, or nothing to do (defer). */
export type Answer =
  | { kind: 'accept' }
  | { kind: 'reject'; activitySid?: string }
  | { kind: 'defer'; reason: 'empty' | 'voice' | 'unknown' };

/** Instructions that drive a voice call: nothing here can carry them out, so they defer. */
const VOICE = new Set(['dequeue', 'call', 'conference', 'redirect']);

/**
 * Reads an assignment callback reply. Null means the reply failed (not 2xx, not JSON, not an
 * object), which sends the fallback URL a try. An empty body or `{}` defers.
 */
export function readAnswer(result: PostResult): Answer | null {
  if (!result.ok) return null;
  const text = result.body.trim();
  if (text === '') return { kind: 'defer', reason: 'empty' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const reply = value as Record<string, unknown>;
  const instruction = typeof reply.instruction === 'string' ? reply.instruction.trim().toLowerCase() : undefined;
  if (instruction === 'accept') return { kind: 'accept' };
  if (instruction === 'reject')
    return { kind: 'reject', activitySid: typeof reply.activity_sid === 'string' ? reply.activity_sid : undefined };
  // {} defers; so do voice instructions and anything unknown (Twilio: a debugger warning).
  if (instruction === undefined) return { kind: 'defer', reason: 'empty' };
  return { kind: 'defer', reason: VOICE.has(instruction) ? 'voice' : 'unknown' };
}

const MAX_IN_FLIGHT = 32;

/**
 * Workflow assignment callbacks. When a reservation is created and its workflow has an
 * AssignmentCallbackUrl, a row is queued in the same transaction (so a crash loses nothing and a
 * rolled-back reservation sends nothing); after the commit it is POSTed, signed like every Twilio
 * webhook. The answer may accept or reject the reservation; `{}` defers to the REST API. A failed
 * answer (not 2xx, not JSON, no answer within 5 s) gets one try at FallbackAssignmentCallbackUrl;
 * if that fails too, the reservation waits, pending, for its timeout.
 */
export class AssignmentCallbacks {
  private readonly opts: Required<CallbackOptions>;
  private readonly inFlight = new Map<number, Promise<void>>();
  private attempts = 0;
  private stopping = new AbortController();

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly engine: Engine,
    options: CallbackOptions = {},
  ) {
    this.opts = { ...CALLBACK_DEFAULTS, ...options };
    engine.setHooks({ reservationCreated: (tx, ws, task, res) => this.queue(tx, ws, task, res) });
  }

  private get leaseMs() {
    return 2 * this.opts.assignmentTimeoutMs + 30_000;
  }

  /** Inside the routing transaction: queue the callback, if the task's workflow wants one. */
  async queue(tx: Executor, ws: WorkspaceRow, task: TaskRow, res: ReservationRow): Promise<void> {
    if (!task.workflow_sid) return;
    const workflow = await workflows.get(tx, task.workflow_sid);
    if (!workflow?.assignment_callback_url) return;
    outboxSignal.queued = true;
    const worker = await workers.get(tx, res.worker_sid);
    const now = this.clock.now();
    const body = new URLSearchParams({
      AccountSid: ws.account_sid,
      WorkspaceSid: ws.sid,
      WorkflowSid: workflow.sid,
      TaskQueueSid: res.task_queue_sid ?? task.task_queue_sid ?? '',
      WorkerSid: res.worker_sid,
      WorkerAttributes: worker?.attributes ?? '{}',
      TaskSid: task.sid,
      TaskAttributes: task.attributes,
      TaskAge: String(Math.max(0, Math.floor((now - task.date_created) / 1000))),
      TaskPriority: String(task.priority),
      ReservationSid: res.sid,
      Timestamp: String(Math.floor(now / 1000)),
    });
    await tx.run(
      `INSERT INTO assignment_callbacks (reservation_sid, account_sid, workspace_sid, url, fallback_url, body, locked_until)
       VALUES (?, ?, ?, ?, ?, ?, 0)`,
      [res.sid, ws.account_sid, ws.sid, workflow.assignment_callback_url, workflow.fallback_assignment_callback_url || null, body.toString()],
    );
  }

  /** Claims queued callbacks and starts sending them; returns how many it started. */
  async pump(): Promise<number> {
    const room = MAX_IN_FLIGHT - this.inFlight.size;
    if (room <= 0 || this.stopping.signal.aborted) return 0;
    const rows = await this.db.transaction(async (tx) => {
      const now = this.clock.now();
      const lock = this.db.dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';
      const due = await tx.all<CallbackRow>(`SELECT * FROM assignment_callbacks WHERE locked_until <= ? ORDER BY seq LIMIT ${room}${lock}`, [now]);
      const claimed: CallbackRow[] = [];
      for (const row of due) {
        if ((await tx.run('UPDATE assignment_callbacks SET locked_until = ? WHERE seq = ? AND locked_until <= ?', [now + this.leaseMs, row.seq, now])) === 1)
          claimed.push(row);
      }
      return claimed;
    });
    for (const row of rows) {
      const run = this.send(row)
        .catch(() => undefined)
        .finally(() => this.inFlight.delete(row.seq));
      this.inFlight.set(row.seq, run);
    }
    return rows.length;
  }

  /** Sends every queued callback and acts on the answers. Returns how many requests were made. */
  async flush(): Promise<number> {
    const before = this.attempts;
    for (;;) {
      const started = await this.pump();
      if (started === 0 && this.inFlight.size === 0) break;
      await Promise.all([...this.inFlight.values()]);
    }
    return this.attempts - before;
  }

  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight.values()]);
  }

  /** Cancels requests under way (on shutdown); their rows are sent again later. */
  abort(): void {
    this.stopping.abort();
  }

  private post(url: string, body: URLSearchParams, token: string, reservationSid: string): Promise<PostResult> {
    this.attempts++;
    return postSigned(url, body, token, this.opts.assignmentTimeoutMs, reservationSid, this.stopping.signal);
  }

  private async send(row: CallbackRow): Promise<void> {
    const token = await authTokenOf(this.db, row.account_sid);
    const body = new URLSearchParams(row.body);
    let answer: Answer | null = null;
    if (token !== undefined) {
      answer = readAnswer(await this.post(row.url, body, token, row.reservation_sid));
      if (answer === null && row.fallback_url && !this.stopping.signal.aborted)
        answer = readAnswer(await this.post(row.fallback_url, body, token, row.reservation_sid));
    }
    if (this.stopping.signal.aborted) {
      // Shutting down mid-request: leave the row for whichever node runs next.
      await this.db.run('UPDATE assignment_callbacks SET locked_until = 0 WHERE seq = ?', [row.seq]);
      return;
    }
    try {
      if (answer && answer.kind !== 'defer') await this.carryOut(row, answer);
    } finally {
      await this.db.run('DELETE FROM assignment_callbacks WHERE seq = ?', [row.seq]);
    }
  }

  /** Accepts or rejects the reservation, if it is still waiting for an answer. */
  private async carryOut(row: CallbackRow, answer: Answer): Promise<void> {
    await this.engine.inWorkspace(row.account_sid, row.workspace_sid, async (tx, ws) => {
      const res = await reservations.get(tx, row.reservation_sid, ['workspace_sid = ?', ws.sid]);
      if (!res || res.reservation_status !== 'pending') return;
      const lifecycle = this.engine.lifecycle;
      if (answer.kind === 'accept') await lifecycle.accept(tx, ws, res);
      else if (answer.kind === 'reject') {
        // An activity that is not in this workspace is ignored: the worker stays where it is.
        const activity = answer.activitySid ? await activities.get(tx, answer.activitySid, ['workspace_sid = ?', ws.sid]) : undefined;
        await lifecycle.end(tx, ws, res, 'rejected', { reroute: true, workerActivitySid: activity?.sid });
      }
    });
  }
}
