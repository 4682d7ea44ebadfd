import { invalidParameter } from '../../core/errors.ts';
import { newSid } from '../../core/sid.ts';
import type { Executor } from '../../store/database.ts';
import type { Condition } from '../../store/table.ts';
import { activityEvent, taskChannelEvent, taskQueueEvent, workflowEvent, workspaceEvent } from '../engine/event-data.ts';
import { emit, emitFinal } from '../engine/events.ts';
import { activities, taskChannels, taskQueues, workflows, workspaces, type ActivityRow, type TaskChannelRow, type TaskQueueRow, type WorkflowRow, type WorkspaceRow } from '../model.ts';
import { patched, requireWorkspace, type Deps } from './deps.ts';
import { saveRevision } from './workflows.ts';

export interface WorkspaceInput {
  friendlyName?: string;
  eventCallbackUrl?: string;
  eventsFilter?: string;
  multiTaskEnabled?: boolean;
  template?: 'NONE' | 'FIFO';
  prioritizeQueueOrder?: 'FIFO' | 'LIFO';
  defaultActivitySid?: string;
  timeoutActivitySid?: string;
}

// What Twilio puts in every new workspace.
const DEFAULT_ACTIVITIES = [
  { name: 'Offline', available: false },
  { name: 'Available', available: true },
  { name: 'Unavailable', available: false },
];
export const DEFAULT_TASK_CHANNELS = [
  { name: 'Default', unique: 'default' },
  { name: 'Voice', unique: 'voice' },
  { name: 'SMS', unique: 'sms' },
  { name: 'Chat', unique: 'chat' },
  { name: 'Video', unique: 'video' },
];

export class WorkspaceService {
  constructor(private readonly deps: Deps) {}

  /** A new workspace, with what Twilio puts in every one (and the template's), each recorded as created. */
  async create(accountSid: string, input: WorkspaceInput & { friendlyName: string }): Promise<WorkspaceRow> {
    const now = this.deps.clock.now();
    return this.deps.engine.unlocked(async (tx) => {
      const sid = newSid('WS');
      const base = { account_sid: accountSid, workspace_sid: sid, date_created: now, date_updated: now };
      const ws: WorkspaceRow = {
        sid,
        account_sid: accountSid,
        friendly_name: input.friendlyName,
        event_callback_url: input.eventCallbackUrl || null,
        events_filter: input.eventsFilter || null,
        multi_task_enabled: input.multiTaskEnabled ?? true,
        prioritize_queue_order: input.prioritizeQueueOrder ?? 'FIFO',
        default_activity_sid: null,
        timeout_activity_sid: null,
        date_created: now,
        date_updated: now,
      };
      await workspaces.insert(tx, ws);
      await emit(tx, ws, now, workspaceEvent(ws, 'created'));
      const activitySids: Record<string, string> = {};
      for (const a of DEFAULT_ACTIVITIES) {
        const row: ActivityRow = { ...base, sid: newSid('WA'), friendly_name: a.name, available: a.available };
        await activities.insert(tx, row);
        await emit(tx, ws, now, activityEvent(row, 'created'));
        activitySids[a.name] = row.sid;
      }
      for (const c of DEFAULT_TASK_CHANNELS) {
        const row: TaskChannelRow = { ...base, sid: newSid('TC'), friendly_name: c.name, unique_name: c.unique, channel_optimized_routing: false };
        await taskChannels.insert(tx, row);
        await emit(tx, ws, now, taskChannelEvent(row, 'created'));
      }
      ws.default_activity_sid = ws.timeout_activity_sid = activitySids.Offline;
      await workspaces.update(tx, sid, { default_activity_sid: ws.default_activity_sid, timeout_activity_sid: ws.timeout_activity_sid });
      if (input.template === 'FIFO') await this.applyFifoTemplate(tx, ws, base);
      return ws;
    });
  }

  /** The FIFO template: one queue every worker belongs to, and a workflow that routes everything there. */
  private async applyFifoTemplate(
    tx: Executor,
    ws: WorkspaceRow,
    base: { account_sid: string; workspace_sid: string; date_created: number; date_updated: number },
  ) {
    const queue: TaskQueueRow = {
      ...base,
      sid: newSid('WQ'),
      friendly_name: 'Sample Queue',
      target_workers: '1==1',
      max_reserved_workers: 1,
      task_order: 'FIFO',
      reservation_activity_sid: null,
      assignment_activity_sid: null,
    };
    await taskQueues.insert(tx, queue);
    await emit(tx, ws, base.date_created, taskQueueEvent(queue, 'created'));
    const workflow: WorkflowRow = {
      ...base,
      sid: newSid('WW'),
      friendly_name: 'Default Fifo Workflow',
      configuration: JSON.stringify({ task_routing: { filters: [], default_filter: { queue: queue.sid } } }),
      assignment_callback_url: null,
      fallback_assignment_callback_url: null,
      task_reservation_timeout: 120,
      revision: 1,
    };
    await workflows.insert(tx, workflow);
    await saveRevision(tx, workflow.sid, 1, workflow.configuration);
    await tx.run('INSERT INTO workflow_queues (workflow_sid, queue_sid) VALUES (?, ?)', [workflow.sid, queue.sid]);
    await emit(tx, ws, base.date_created, workflowEvent(workflow, 'created'));
  }

  get(accountSid: string, sid: string): Promise<WorkspaceRow> {
    return requireWorkspace(this.deps.db, accountSid, sid);
  }

  list(accountSid: string, filter: { friendlyName?: string }, limit: number, offset: number): Promise<WorkspaceRow[]> {
    const where: Condition[] = [['account_sid = ?', accountSid]];
    if (filter.friendlyName !== undefined) where.push(['friendly_name = ?', filter.friendlyName]);
    return workspaces.list(this.deps.db, { where, limit, offset });
  }

  async update(accountSid: string, sid: string, input: WorkspaceInput): Promise<WorkspaceRow> {
    return this.deps.engine.inWorkspace(accountSid, sid, async (tx, ws) => {
      for (const [param, activitySid] of [
        ['DefaultActivitySid', input.defaultActivitySid],
        ['TimeoutActivitySid', input.timeoutActivitySid],
      ] as const) {
        if (activitySid !== undefined && !(await activities.get(tx, activitySid, ['workspace_sid = ?', sid])))
          throw invalidParameter(`Invalid ${param}: Activity ${activitySid} is not in Workspace ${sid}`);
      }
      const patch: Partial<WorkspaceRow> = {
        friendly_name: input.friendlyName,
        event_callback_url: input.eventCallbackUrl === undefined ? undefined : input.eventCallbackUrl || null,
        events_filter: input.eventsFilter === undefined ? undefined : input.eventsFilter || null,
        multi_task_enabled: input.multiTaskEnabled,
        prioritize_queue_order: input.prioritizeQueueOrder,
        default_activity_sid: input.defaultActivitySid,
        timeout_activity_sid: input.timeoutActivitySid,
        date_updated: this.deps.clock.now(),
      };
      await workspaces.update(tx, sid, patch);
      await this.deps.engine.state.reload(tx, sid);
      const updated = patched(ws, patch);
      // Sent as the workspace now is: to its new EventCallbackUrl, if that changed.
      await emit(tx, updated, patch.date_updated!, workspaceEvent(updated, 'updated'));
      return updated;
    });
  }

  /** Deleting a workspace deletes everything in it (the database cascades), its events too. */
  async delete(accountSid: string, sid: string): Promise<void> {
    await this.deps.engine.inWorkspace(accountSid, sid, async (tx, ws) => {
      await emitFinal(tx, ws, this.deps.clock.now(), workspaceEvent(ws, 'deleted'));
      await tx.run('DELETE FROM workflow_queues WHERE workflow_sid IN (SELECT sid FROM workflows WHERE workspace_sid = ?)', [sid]);
      await workspaces.delete(tx, ['sid = ?', sid]);
      await this.deps.engine.state.reload(tx, sid);
    });
  }

  /** Activity names for rendering default_activity_name / timeout_activity_name. */
  async activityNames(ws: WorkspaceRow): Promise<Map<string, string>> {
    const sids = [ws.default_activity_sid, ws.timeout_activity_sid].filter((s): s is string => !!s);
    const names = new Map<string, string>();
    for (const s of new Set(sids)) {
      const a = await activities.get(this.deps.db, s);
      if (a) names.set(s, a.friendly_name);
    }
    return names;
  }
}
