import { newSid } from '../../core/sid.ts';
import { later, type Executor } from '../../store/database.ts';
import type { WorkspaceRow } from '../../taskrouter/model.ts';
import { tasks, type TaskRow } from '../../taskrouter/routing-model.ts';
import type { TaskInput } from '../../taskrouter/service/tasks.ts';
import { findTaskChannel } from '../../taskrouter/service/task-channels.ts';
import { invites, type ChannelRow, type InitiatedBy, type InviteRow } from '../model.ts';
import type { RoutingPlan } from '../plan.ts';
import { taskAttributes } from '../task-attributes.ts';
import type { FlexDeps } from './deps.ts';

/** The task channel Flex picks for a media type when the request names none. */
const TASK_CHANNEL_FOR: Record<string, string> = { sms: 'sms', email: 'email', chat: 'chat', web: 'chat', whatsapp: 'chat', messenger: 'chat', gbm: 'chat' };

export interface RouteOptions {
  initiatedBy?: InitiatedBy;
  customer: { name?: string; address?: string };
  transferSid?: string;
  extra?: Record<string, unknown>;
  /** The Routing object as the caller gave it, kept on the invite. */
  routingJson: string;
}

type LiveChannel = Pick<ChannelRow, 'sid' | 'interaction_sid' | 'account_sid' | 'type'> & { conversation_sid: string };

/** The TaskRouter side of an interaction: its tasks, one invite each. Runs inside Engine.inWorkspace. */
export class Routing {
  private readonly routed: ((workspaceSid: string) => void)[] = [];

  constructor(private readonly deps: FlexDeps) {}

  /** Told of every workspace that gets an interaction task (the follower starts watching it). */
  onRoute(listener: (workspaceSid: string) => void) {
    this.routed.push(listener);
  }

  /** Creates an invite and routes its task. */
  async route(tx: Executor, ws: WorkspaceRow, channel: LiveChannel, plan: RoutingPlan, o: RouteOptions): Promise<{ invite: InviteRow; task: TaskRow }> {
    const inviteSid = newSid('KG');
    const attributes = taskAttributes({
      interactionSid: channel.interaction_sid,
      channelSid: channel.sid,
      inviteSid,
      conversationSid: channel.conversation_sid,
      channelType: channel.type,
      initiatedBy: o.initiatedBy,
      customer: o.customer,
      caller: plan.attributes,
      extra: o.extra,
    });
    let taskChannel = plan.taskChannelSid ?? plan.taskChannelUniqueName;
    if (!taskChannel) taskChannel = (await findTaskChannel(tx, ws.sid, TASK_CHANNEL_FOR[channel.type])) ? TASK_CHANNEL_FOR[channel.type] : 'default';
    // A queue without a workflow, or any agent-initiated task, goes straight into the queue: the
    // target is already chosen, there is nothing for a workflow to decide.
    const direct = plan.queueSid !== undefined && (o.initiatedBy === 'agent' || plan.workflowSid === undefined);
    const input: TaskInput = {
      workflowSid: direct ? undefined : plan.workflowSid,
      taskQueueSid: direct ? plan.queueSid : undefined,
      routingTarget: plan.workerSid,
      attributes: JSON.stringify(attributes),
      priority: plan.priority,
      timeout: plan.timeout,
      taskChannel,
    };
    const task = await this.deps.taskRouter.tasks.createIn(tx, ws, input);
    const invite: InviteRow = {
      sid: inviteSid,
      account_sid: channel.account_sid,
      interaction_sid: channel.interaction_sid,
      channel_sid: channel.sid,
      workspace_sid: ws.sid,
      task_sid: task.sid,
      transfer_sid: o.transferSid ?? null,
      routing: o.routingJson,
      date_created: this.deps.clock.now(),
    };
    await invites.insertLater(tx, invite);
    // The workspace's events are followed from now on (its cursor row is what the follower lists).
    await later(tx, 'INSERT INTO interaction_cursors (workspace_sid, seq, event_date) VALUES (?, 0, 0) ON CONFLICT (workspace_sid) DO NOTHING', [ws.sid]);
    for (const l of this.routed) l(ws.sid);
    return { invite, task };
  }

  /**
   * Ends the channel's tasks: waiting ones are canceled; assigned ones wrap up (`wrapup`) or
   * complete (`closed`); wrapping ones complete on `closed`.
   */
  async endTasks(tx: Executor, ws: WorkspaceRow, channelSid: string, mode: 'closed' | 'wrapup', reason: string): Promise<void> {
    const lifecycle = this.deps.taskRouter.engine.lifecycle;
    for (const t of await this.liveTasks(tx, channelSid)) await lifecycle.endTask(tx, ws, t, mode === 'wrapup' ? 'wrapping' : 'completed', reason);
  }

  /** The channel's tasks that are not over (pending, reserved, assigned, wrapping). */
  async liveTasks(tx: Executor, channelSid: string): Promise<TaskRow[]> {
    const rows = await tx.all<Record<string, unknown>>(
      `SELECT t.* FROM interaction_invites i JOIN tasks t ON t.sid = i.task_sid
        WHERE i.channel_sid = ? AND t.assignment_status IN ('pending', 'reserved', 'assigned', 'wrapping') ORDER BY t.seq`,
      [channelSid],
    );
    return rows.map((r) => tasks.decode(r));
  }
}
