import { invalidParameter } from '../../core/errors.ts';
import { newSid } from '../../core/sid.ts';
import { findConversation } from '../../conversations/service/deps.ts';
import type { Executor } from '../../store/database.ts';
import { taskQueues, workers, workflows, workspaces } from '../../taskrouter/model.ts';
import { tasks, type TaskRow } from '../../taskrouter/routing-model.ts';
import { findTaskChannel } from '../../taskrouter/service/task-channels.ts';
import { channels, interactions, invites, type ChannelRow, type InteractionRow } from '../model.ts';
import { parseInviteRouting, planInteraction, routingObject, type RoutingPlan, type SetupPlan } from '../plan.ts';
import { requireInteraction, type FlexDeps } from './deps.ts';
import type { Media } from './media.ts';
import type { Routing } from './routing.ts';
import type { ChannelSetup } from './setup.ts';

export interface InteractionInput {
  channel: unknown;
  routing?: unknown;
  interactionContextSid?: string;
  webhookTtid?: string;
}

/** An interaction as the API shows it: with its channel and the task routed for it (none if setup failed). */
export interface InteractionView {
  interaction: InteractionRow;
  channel: ChannelRow;
  task: TaskRow | null;
}

export class InteractionService {
  constructor(
    private readonly deps: FlexDeps,
    private readonly setup: ChannelSetup,
    private readonly routing: Routing,
    private readonly media: Media,
  ) {}

  /**
   * Accepts the request (the interaction and its channel, in `setup`), then sets the channel up.
   * Whatever can be checked by reading is checked first, so a bad request creates nothing.
   */
  async create(accountSid: string, input: InteractionInput): Promise<InteractionView> {
    const request = planInteraction(input.channel, input.routing);
    if (request.kind === 'existing') return this.routeAgain(accountSid, request.channelSid, request.routing);
    const plan = request.plan;
    if (plan.type === 'gbm' && plan.initiatedBy !== 'customer') throw gbmOutboundRefused(plan.initiatedBy);
    await checkReferences(this.deps.db, accountSid, plan.routing);
    if (plan.mediaChannelSid) await findConversation(this.deps.db, accountSid, plan.mediaChannelSid).catch(() => {
      throw invalidParameter(`Invalid Channel.properties.media_channel_sid: Conversation ${plan.mediaChannelSid} was not found`);
    });
    const now = this.deps.clock.now();
    const interaction: InteractionRow = {
      sid: newSid('KD'),
      account_sid: accountSid,
      channel_sid: newSid('UO'),
      interaction_context_sid: input.interactionContextSid ?? null,
      webhook_ttid: input.webhookTtid ?? null,
      date_created: now,
      date_updated: now,
    };
    const channel: ChannelRow = {
      sid: interaction.channel_sid,
      account_sid: accountSid,
      interaction_sid: interaction.sid,
      type: plan.type,
      initiated_by: plan.initiatedBy,
      status: 'setup',
      error_code: null,
      error_message: null,
      conversation_sid: null,
      workspace_sid: plan.routing.workspaceSid,
      setup: JSON.stringify(plan satisfies SetupPlan),
      date_created: now,
      date_updated: now,
    };
    // Answered from the rows the setup wrote (read again, they are the same: nothing else knows this interaction yet).
    return { interaction, ...(await this.setup.start(interaction, channel)) };
  }

  /** Channel.sid of an existing channel: another task for it (an inactive channel comes back to life). */
  private async routeAgain(accountSid: string, channelSid: string, routing: RoutingPlan | undefined): Promise<InteractionView> {
    const channel = await channels.get(this.deps.db, channelSid, ['account_sid = ?', accountSid]);
    if (!channel) throw invalidParameter(`Invalid Channel.sid: Interaction Channel ${channelSid} was not found`);
    if (channel.status !== 'active' && channel.status !== 'inactive') throw invalidParameter(`Invalid Channel.sid: Interaction Channel ${channelSid} is ${channel.status}`);
    const first = await invites.first(this.deps.db, ['channel_sid = ?', channel.sid], ['transfer_sid IS NULL']);
    const plan = routing ?? (first ? parseInviteRouting(JSON.parse(first.routing), channel.workspace_sid as string) : undefined);
    if (!plan) throw invalidParameter('Missing required parameter Routing');
    if (plan.workspaceSid !== channel.workspace_sid) throw invalidParameter(`Invalid Routing.properties.workspace_sid: the channel's tasks are in Workspace ${channel.workspace_sid}`);
    await checkReferences(this.deps.db, accountSid, plan);
    const task = await this.deps.taskRouter.engine.inWorkspace(accountSid, plan.workspaceSid, async (tx, ws) => {
      const { task } = await this.routing.route(tx, ws, { ...channel, conversation_sid: channel.conversation_sid as string }, plan, {
        customer: await customerOf(tx, channel.sid),
        routingJson: JSON.stringify(routingObject(plan)),
      });
      if (channel.status === 'inactive') {
        await this.media.setState(tx, accountSid, channel.conversation_sid as string, 'active');
        await channels.update(tx, channel.sid, { status: 'active', date_updated: this.deps.clock.now() });
      }
      return task;
    });
    this.deps.conversations.changed();
    const view = await this.get(accountSid, channel.interaction_sid);
    return { ...view, task };
  }

  async get(accountSid: string, sid: string): Promise<InteractionView> {
    const interaction = await requireInteraction(this.deps.db, accountSid, sid);
    const channel = (await channels.get(this.deps.db, interaction.channel_sid)) as ChannelRow;
    const first = await invites.first(this.deps.db, ['channel_sid = ?', channel.sid]);
    const task = first ? ((await tasks.get(this.deps.db, first.task_sid)) ?? null) : null;
    return { interaction, channel, task };
  }

  async update(accountSid: string, sid: string, webhookTtid: string | undefined): Promise<InteractionView> {
    await requireInteraction(this.deps.db, accountSid, sid);
    if (webhookTtid !== undefined) await interactions.update(this.deps.db, sid, { webhook_ttid: webhookTtid || null, date_updated: this.deps.clock.now() });
    return this.get(accountSid, sid);
  }
}

/** Every SID the routing names must be of this account's workspace. */
export async function checkReferences(db: Executor, accountSid: string, r: RoutingPlan): Promise<void> {
  const where = 'Invalid Routing.properties';
  if (!(await workspaces.get(db, r.workspaceSid, ['account_sid = ?', accountSid]))) throw invalidParameter(`${where}.workspace_sid: Workspace ${r.workspaceSid} was not found`);
  const inWs = ['workspace_sid = ?', r.workspaceSid] as const;
  if (r.workflowSid && !(await workflows.get(db, r.workflowSid, inWs))) throw invalidParameter(`${where}.workflow_sid: Workflow ${r.workflowSid} is not in Workspace ${r.workspaceSid}`);
  if (r.queueSid && !(await taskQueues.get(db, r.queueSid, inWs))) throw invalidParameter(`${where}.queue_sid: TaskQueue ${r.queueSid} is not in Workspace ${r.workspaceSid}`);
  if (r.workerSid && !(await workers.get(db, r.workerSid, inWs))) throw invalidParameter(`${where}.worker_sid: Worker ${r.workerSid} is not in Workspace ${r.workspaceSid}`);
  const channel = r.taskChannelSid ?? r.taskChannelUniqueName;
  if (channel && !(await findTaskChannel(db, r.workspaceSid, channel))) throw invalidParameter(`${where}: TaskChannel '${channel}' is not in Workspace ${r.workspaceSid}`);
  if (!r.workflowSid && !r.queueSid && (await workflows.count(db, inWs)) !== 1)
    throw invalidParameter(`Missing required Routing.properties.workflow_sid: Workspace ${r.workspaceSid} does not have exactly one workflow`);
}

/** Who the customer of a channel is, from its first customer participant. */
export async function customerOf(tx: Executor, channelSid: string): Promise<{ name?: string; address?: string }> {
  const row = await tx.get<{ media_properties: string | null }>(
    "SELECT media_properties FROM interaction_participants WHERE channel_sid = ? AND type = 'customer' ORDER BY seq LIMIT 1",
    [channelSid],
  );
  if (!row?.media_properties) return {};
  const m = JSON.parse(row.media_properties) as { name?: string; address?: string; identity?: string };
  return { name: m.name ?? m.address ?? m.identity, address: m.address ?? m.identity };
}

/** An interaction started by an agent or the API would have to reach the customer through gbm. */
const gbmOutboundRefused = (initiatedBy: string) =>
  invalidParameter(
    `Invalid Channel.type: 'gbm' (Google Business Messages) was retired by Google in 2024 and reaches nobody; ` +
      `an interaction initiated by '${initiatedBy}' would have to deliver through it. Only customer-initiated gbm interactions (on a conversation that exists) are accepted`,
  );
