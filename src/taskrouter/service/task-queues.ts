import { inUse, invalidParameter, notFound } from '../../core/errors.ts';
import { evaluate } from '../../core/expression/index.ts';
import { newSid } from '../../core/sid.ts';
import type { Executor } from '../../store/database.ts';
import type { Condition } from '../../store/table.ts';
import { taskQueueEvent } from '../engine/event-data.ts';
import { emit } from '../engine/events.ts';
import { refreshQueueMembership } from '../engine/membership.ts';
import { activities, taskQueues, workers, type TaskQueueRow } from '../model.ts';
import { tasks } from '../routing-model.ts';
import { expressionParam, ordering, parseAttributes, patched, requireWorkspace, uniquely, type Deps } from './deps.ts';

export interface TaskQueueInput {
  friendlyName?: string;
  targetWorkers?: string;
  maxReservedWorkers?: number;
  taskOrder?: 'FIFO' | 'LIFO';
  reservationActivitySid?: string;
  assignmentActivitySid?: string;
}

export interface TaskQueueFilter {
  friendlyName?: string;
  evaluateWorkerAttributes?: Record<string, unknown>;
  workerSid?: string;
  ordering?: string;
}

const ORDER_COLUMNS = { DateCreated: 'date_created', DateUpdated: 'date_updated', FriendlyName: 'friendly_name' };

export class TaskQueueService {
  constructor(private readonly deps: Deps) {}

  async create(accountSid: string, workspaceSid: string, input: TaskQueueInput & { friendlyName: string }): Promise<TaskQueueRow> {
    const targetWorkers = input.targetWorkers?.trim() || '1==1';
    expressionParam('TargetWorkers', targetWorkers);
    const now = this.deps.clock.now();
    return this.deps.engine.inWorkspace(accountSid, workspaceSid, async (tx, ws) => {
      await this.checkActivities(tx, workspaceSid, input);
      const row: TaskQueueRow = {
        sid: newSid('WQ'),
        account_sid: accountSid,
        workspace_sid: workspaceSid,
        friendly_name: input.friendlyName,
        target_workers: targetWorkers,
        max_reserved_workers: input.maxReservedWorkers ?? 1,
        task_order: input.taskOrder ?? 'FIFO',
        reservation_activity_sid: input.reservationActivitySid || null,
        assignment_activity_sid: input.assignmentActivitySid || null,
        date_created: now,
        date_updated: now,
      };
      await uniquely(() => taskQueues.insert(tx, row), `A TaskQueue named '${input.friendlyName}' already exists in this Workspace`);
      await refreshQueueMembership(tx, workspaceSid, row.sid, row.target_workers);
      await this.deps.engine.state.refreshQueue(tx, workspaceSid, row.sid);
      await emit(tx, ws, now, taskQueueEvent(row, 'created'));
      return row;
    });
  }

  private async checkActivities(db: Executor, workspaceSid: string, input: TaskQueueInput) {
    for (const [param, sid] of [
      ['ReservationActivitySid', input.reservationActivitySid],
      ['AssignmentActivitySid', input.assignmentActivitySid],
    ] as const) {
      if (sid && !(await activities.get(db, sid, ['workspace_sid = ?', workspaceSid])))
        throw invalidParameter(`Invalid ${param}: Activity ${sid} is not in Workspace ${workspaceSid}`);
    }
  }

  async get(accountSid: string, workspaceSid: string, sid: string, db: Executor = this.deps.db): Promise<TaskQueueRow> {
    await requireWorkspace(db, accountSid, workspaceSid);
    const row = await taskQueues.get(db, sid, ['workspace_sid = ?', workspaceSid]);
    if (!row) throw notFound(`/v1/Workspaces/${workspaceSid}/TaskQueues/${sid}`);
    return row;
  }

  async list(accountSid: string, workspaceSid: string, filter: TaskQueueFilter, limit: number, offset: number): Promise<TaskQueueRow[]> {
    const db = this.deps.db;
    await requireWorkspace(db, accountSid, workspaceSid);
    const where: Condition[] = [['workspace_sid = ?', workspaceSid]];
    if (filter.friendlyName !== undefined) where.push(['friendly_name = ?', filter.friendlyName]);
    const orderBy = ordering(filter.ordering, ORDER_COLUMNS);
    let attributes = filter.evaluateWorkerAttributes;
    if (filter.workerSid !== undefined) {
      // A filter naming a worker that does not exist matches nothing, as every list filter does.
      const worker = await workers.get(db, filter.workerSid, ['workspace_sid = ?', workspaceSid]);
      if (!worker) return [];
      attributes = parseAttributes(worker.attributes);
    }
    if (attributes === undefined) return taskQueues.list(db, { where, orderBy, limit, offset });
    // Membership is a property of the expression: evaluate it over the given attributes.
    const all = await taskQueues.list(db, { where, orderBy });
    const members = all.filter((q) => evaluate(expressionParam('TargetWorkers', q.target_workers), attributes));
    return members.slice(offset, offset + limit);
  }

  async update(accountSid: string, workspaceSid: string, sid: string, input: TaskQueueInput): Promise<TaskQueueRow> {
    if (input.targetWorkers !== undefined) expressionParam('TargetWorkers', input.targetWorkers);
    return this.deps.engine.inWorkspace(accountSid, workspaceSid, async (tx, ws) => {
      const row = await this.get(accountSid, workspaceSid, sid, tx);
      await this.checkActivities(tx, workspaceSid, input);
      const patch: Partial<TaskQueueRow> = {
        friendly_name: input.friendlyName,
        target_workers: input.targetWorkers?.trim() || (input.targetWorkers === undefined ? undefined : '1==1'),
        max_reserved_workers: input.maxReservedWorkers,
        task_order: input.taskOrder,
        reservation_activity_sid: input.reservationActivitySid,
        assignment_activity_sid: input.assignmentActivitySid,
        date_updated: this.deps.clock.now(),
      };
      await uniquely(() => taskQueues.update(tx, sid, patch), `A TaskQueue named '${input.friendlyName}' already exists in this Workspace`);
      const updated = patched(row, patch);
      if (updated.target_workers !== row.target_workers) await refreshQueueMembership(tx, workspaceSid, sid, updated.target_workers);
      await this.deps.engine.state.refreshQueue(tx, workspaceSid, sid);
      await emit(tx, ws, patch.date_updated!, taskQueueEvent(updated, 'updated'));
      if (updated.target_workers !== row.target_workers) await emit(tx, ws, patch.date_updated!, taskQueueEvent(updated, 'expression.updated'));
      if (updated.target_workers !== row.target_workers || updated.max_reserved_workers > row.max_reserved_workers) {
        // Members the new expression brings in may take what is waiting.
        for (const task of await tasks.list(tx, { where: [['task_queue_sid = ?', sid], ["assignment_status IN ('pending', 'reserved')"]], limit: 500 }))
          await this.deps.engine.lifecycle.tryAssignTask(tx, ws, task);
      }
      return updated;
    });
  }

  /** A queue that a workflow routes to cannot be deleted: the workflow would route nowhere. */
  async delete(accountSid: string, workspaceSid: string, sid: string): Promise<void> {
    // Under the workspace lock, so no task can be created on it while it goes.
    await this.deps.engine.inWorkspace(accountSid, workspaceSid, async (tx, ws) => {
      const row = await this.get(accountSid, workspaceSid, sid, tx);
      const ref = await tx.get<{ workflow_sid: string }>('SELECT workflow_sid FROM workflow_queues WHERE queue_sid = ?', [sid]);
      if (ref) throw inUse(`TaskQueue ${sid} cannot be deleted: Workflow ${ref.workflow_sid} routes to it`);
      const active = await tasks.count(tx, ['task_queue_sid = ?', sid], ["assignment_status IN ('pending', 'reserved', 'assigned', 'wrapping')"]);
      if (active > 0) throw inUse(`TaskQueue ${sid} cannot be deleted: ${active} active Task(s) are in it`);
      await taskQueues.delete(tx, ['sid = ?', sid]);
      await this.deps.engine.state.refreshQueue(tx, workspaceSid, sid);
      await emit(tx, ws, this.deps.clock.now(), taskQueueEvent(row, 'deleted'));
    });
  }

  async activityName(sid: string | null): Promise<string | null> {
    if (!sid) return null;
    return (await activities.get(this.deps.db, sid))?.friendly_name ?? null;
  }
}

