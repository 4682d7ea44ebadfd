import { canRequestTaskStatus, type TaskStatus } from '../../core/routing/lifecycle.ts';
import { invalidParameter, notFound } from '../../core/errors.ts';
import { evaluate } from '../../core/expression/index.ts';
import { newSid } from '../../core/sid.ts';
import type { Executor } from '../../store/database.ts';
import type { Condition } from '../../store/table.ts';
import type { Engine } from '../engine/index.ts';
import { DIRECT } from '../engine/router.ts';
import { taskQueues, workflows, type TaskChannelRow, type WorkflowRow, type WorkspaceRow } from '../model.ts';
import { tasks, TASK_LIMITS, type TaskRow } from '../routing-model.ts';
import { checkIfMatch, expressionParam, ordering, parseAttributes, requireWorkspace, type Deps } from './deps.ts';

export interface TaskInput {
  workflowSid?: string;
  taskQueueSid?: string;
  attributes?: string;
  priority?: number;
  timeout?: number;
  taskChannel?: string;
  virtualStartTime?: number;
  routingTarget?: string;
  ignoreCapacity?: boolean;
}

export interface TaskUpdate {
  attributes?: string;
  priority?: number;
  assignmentStatus?: TaskStatus;
  reason?: string;
  taskChannel?: string;
  virtualStartTime?: number;
}

export interface TaskFilter {
  priority?: number;
  assignmentStatus?: TaskStatus[];
  workflowSid?: string;
  workflowName?: string;
  taskQueueSid?: string;
  taskQueueName?: string;
  evaluateTaskAttributes?: string;
  routingTarget?: string;
  ordering?: string;
  hasAddons?: boolean;
}

const ORDER_COLUMNS = { DateCreated: 'date_created', Priority: 'priority', VirtualStartTime: 'virtual_start_time' };

export class TaskService {
  constructor(
    private readonly deps: Deps,
    private readonly engine: Engine,
  ) {}

  async create(accountSid: string, workspaceSid: string, input: TaskInput): Promise<TaskRow> {
    const now = this.deps.clock.now();
    if (input.virtualStartTime !== undefined && input.virtualStartTime > now)
      throw invalidParameter('Invalid VirtualStartTime: it cannot be in the future');
    return this.engine.inWorkspace(accountSid, workspaceSid, (tx, ws) => this.createIn(tx, ws, input));
  }

  /** Creates and routes a task inside the caller's routing transaction (Engine.inWorkspace). */
  async createIn(tx: Executor, ws: WorkspaceRow, input: TaskInput): Promise<TaskRow> {
    const now = this.deps.clock.now();
    const accountSid = ws.account_sid;
    const workspaceSid = ws.sid;
    const memory = this.engine.state.of(workspaceSid);
    const channel = channelIn(memory.taskChannels, input.taskChannel ?? 'default');
    if (!channel) throw invalidParameter(`Invalid TaskChannel: '${input.taskChannel}' is not a TaskChannel of this Workspace`);
    const workflow = this.workflowFor(memory.workflows, input);
    let queueSid: string | null = null;
    if (!workflow) {
      const queue = input.taskQueueSid ? memory.queues.get(input.taskQueueSid) : undefined;
      if (!queue) throw invalidParameter(`Invalid TaskQueueSid: TaskQueue ${input.taskQueueSid} is not in this Workspace`);
      queueSid = queue.sid;
    }
    const toWorker = input.routingTarget?.startsWith('WK') ?? false;
    if (input.routingTarget) await this.checkRoutingTarget(tx, workspaceSid, input.routingTarget);
    const task: TaskRow = {
      sid: newSid('WT'),
      account_sid: accountSid,
      workspace_sid: workspaceSid,
      workflow_sid: workflow?.sid ?? null,
      workflow_revision: workflow?.revision ?? null,
      attributes: input.attributes ?? '{}',
      assignment_status: 'pending',
      priority: input.priority ?? 0,
      timeout: input.timeout ?? TASK_LIMITS.defaultTimeout,
      task_channel_sid: channel.sid,
      task_channel_unique_name: channel.unique_name,
      task_queue_sid: null,
      task_queue_entered_date: null,
      reason: null,
      virtual_start_time: input.virtualStartTime ?? now,
      routing_target: input.routingTarget ?? null,
      ignore_capacity: input.ignoreCapacity ?? toWorker,
      addons: '{}',
      version: 0,
      step_filter: null,
      step_target: null,
      step_entered_age: null,
      step_since: null,
      assignment_count: 0,
      date_created: now,
      date_updated: now,
      date_closed: null,
    };
    return this.engine.lifecycle.createTask(tx, ws, task, workflow ? { workflow } : { queueSid: queueSid! });
  }

  /** WorkflowSid may be left out when the workspace has exactly one workflow, as Twilio allows. */
  private workflowFor(inWorkspace: Map<string, WorkflowRow>, input: TaskInput) {
    if (input.workflowSid) {
      const wf = inWorkspace.get(input.workflowSid);
      if (!wf) throw invalidParameter(`Invalid WorkflowSid: Workflow ${input.workflowSid} is not in this Workspace`);
      return wf;
    }
    if (input.taskQueueSid) return undefined;
    if (inWorkspace.size !== 1) throw invalidParameter('Missing required parameter WorkflowSid in the post body');
    return [...inWorkspace.values()][0];
  }

  private async checkRoutingTarget(tx: Executor, workspaceSid: string, target: string) {
    const table = target.startsWith('WK') ? 'workers' : target.startsWith('WQ') ? 'task_queues' : target.startsWith('WW') ? 'workflows' : null;
    const found = table && (await tx.get(`SELECT sid FROM ${table} WHERE sid = ? AND workspace_sid = ?`, [target, workspaceSid]));
    if (!found) throw invalidParameter(`Invalid RoutingTarget: ${target} is not a Worker, TaskQueue or Workflow of this Workspace`);
  }

  async get(accountSid: string, workspaceSid: string, sid: string, db: Executor = this.deps.db): Promise<TaskRow> {
    await requireWorkspace(db, accountSid, workspaceSid);
    const row = await tasks.get(db, sid, ['workspace_sid = ?', workspaceSid]);
    if (!row) throw notFound(`/v1/Workspaces/${workspaceSid}/Tasks/${sid}`);
    return row;
  }

  async list(accountSid: string, workspaceSid: string, f: TaskFilter, limit: number, offset: number): Promise<TaskRow[]> {
    const db = this.deps.db;
    await requireWorkspace(db, accountSid, workspaceSid);
    const where: Condition[] = [['workspace_sid = ?', workspaceSid]];
    if (f.priority !== undefined) where.push(['priority = ?', f.priority]);
    if (f.assignmentStatus?.length) where.push([`assignment_status IN (${f.assignmentStatus.map(() => '?').join(', ')})`, ...f.assignmentStatus]);
    if (f.workflowSid) where.push(['workflow_sid = ?', f.workflowSid]);
    if (f.workflowName) where.push(['workflow_sid IN (SELECT sid FROM workflows WHERE workspace_sid = ? AND friendly_name = ?)', workspaceSid, f.workflowName]);
    if (f.taskQueueSid) where.push(['task_queue_sid = ?', f.taskQueueSid]);
    if (f.taskQueueName) where.push(['task_queue_sid IN (SELECT sid FROM task_queues WHERE workspace_sid = ? AND friendly_name = ?)', workspaceSid, f.taskQueueName]);
    if (f.routingTarget) where.push(['routing_target = ?', f.routingTarget]);
    if (f.hasAddons !== undefined) where.push([f.hasAddons ? "addons <> '{}'" : "addons = '{}'"]);
    const orderBy = ordering(f.ordering, ORDER_COLUMNS);
    if (f.evaluateTaskAttributes === undefined) return tasks.list(db, { where, orderBy, limit, offset });
    const expr = expressionParam('EvaluateTaskAttributes', f.evaluateTaskAttributes);
    const all = await tasks.list(db, { where, orderBy });
    return all.filter((t) => evaluate(expr, parseAttributes(t.attributes))).slice(offset, offset + limit);
  }

  async update(accountSid: string, workspaceSid: string, sid: string, input: TaskUpdate, ifMatch?: string): Promise<TaskRow> {
    return this.engine.inWorkspace(accountSid, workspaceSid, async (tx, ws) => {
      let task = await this.get(accountSid, workspaceSid, sid, tx);
      checkIfMatch(task.version, ifMatch);
      const now = this.deps.clock.now();
      const lifecycle = this.engine.lifecycle;
      const patch: Partial<TaskRow> = {};
      if (input.attributes !== undefined) patch.attributes = input.attributes;
      if (input.priority !== undefined) patch.priority = input.priority;
      if (input.virtualStartTime !== undefined) {
        if (input.virtualStartTime > now) throw invalidParameter('Invalid VirtualStartTime: it cannot be in the future');
        patch.virtual_start_time = input.virtualStartTime;
      }
      if (input.taskChannel !== undefined) {
        const channel = channelIn(this.engine.state.of(workspaceSid).taskChannels, input.taskChannel);
        if (!channel) throw invalidParameter(`Invalid TaskChannel: '${input.taskChannel}' is not a TaskChannel of this Workspace`);
        if (task.assignment_status !== 'pending') throw invalidParameter('The TaskChannel of a Task can only change while it is pending');
        patch.task_channel_sid = channel.sid;
        patch.task_channel_unique_name = channel.unique_name;
      }
      const status = input.assignmentStatus;
      if (status !== undefined && status !== task.assignment_status && !canRequestTaskStatus(task.assignment_status, status))
        throw invalidParameter(`A Task cannot move from ${task.assignment_status} to ${status}`);
      const transfer = status === 'canceled' ? await lifecycle.transfers.inFlight(tx, sid) : undefined;
      if (transfer) throw invalidParameter(`Task ${sid} is being transferred (${transfer.sid}) by the Worker holding it: it cannot be canceled`);
      if (Object.keys(patch).length > 0) {
        task = await lifecycle.updateTask(tx, ws, task, patch);
        // New attributes can change where a waiting task belongs: it is routed again from the top
        // (its filter's timeouts keep counting if it lands in the same filter).
        if (input.attributes !== undefined && task.assignment_status === 'pending' && task.workflow_sid && task.step_filter !== DIRECT)
          task = await lifecycle.enterWorkflow(tx, ws, task, { keepFilterAge: true });
        else if (task.assignment_status === 'pending') await lifecycle.tryAssignTask(tx, ws, task);
      }
      if (status === 'canceled' || status === 'wrapping' || status === 'completed') task = await lifecycle.endTask(tx, ws, task, status, input.reason ?? null);
      return task;
    });
  }

  async delete(accountSid: string, workspaceSid: string, sid: string, ifMatch?: string): Promise<void> {
    await this.engine.inWorkspace(accountSid, workspaceSid, async (tx, ws) => {
      const task = await this.get(accountSid, workspaceSid, sid, tx);
      checkIfMatch(task.version, ifMatch);
      await this.engine.lifecycle.deleteTask(tx, ws, task);
    });
  }

  async names(task: TaskRow): Promise<{ queue: string | null; workflow: string | null }> {
    // Display names, read outside the lock: this node's memory has them (a rename made on another
    // node shows here once this node routes in the workspace again).
    const memory = this.engine.state.peek(task.workspace_sid);
    if (memory) {
      const q = task.task_queue_sid ? memory.queues.get(task.task_queue_sid) : undefined;
      const w = task.workflow_sid ? memory.workflows.get(task.workflow_sid) : undefined;
      if ((q || !task.task_queue_sid) && (w || !task.workflow_sid)) return { queue: q?.friendly_name ?? null, workflow: w?.friendly_name ?? null };
    }
    const [q, w] = await Promise.all([
      task.task_queue_sid ? taskQueues.get(this.deps.db, task.task_queue_sid) : undefined,
      task.workflow_sid ? workflows.get(this.deps.db, task.workflow_sid) : undefined,
    ]);
    return { queue: q?.friendly_name ?? null, workflow: w?.friendly_name ?? null };
  }
}

/** A task channel of the workspace by sid or unique name, from the routing memory. */
function channelIn(channels: Map<string, TaskChannelRow>, ref: string): TaskChannelRow | undefined {
  if (channels.has(ref)) return channels.get(ref);
  for (const c of channels.values()) if (c.unique_name === ref) return c;
  return undefined;
}
