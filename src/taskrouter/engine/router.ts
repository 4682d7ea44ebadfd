import { chooseWorkers, knownWorker, skipIfContext, type Candidate, type RoutedTask } from '../../core/routing/matching.ts';
import { advance, enter, isExit, resume, type Placement, type Step } from '../../core/routing/workflow.ts';
import { evaluate } from '../../core/expression/index.ts';
import { newSid } from '../../core/sid.ts';
import type { Executor } from '../../store/database.ts';
import type { TaskQueueRow, WorkspaceRow } from '../model.ts';
import { reservations, tasks, type ReservationRow, type TaskRow, type TransferRow } from '../routing-model.ts';
import { parseAttributes } from '../attributes.ts';
import type { PoolQuery, WorkerPool } from '../../core/routing/worker-pool.ts';
import type { EngineContext } from './context.ts';
import type { WorkspaceMemory } from './routing-state.ts';
import { holdChannel } from './capacity.ts';
import { emit } from './events.ts';
import { taskEventData, reservationEventData } from './event-data.ts';
import { clearTimer, newTimer, setTimer } from './timers.ts';
import { changeActivity } from './worker-activity.ts';

/**
 * Candidates are ranked a page at a time, in longest-idle order. Without an order_by the first
 * eligible ones win, so pages start small and grow: a task usually needs the first few members
 * of a queue, not all of them (a walk of the whole queue made routing slower with every worker).
 */
const CANDIDATE_PAGE = 500;
const FIRST_PAGE = 8;

const ageOf = (task: TaskRow, now: number) => Math.max(0, Math.floor((now - task.date_created) / 1000));

/**
 * Routing decisions inside a transaction that holds the workspace lock: placing tasks in their
 * workflow, reserving workers, and what follows when a reservation or a task ends.
 */
export abstract class Router {
  constructor(protected readonly ctx: EngineContext) {}

  /** Ends a task that is still being routed (defined with the other outcomes, in lifecycle.ts). */
  abstract cancelTask(tx: Executor, ws: WorkspaceRow, task: TaskRow, reason: string): Promise<TaskRow>;

  protected now() {
    return this.ctx.clock.now();
  }

  /** The workspace's routing state in memory, current for the routing change under way. */
  protected memory(ws: WorkspaceRow) {
    return this.ctx.state.of(ws.sid);
  }

  async stepOf(tx: Executor, task: TaskRow): Promise<Step | null> {
    if (task.step_filter === DIRECT && task.task_queue_sid) return directStep(task.task_queue_sid);
    if (!task.workflow_sid || task.workflow_revision === null || task.step_target === null) return null;
    const config = await this.ctx.configs.get(tx, task.workflow_sid, task.workflow_revision);
    if (!config) return null;
    return resume(config, task.step_filter, task.step_target, task.step_entered_age ?? 0);
  }

  /**
   * A task enters (or re-enters) its workflow from the top. With `keepFilterAge` (a re-evaluation
   * under the same configuration), a task that matches the filter it is already in keeps counting
   * that filter's timeouts from when it first entered it: targets whose deadline has passed get one
   * immediate try and are left behind, so updating a waiting task's attributes never restarts its
   * escalation (see place()).
   */
  async enterWorkflow(tx: Executor, ws: WorkspaceRow, task: TaskRow, opts: { keepFilterAge?: boolean } = {}): Promise<TaskRow> {
    const config = await this.ctx.configs.get(tx, task.workflow_sid!, task.workflow_revision!);
    if (!config) return task;
    const now = this.now();
    let placement = enter(config, parseAttributes(task.attributes), ageOf(task, now), now);
    if (opts.keepFilterAge && !isExit(placement) && placement.filter !== null && placement.filter === task.step_filter && task.step_entered_age !== null)
      placement = resume(config, placement.filter, 0, task.step_entered_age) ?? placement;
    return this.place(tx, ws, task, placement, 0);
  }

  /** Puts a task at a step (or out of the workflow), then tries to reserve workers for it. */
  async place(tx: Executor, ws: WorkspaceRow, task: TaskRow, placement: Placement, depth: number): Promise<TaskRow> {
    const now = this.now();
    if (isExit(placement)) {
      const reason =
        placement.exit === 'workflow.skipped'
          ? 'Task skipped out of its Workflow'
          : placement.exit === 'no-match'
            ? 'Task matched no Workflow filter'
            : 'Task canceled on Workflow timeout';
      await emit(tx, ws, now, {
        type: placement.exit === 'workflow.skipped' ? 'workflow.skipped' : 'workflow.timeout',
        description: reason,
        resourceType: 'task',
        resourceSid: task.sid,
        data: taskEventData(task, now),
      });
      return this.cancelTask(tx, ws, task, reason);
    }
    const step = placement;
    const queue = this.memory(ws).queues.get(step.spec.queue);
    if (!queue) return task;
    const movedQueue = task.task_queue_sid !== queue.sid;
    // Only a task placed before can have a target timer to clear (a new one has none: no DELETE for it).
    const placedBefore = task.step_filter !== null;
    const patch: Partial<TaskRow> = {
      step_filter: step.filter,
      step_target: step.target,
      step_entered_age: step.filterEnteredAge,
      step_since: now,
      task_queue_sid: queue.sid,
      task_queue_entered_date: movedQueue ? now : task.task_queue_entered_date,
      priority: step.spec.priority ?? task.priority,
      date_updated: now,
    };
    await tasks.updateLater(tx, task.sid, patch);
    task = { ...task, ...patch };
    await emit(tx, ws, now, {
      type: 'workflow.target-matched',
      description: `Task ${task.sid} matched a target of Workflow ${task.workflow_sid}`,
      resourceType: 'task',
      resourceSid: task.sid,
      data: { ...taskEventData(task), WorkflowFilterName: step.filterName ?? 'Default Filter', WorkflowFilterTarget: String(step.target) },
    });
    if (movedQueue)
      await emit(tx, ws, now, {
        type: 'task-queue.entered',
        description: `Task ${task.sid} entered TaskQueue ${queue.friendly_name}`,
        resourceType: 'task',
        resourceSid: task.sid,
        data: { ...taskEventData(task), TaskQueueName: queue.friendly_name, TaskQueueTargetExpression: queue.target_workers },
      });
    if (step.deadlineAge !== null) await setTimer(tx, 'target', task.sid, ws.sid, task.date_created + step.deadlineAge * 1000);
    else if (placedBefore) await clearTimer(tx, 'target', task.sid);

    const made = await this.tryAssignTask(tx, ws, task, step, queue);
    if (made === 0 && step.spec.skipIf && depth < 50) {
      const { pool } = this.memory(ws);
      const members = pool.membersOf(queue.sid).map((w) => ({ available: pool.isAvailable(w.sid), activitySid: w.activitySid }));
      const counts = skipIfContext(members, now, [...pool.activities.keys()]);
      const skip = evaluate(step.spec.skipIf, counts);
      if (skip) {
        const config = (await this.ctx.configs.get(tx, task.workflow_sid!, task.workflow_revision!))!;
        return this.place(tx, ws, task, advance(config, step, parseAttributes(task.attributes), ageOf(task, now), now, 'skip'), depth + 1);
      }
    }
    // A target whose deadline is already behind the task (it arrived here late, after an offer
    // that outlived earlier deadlines) had its one chance just now: move on without waiting.
    if (made === 0 && step.deadlineAge !== null && now >= task.date_created + step.deadlineAge * 1000 && depth < 50) {
      const current = (await tasks.get(tx, task.sid)) ?? task;
      if (current.assignment_status === 'pending') return this.moveOn(tx, ws, current, depth + 1);
    }
    // reserve() keeps `task` in step with every write it makes to the row: no need to read it back.
    return task;
  }

  /** The current target timed out: on to the next target or filter, or out of the workflow. */
  protected async moveOn(tx: Executor, ws: WorkspaceRow, task: TaskRow, depth = 0): Promise<TaskRow> {
    const step = await this.stepOf(tx, task);
    if (!step) return task;
    const config = await this.ctx.configs.get(tx, task.workflow_sid!, task.workflow_revision!);
    if (!config) return task;
    const now = this.now();
    const queue = this.memory(ws).queues.get(step.spec.queue);
    await emit(tx, ws, now, {
      type: 'task-queue.timeout',
      description: `Task ${task.sid} timed out of TaskQueue ${queue?.friendly_name ?? step.spec.queue}`,
      resourceType: 'task',
      resourceSid: task.sid,
      data: taskEventData(task, now),
    });
    const next = advance(config, step, parseAttributes(task.attributes), ageOf(task, now), now, 'timeout');
    if (!isExit(next) && next.spec.queue !== task.task_queue_sid)
      await emit(tx, ws, now, {
        type: 'task-queue.moved',
        description: `Task ${task.sid} moved to TaskQueue ${next.spec.queue}`,
        resourceType: 'task',
        resourceSid: task.sid,
        data: taskEventData(task, now),
      });
    return this.place(tx, ws, task, next, depth);
  }

  /** Reserves as many workers as the queue allows for a waiting task. Returns how many it reserved. */
  async tryAssignTask(tx: Executor, ws: WorkspaceRow, task: TaskRow, step?: Step | null, queue?: TaskQueueRow): Promise<number> {
    if (task.assignment_status !== 'pending' && task.assignment_status !== 'reserved') return 0;
    // A reserved task someone still holds is being transferred: only its transfer offers it.
    if (task.assignment_status === 'reserved' && (await reservations.count(tx, ['task_sid = ?', task.sid], ["reservation_status IN ('accepted', 'wrapping')"])) > 0)
      return 0;
    step ??= await this.stepOf(tx, task);
    if (!step) return 0;
    queue ??= this.memory(ws).queues.get(step.spec.queue);
    if (!queue) return 0;
    // A task never reserved (assignment_count 0) has no reservation to count or to leave out.
    const fresh = task.assignment_count === 0;
    const pending = fresh ? 0 : await reservations.count(tx, ['task_sid = ?', task.sid], ["reservation_status = 'pending'"]);
    const room = queue.max_reserved_workers - pending;
    if (room <= 0) return 0;
    const routed: RoutedTask = { sid: task.sid, attributes: parseAttributes(task.attributes), ignoreCapacity: task.ignore_capacity };
    const now = this.now();
    const query = candidateQuery(ws, task, step, queue, routed, await excludedFor(tx, task));
    if (!query) return 0;
    const chosen = findWorkers(this.memory(ws).pool, routed, step, query, room, { multiTask: ws.multi_task_enabled, nowMs: now });
    for (const c of chosen) await this.reserve(tx, ws, task, queue, c.sid, c.friendlyName);
    return chosen.length;
  }

  /**
   * A worker gained room (became available, got capacity back, joined a queue): offer it the best
   * waiting tasks, one at a time, until it has no room left or nothing it can take is waiting.
   */
  async tryAssignWorker(tx: Executor, ws: WorkspaceRow, workerSid: string): Promise<number> {
    if (!this.memory(ws).pool.isAvailable(workerSid)) return 0;
    // Tasks this worker cannot take (target expression, known worker) are remembered, so a long
    // queue of them is read past, not stopped at: the worker still finds the task it can take.
    const refused = new Set<string>();
    let made = 0;
    for (let round = 0; round < 50; round++) {
      let offset = 0;
      let reserved = false;
      while (!reserved && refused.size < MAX_REFUSED) {
        const batch = await waitingFor(tx, ws, this.memory(ws), workerSid, offset, !this.memory(ws).pool.hasRoom(workerSid, ws.multi_task_enabled));
        if (batch.length === 0) break;
        offset += batch.length;
        for (const raw of batch) {
          const task = tasks.decode(raw);
          if (refused.has(task.sid)) continue;
          if (await this.offerTo(tx, ws, task, workerSid)) {
            made++;
            reserved = true;
            break;
          }
          refused.add(task.sid);
        }
      }
      // A reservation changes the worker's room: read the queue again from the top.
      if (!reserved) break;
    }
    return made;
  }

  /** Reserves this one worker for a waiting task if the task's current step allows it. */
  private async offerTo(tx: Executor, ws: WorkspaceRow, task: TaskRow, workerSid: string): Promise<boolean> {
    const step = await this.stepOf(tx, task);
    if (!step) return false;
    const queue = this.memory(ws).queues.get(step.spec.queue);
    if (!queue) return false;
    const routed: RoutedTask = { sid: task.sid, attributes: parseAttributes(task.attributes), ignoreCapacity: task.ignore_capacity };
    const query = candidateQuery(ws, task, step, queue, routed, await excludedFor(tx, task));
    if (!query) return false;
    const [cands = []] = this.memory(ws).pool.candidates({ ...query, workerSid }, 1);
    const [c] = chooseWorkers(routed, step, cands, 1, { multiTask: ws.multi_task_enabled, nowMs: this.now() });
    if (!c) return false;
    await this.reserve(tx, ws, task, queue, c.sid, c.friendlyName);
    return true;
  }

  /**
   * Offers a task under transfer to the worker it is transferred to, or to the best available
   * member of the queue it is transferred to, if one can take it now. Whether one was reserved.
   */
  async offerTransfer(tx: Executor, ws: WorkspaceRow, task: TaskRow, transfer: TransferRow): Promise<boolean> {
    const toWorker = transfer.transfer_type === 'WORKER' ? transfer.transfer_to : null;
    const queue = this.memory(ws).queues.get(toWorker ? (task.task_queue_sid ?? '') : transfer.transfer_to);
    if (!queue) return false;
    const routed: RoutedTask = { sid: task.sid, attributes: parseAttributes(task.attributes), ignoreCapacity: task.ignore_capacity };
    const query: PoolQuery = {
      queueSid: queue.sid,
      taskChannelSid: task.task_channel_sid,
      multiTask: ws.multi_task_enabled,
      ignoreCapacity: task.ignore_capacity,
      knownWorker: toWorker ? { by: 'sid', value: toWorker } : null,
      anyWorker: Boolean(toWorker),
      needChannels: false,
      excluded: await excludedFor(tx, task, transfer.sid),
    };
    const [c] = findWorkers(this.memory(ws).pool, routed, directStep(queue.sid), query, 1, { multiTask: ws.multi_task_enabled, nowMs: this.now() });
    if (!c) return false;
    await this.reserve(tx, ws, task, queue, c.sid, c.friendlyName, transfer.sid);
    return true;
  }

  private async reserve(tx: Executor, ws: WorkspaceRow, task: TaskRow, queue: TaskQueueRow, workerSid: string, workerName: string, transferSid?: string) {
    const now = this.now();
    const workflow = task.workflow_sid ? this.memory(ws).workflows.get(task.workflow_sid) : undefined;
    const timeoutSeconds = workflow?.task_reservation_timeout ?? 120;
    const known = this.memory(ws).pool.workers.get(workerSid)!;
    const worker = { sid: known.sid, friendly_name: known.friendlyName, attributes: known.attributesText, activity_sid: known.activitySid, version: known.version };
    const res: ReservationRow = {
      sid: newSid('WR'),
      account_sid: task.account_sid,
      workspace_sid: task.workspace_sid,
      task_sid: task.sid,
      worker_sid: workerSid,
      worker_name: workerName,
      task_channel_sid: task.task_channel_sid,
      task_queue_sid: queue.sid,
      reservation_status: 'pending',
      timeout_at: now + timeoutSeconds * 1000,
      worker_previous_activity_sid: worker.activity_sid,
      version: 0,
      date_created: now,
      date_updated: now,
      ...(transferSid ? { transfer_sid: transferSid } : {}),
    };
    await reservations.insertLater(tx, res);
    await newTimer(tx, 'reservation', res.sid, ws.sid, res.timeout_at!);
    await holdChannel(tx, this.memory(ws).pool, workerSid, task.task_channel_sid, now);
    if (task.assignment_status === 'pending') {
      await tasks.updateLater(tx, task.sid, {
        assignment_status: 'reserved',
        assignment_count: task.assignment_count + 1,
        version: task.version + 1,
        date_updated: now,
      });
      task.assignment_status = 'reserved';
      task.assignment_count += 1;
      task.version += 1;
      task.date_updated = now;
    }
    if (!ws.multi_task_enabled && queue.reservation_activity_sid)
      await changeActivity(tx, ws, workerSid, queue.reservation_activity_sid, now, this.memory(ws).pool);
    await emit(tx, ws, now, {
      type: 'reservation.created',
      description: `Reservation ${res.sid} created for Worker ${workerName}`,
      resourceType: 'reservation',
      resourceSid: res.sid,
      data: reservationEventData(task, res, worker, now),
    });
    await this.ctx.hooks.reservationCreated(tx, ws, task, res, { workflow, workerAttributes: worker.attributes });
  }
}

/**
 * The workers to reserve, at most `max`, over the whole queue: members come in longest-idle pages,
 * so an eligible worker is found however many ineligible ones are idle longer. Without order_by the
 * first eligible in idle order are the answer and the search stops there; with order_by every
 * eligible member is ranked.
 */
function findWorkers(
  pool: WorkerPool,
  routed: RoutedTask,
  step: Step,
  query: PoolQuery,
  max: number,
  opts: { multiTask: boolean; nowMs: number },
): Candidate[] {
  const eligible: Candidate[] = [];
  const unordered = { ...step, spec: { ...step.spec, orderBy: null } };
  const pages = step.spec.orderBy ? pool.candidates(query, CANDIDATE_PAGE) : pool.candidates(query, Math.max(FIRST_PAGE, max), CANDIDATE_PAGE);
  for (const page of pages) {
    eligible.push(...chooseWorkers(routed, unordered, page, page.length, opts));
    if (!step.spec.orderBy && eligible.length >= max) break;
  }
  return chooseWorkers(routed, step, eligible, max, opts);
}

/**
 * Workers a task may not be offered again: those who hold it or had it and let it go (rejected,
 * timed out); in a transfer, those who hold it now or were offered it in this transfer.
 */
async function excludedFor(tx: Executor, task: TaskRow, transferSid?: string): Promise<ReadonlySet<string>> {
  if (task.assignment_count === 0 && !transferSid) return NOBODY;
  const rows = await tx.all<{ worker_sid: string; reservation_status: string; transfer_sid: string | null }>(
    'SELECT worker_sid, reservation_status, transfer_sid FROM reservations WHERE task_sid = ?',
    [task.sid],
  );
  const out = new Set<string>();
  for (const r of rows) {
    const leaveOut = transferSid
      ? ['pending', 'accepted', 'wrapping'].includes(r.reservation_status) || r.transfer_sid === transferSid
      : r.reservation_status !== 'canceled' && r.reservation_status !== 'rescinded';
    if (leaveOut) out.add(r.worker_sid);
  }
  return out;
}

const NOBODY: ReadonlySet<string> = new Set();

/** How many waiting tasks a worker may be refused (by target expressions) before the search gives up. */
const MAX_REFUSED = 1000;
/** Waiting tasks read per query: few at first (the best task is mostly taken), more once those were refused. */
const WAITING_FIRST = 4;
const WAITING_BATCH = 50;

/**
 * Pending tasks a worker could be offered, best first: those in its queues (unless addressed to
 * another worker) and those addressed to it by RoutingTarget, on a channel where it has room, never
 * one it already refused or let time out. Order: the queue kind PrioritizeQueueOrder names first;
 * FIFO by priority then age, LIFO newest first (see core/routing/queue-order.ts). Each of the
 * worker's queues (from memory) is read in its own order from an index, the best `offset + batch`
 * of each, and the lists merged: the cost follows the worker's queues, not the workspace's backlog.
 * A worker without room (`roomless`, as memory has it) can only take tasks that ignore capacity:
 * those are read from an index of their own, instead of reading a queue's whole backlog past every
 * task it has no room for.
 */
async function waitingFor(
  tx: Executor,
  ws: WorkspaceRow,
  memory: WorkspaceMemory,
  workerSid: string,
  offset: number,
  roomless: boolean,
): Promise<Record<string, unknown>[]> {
  const want = Math.floor(offset) + (offset === 0 ? WAITING_FIRST : WAITING_BATCH);
  const room = ws.multi_task_enabled
    ? 'wc.available = 1 AND wc.held < wc.capacity'
    : 'wc.available = 1 AND wc.capacity > 0 AND NOT EXISTS (SELECT 1 FROM worker_channels x WHERE x.worker_sid = wc.worker_sid AND x.held > 0)';
  const select = (where: string) => `SELECT t.* FROM tasks t
       JOIN worker_channels wc ON wc.worker_sid = ? AND wc.task_channel_sid = t.task_channel_sid
      WHERE ${where} AND t.assignment_status = 'pending'
        AND (t.ignore_capacity = 1 OR (${room}))
        AND NOT EXISTS (SELECT 1 FROM reservations r WHERE r.task_sid = t.sid AND r.worker_sid = ?
                          AND r.reservation_status NOT IN ('canceled', 'rescinded'))`;
  const rows: Record<string, unknown>[] = [];
  for (const queueSid of memory.pool.workers.get(workerSid)?.queues ?? []) {
    const lifo = memory.queues.get(queueSid)?.task_order === 'LIFO';
    rows.push(
      ...(await tx.all<Record<string, unknown>>(
        `${select(`t.task_queue_sid = ?${roomless ? ' AND t.ignore_capacity = 1' : ''} AND (t.routing_target IS NULL OR t.routing_target NOT LIKE 'WK%')`)}
          ORDER BY ${lifo ? 't.virtual_start_time DESC, t.seq' : 't.priority DESC, t.virtual_start_time, t.seq'} LIMIT ${want}`,
        [workerSid, queueSid, workerSid],
      )),
    );
  }
  // Tasks addressed to this worker, whatever their queue (few: read them all, up to a bound).
  rows.push(...(await tx.all<Record<string, unknown>>(`${select('t.routing_target = ? AND t.workspace_sid = ?')} LIMIT 1000`, [workerSid, workerSid, ws.sid, workerSid])));
  const kind = (r: Record<string, unknown>) => memory.queues.get(r.task_queue_sid as string)?.task_order ?? 'FIFO';
  const key = (r: Record<string, unknown>): number[] => {
    const lifo = kind(r) === 'LIFO';
    const vst = Number(r.virtual_start_time);
    return [kind(r) === ws.prioritize_queue_order ? 0 : 1, lifo ? 0 : -Number(r.priority), lifo ? -vst : vst, Number(r.seq)];
  };
  const seen = new Set<string>();
  const unique = rows.filter((r) => !seen.has(r.sid as string) && seen.add(r.sid as string));
  const keyed = unique.map((r) => ({ r, k: key(r) }));
  keyed.sort((a, b) => {
    for (let i = 0; i < a.k.length; i++) if (a.k[i] !== b.k[i]) return a.k[i] - b.k[i];
    return 0;
  });
  return keyed.slice(Math.floor(offset), want).map((x) => x.r);
}

/** step_filter value of a task placed straight in a queue (TaskQueueSid without a workflow). */
export const DIRECT = -1;

export function directStep(queueSid: string): Step {
  return {
    filter: DIRECT,
    filterName: null,
    target: 0,
    filterEnteredAge: 0,
    deadlineAge: null,
    spec: { queue: queueSid, priority: null, timeout: null, expression: null, orderBy: null, skipIf: null, knownWorkerSid: null, knownWorkerFriendlyName: null },
  };
}

/** Who may be offered a task at a step; null when nobody can be (a known worker the task does not name). */
function candidateQuery(ws: WorkspaceRow, task: TaskRow, step: Step, queue: TaskQueueRow, routed: RoutedTask, excluded: ReadonlySet<string>): PoolQuery | null {
  // A task routed to one worker (RoutingTarget=WK...) goes to that worker, member of the queue or not.
  const toWorker = task.routing_target?.startsWith('WK') ? task.routing_target : null;
  const known = toWorker ? { by: 'sid' as const, value: toWorker } : knownWorker(step, routed);
  if (known && typeof known.value !== 'string') return null;
  return {
    queueSid: queue.sid,
    taskChannelSid: task.task_channel_sid,
    multiTask: ws.multi_task_enabled,
    ignoreCapacity: task.ignore_capacity,
    knownWorker: known ? { by: known.by, value: known.value as string } : null,
    anyWorker: Boolean(toWorker),
    needChannels: step.spec.expression?.source.includes('worker.channel') ?? false,
    excluded,
  };
}
