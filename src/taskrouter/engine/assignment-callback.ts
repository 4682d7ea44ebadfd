import type { Clock } from '../../core/clock.ts';
import { isSid } from '../../core/sid.ts';
import { Outbound, type OutboundResult } from '../../outbound/http.ts';
import { Sender } from '../../outbound/sender.ts';
import type { Database, Executor } from '../../store/database.ts';
import { Outbox, authTokenOf, type Claim } from '../../store/outbox.ts';
import { activities, type WorkspaceRow } from '../model.ts';
import { reservations, type ReservationRow, type TaskRow } from '../routing-model.ts';
import { CALLBACK_DEFAULTS, type CallbackOptions } from './callback-options.ts';
import type { Engine } from './index.ts';
import { noteQueued } from './commits.ts';
import type { ReservationContext } from './context.ts';

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
export function readAnswer(result: OutboundResult): Answer | null {
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
    // Only a well-formed SID is looked up: the receiver's text (a NUL, say) must not reach the store.
    return { kind: 'reject', activitySid: isSid(reply.activity_sid, 'WA') ? reply.activity_sid : undefined };
  // {} defers; so do voice instructions and anything unknown (Twilio: a debugger warning).
  if (instruction === undefined) return { kind: 'defer', reason: 'empty' };
  return { kind: 'defer', reason: VOICE.has(instruction) ? 'voice' : 'unknown' };
}

/** Due callbacks are claimed this many at a time, every one of them each pump. */
const PAGE = 100;

/**
 * Workflow assignment callbacks. When a reservation is created and its workflow has an
 * AssignmentCallbackUrl, a row is queued in the same transaction (so a crash loses nothing and a
 * rolled-back reservation sends nothing); after the commit it is POSTed, signed like every Twilio
 * webhook. The answer may accept or reject the reservation; `{}` defers to the REST API. A failed
 * answer (not 2xx, not JSON, no answer within 5 s) gets one try at FallbackAssignmentCallbackUrl;
 * if that fails too, the reservation waits, pending, for its timeout. Every due callback is
 * started at once, each as fast as its destination allows (see Outbound).
 */
export class AssignmentCallbacks extends Sender {
  private readonly opts: Required<CallbackOptions>;
  private readonly outbox: Outbox<CallbackRow>;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly engine: Engine,
    options: CallbackOptions = {},
    private readonly outbound = new Outbound(),
  ) {
    super();
    this.opts = { ...CALLBACK_DEFAULTS, ...options };
    this.outbox = new Outbox<CallbackRow>(db, clock, 'assignment_callbacks', 2 * this.opts.assignmentTimeoutMs + 30_000);
    engine.addTransactionHook('reservationCreated', (tx, ws, task, res, known) => this.queue(tx, ws, task, res, known));
  }

  /** Inside the routing transaction: queue the callback, if the task's workflow wants one (both from the engine's memory). */
  async queue(tx: Executor, ws: WorkspaceRow, task: TaskRow, res: ReservationRow, known: ReservationContext): Promise<void> {
    const workflow = known.workflow;
    if (!task.workflow_sid || !workflow?.assignment_callback_url) return;
    noteQueued(tx, ws.sid, 'assignmentCallbacks');
    const now = this.clock.now();
    const body = new URLSearchParams({
      AccountSid: ws.account_sid,
      WorkspaceSid: ws.sid,
      WorkflowSid: workflow.sid,
      TaskQueueSid: res.task_queue_sid ?? task.task_queue_sid ?? '',
      WorkerSid: res.worker_sid,
      WorkerAttributes: known.workerAttributes,
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

  /** Claims every due callback and starts sending it; returns how many it started. */
  async pump(): Promise<number> {
    let started = 0;
    for (let after = 0; !this.stopping.signal.aborted; ) {
      const claimed = await this.outbox.claimDue(after, PAGE);
      // Keyed by claim, not by seq: a claim that ran out while waiting may be taken again here.
      for (const { row, claim } of claimed) this.launch(claim, () => this.send(row, claim));
      started += claimed.length;
      if (claimed.length < PAGE) break;
      after = Number(claimed[claimed.length - 1].row.seq);
    }
    return started;
  }

  private async send(row: CallbackRow, claim: Claim): Promise<void> {
    const token = await authTokenOf(this.db, row.account_sid);
    let answer: Answer | null = null;
    if (token !== undefined) {
      const params = new URLSearchParams(row.body);
      const post = async (url: string) => {
        const request = { url, params, authToken: token, timeoutMs: this.opts.assignmentTimeoutMs, idempotencyToken: row.reservation_sid, signal: this.stopping.signal };
        const result = await this.outbound.send(request, () => this.outbox.renew(claim));
        if (result.attempted) this.requests++;
        return readAnswer(result);
      };
      answer = await post(row.url);
      if (answer === null && row.fallback_url && !claim.lost && !this.stopping.signal.aborted) answer = await post(row.fallback_url);
    }
    // Another node took it over while it waited for its destination: it is that node's now.
    if (claim.lost) return;
    // Shutting down mid-request: leave the row for whichever node runs next.
    if (this.stopping.signal.aborted) return this.outbox.release(claim);
    try {
      if (answer && answer.kind !== 'defer') await this.carryOut(row, answer);
    } finally {
      await this.outbox.done(row.seq);
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
