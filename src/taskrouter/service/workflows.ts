import { inUse, invalidParameter, notFound } from '../../core/errors.ts';
import { tasks } from '../routing-model.ts';
import { newSid } from '../../core/sid.ts';
import { parseWorkflowConfiguration, queuesOf } from '../../core/workflow/configuration.ts';
import type { Executor } from '../../store/database.ts';
import type { Condition } from '../../store/table.ts';
import { workflowEvent } from '../engine/event-data.ts';
import { emit } from '../engine/events.ts';
import { taskQueues, workflows, type WorkflowRow } from '../model.ts';
import { patched, requireWorkspace, uniquely, type Deps } from './deps.ts';

export interface WorkflowInput {
  friendlyName?: string;
  configuration?: string;
  assignmentCallbackUrl?: string;
  fallbackAssignmentCallbackUrl?: string;
  taskReservationTimeout?: number;
  reEvaluateTasks?: boolean;
}

export class WorkflowService {
  constructor(private readonly deps: Deps) {}

  async create(
    accountSid: string,
    workspaceSid: string,
    input: WorkflowInput & { friendlyName: string; configuration: string },
  ): Promise<WorkflowRow> {
    const queues = queuesOf(parseWorkflowConfiguration(input.configuration));
    const now = this.deps.clock.now();
    return this.deps.engine.inWorkspace(accountSid, workspaceSid, async (tx, ws) => {
      const row: WorkflowRow = {
        sid: newSid('WW'),
        account_sid: accountSid,
        workspace_sid: workspaceSid,
        friendly_name: input.friendlyName,
        configuration: input.configuration,
        assignment_callback_url: input.assignmentCallbackUrl || null,
        fallback_assignment_callback_url: input.fallbackAssignmentCallbackUrl || null,
        task_reservation_timeout: input.taskReservationTimeout ?? 120,
        revision: 1,
        date_created: now,
        date_updated: now,
      };
      await uniquely(() => workflows.insert(tx, row), `A Workflow named '${input.friendlyName}' already exists in this Workspace`);
      await this.linkQueues(tx, workspaceSid, row.sid, queues);
      await saveRevision(tx, row.sid, 1, row.configuration);
      await this.deps.engine.state.refreshWorkflow(tx, workspaceSid, row.sid);
      await emit(tx, ws, now, workflowEvent(row, 'created'));
      return row;
    });
  }

  /** Records which queues the configuration routes to, after checking they are in this workspace. */
  private async linkQueues(tx: Executor, workspaceSid: string, workflowSid: string, queues: string[]) {
    for (const q of queues)
      if (!(await taskQueues.get(tx, q, ['workspace_sid = ?', workspaceSid])))
        throw invalidParameter(`Invalid Configuration: TaskQueue ${q} does not exist in Workspace ${workspaceSid}`);
    await tx.run('DELETE FROM workflow_queues WHERE workflow_sid = ?', [workflowSid]);
    for (const q of queues) await tx.run('INSERT INTO workflow_queues (workflow_sid, queue_sid) VALUES (?, ?)', [workflowSid, q]);
  }

  async get(accountSid: string, workspaceSid: string, sid: string, db: Executor = this.deps.db): Promise<WorkflowRow> {
    await requireWorkspace(db, accountSid, workspaceSid);
    const row = await workflows.get(db, sid, ['workspace_sid = ?', workspaceSid]);
    if (!row) throw notFound(`/v1/Workspaces/${workspaceSid}/Workflows/${sid}`);
    return row;
  }

  async list(accountSid: string, workspaceSid: string, filter: { friendlyName?: string }, limit: number, offset: number) {
    await requireWorkspace(this.deps.db, accountSid, workspaceSid);
    const where: Condition[] = [['workspace_sid = ?', workspaceSid]];
    if (filter.friendlyName !== undefined) where.push(['friendly_name = ?', filter.friendlyName]);
    return workflows.list(this.deps.db, { where, limit, offset });
  }

  async update(accountSid: string, workspaceSid: string, sid: string, input: WorkflowInput): Promise<WorkflowRow> {
    const queues = input.configuration === undefined ? undefined : queuesOf(parseWorkflowConfiguration(input.configuration));
    return this.deps.engine.inWorkspace(accountSid, workspaceSid, async (tx, ws) => {
      const row = await this.get(accountSid, workspaceSid, sid, tx);
      const patch: Partial<WorkflowRow> = {
        friendly_name: input.friendlyName,
        configuration: input.configuration,
        assignment_callback_url: input.assignmentCallbackUrl === undefined ? undefined : input.assignmentCallbackUrl || null,
        fallback_assignment_callback_url:
          input.fallbackAssignmentCallbackUrl === undefined ? undefined : input.fallbackAssignmentCallbackUrl || null,
        task_reservation_timeout: input.taskReservationTimeout,
        date_updated: this.deps.clock.now(),
      };
      if (input.configuration !== undefined) patch.revision = row.revision + 1;
      await uniquely(() => workflows.update(tx, sid, patch), `A Workflow named '${input.friendlyName}' already exists in this Workspace`);
      const updated = patched(row, patch);
      if (queues) {
        await this.linkQueues(tx, workspaceSid, sid, queues);
        await saveRevision(tx, sid, row.revision + 1, input.configuration as string);
      }
      await this.deps.engine.state.refreshWorkflow(tx, workspaceSid, sid);
      // Before the tasks it routes again, so the log reads in order.
      await emit(tx, ws, patch.date_updated!, workflowEvent(updated, 'updated'));
      // ReEvaluateTasks: waiting tasks take the new configuration and are routed again from the top.
      if (queues && input.reEvaluateTasks) {
        const waiting = await tasks.list(tx, { where: [['workflow_sid = ?', sid], ["assignment_status = 'pending'"]] });
        for (const task of waiting) {
          await tasks.update(tx, task.sid, { workflow_revision: row.revision + 1 });
          await this.deps.engine.lifecycle.enterWorkflow(tx, ws, { ...task, workflow_revision: row.revision + 1 });
        }
      }
      return updated;
    });
  }

  async delete(accountSid: string, workspaceSid: string, sid: string): Promise<void> {
    // Under the workspace lock, so no task can be created on it while it goes.
    await this.deps.engine.inWorkspace(accountSid, workspaceSid, async (tx, ws) => {
      const row = await this.get(accountSid, workspaceSid, sid, tx);
      const active = await tasks.count(tx, ['workflow_sid = ?', sid], ["assignment_status IN ('pending', 'reserved', 'assigned', 'wrapping')"]);
      if (active > 0) throw inUse(`Workflow ${sid} cannot be deleted: ${active} active Task(s) use it`);
      await workflows.delete(tx, ['sid = ?', sid]);
      await this.deps.engine.state.refreshWorkflow(tx, workspaceSid, sid);
      await emit(tx, ws, this.deps.clock.now(), workflowEvent(row, 'deleted'));
    });
  }
}


/** Every configuration a workflow has had, so tasks can keep the one they were routed with. */
export async function saveRevision(tx: Executor, workflowSid: string, revision: number, configuration: string) {
  await tx.run('INSERT INTO workflow_revisions (workflow_sid, revision, configuration) VALUES (?, ?, ?)', [
    workflowSid,
    revision,
    configuration,
  ]);
}
