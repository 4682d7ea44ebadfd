import { TwilioError } from '../../core/errors.ts';
import { newSid } from '../../core/sid.ts';
import { participants as conversationParticipants, type ParticipantRow as ConversationParticipantRow } from '../../conversations/model.ts';
import { findConversation } from '../../conversations/service/deps.ts';
import type { Executor } from '../../store/database.ts';
import { isPermanent } from '../../store/failures.ts';
import { workers, type WorkspaceRow } from '../../taskrouter/model.ts';
import type { TaskRow } from '../../taskrouter/routing-model.ts';
import { channels, interactions, participants, type ChannelRow, type InteractionRow, type ParticipantRow, type ParticipantType } from '../model.ts';
import { routingObject, type SetupPlan } from '../plan.ts';
import { agentIdentity, type FlexDeps } from './deps.ts';
import type { Media } from './media.ts';
import type { Routing } from './routing.ts';

/** How long a channel may stay in `setup` before another run (after a crash, say) takes it over. */
export const STALE_SETUP_MS = 30_000;

/** The media channel could not be set up as asked: the channel fails with this (Twilio's code). */
export const channelValidation = (message: string) => new TwilioError(19025, 400, `Channel validation error: ${message}`);
/** A setup that failed for a reason running it again cannot fix, other than a refusal (the server's log says which). */
const setupFailed = () => new TwilioError(20500, 500, 'The channel could not be set up and will not be tried again');

/**
 * Sets up a channel accepted in `setup`: the conversation and its participants, then the first
 * task, all in one routing transaction, and the channel `active`. If the media cannot be set up
 * (the conversation is closed, an address is taken...), nothing of it stays and the channel is
 * `failed` with the reason. The plan is stored with the channel, so a run cut short is run again;
 * a run that fails for good (store/failures.ts) fails the channel instead.
 */
export class ChannelSetup {
  constructor(
    private readonly deps: FlexDeps,
    private readonly media: Media,
    private readonly routing: Routing,
  ) {}

  /**
   * A new interaction: it is written and set up in one routing transaction, so a new channel costs
   * one commit and a crash leaves all of it or nothing (the caller, unanswered, finds nothing). A
   * setup that fails for good leaves the interaction with its channel `failed`.
   */
  async start(interaction: InteractionRow, channel: ChannelRow): Promise<{ channel: ChannelRow; task: TaskRow | null }> {
    const plan = JSON.parse(channel.setup as string) as SetupPlan;
    try {
      const done = await this.deps.taskRouter.engine.inWorkspace(channel.account_sid, plan.routing.workspaceSid, async (tx, ws) => {
        await interactions.insertLater(tx, interaction);
        await channels.insertLater(tx, channel);
        return this.setUp(tx, ws, channel, plan);
      });
      this.deps.conversations.changed();
      return done;
    } catch (err) {
      if (!isPermanent(err)) throw err;
      const reason = this.reason(channel, err);
      const failed: ChannelRow = { ...channel, status: 'failed', error_code: reason.code, error_message: reason.message, setup: null, date_updated: this.deps.clock.now() };
      await this.deps.db.transaction(async (tx) => {
        await interactions.insert(tx, interaction);
        await channels.insert(tx, failed);
      });
      return { channel: failed, task: null };
    }
  }

  /** Sets up a channel left in `setup` (by a process that stopped before finishing it). */
  async run(channelSid: string): Promise<void> {
    const channel = await channels.get(this.deps.db, channelSid);
    if (!channel || channel.status !== 'setup' || !channel.setup) return;
    try {
      const plan = JSON.parse(channel.setup) as SetupPlan;
      await this.deps.taskRouter.engine.inWorkspace(channel.account_sid, plan.routing.workspaceSid, async (tx, ws) => {
        const current = await channels.get(tx, channel.sid);
        if (!current || current.status !== 'setup') return;
        await this.setUp(tx, ws, channel, plan);
      });
      this.deps.conversations.changed();
    } catch (err) {
      if (!isPermanent(err)) throw err;
      await this.fail(channel, this.reason(channel, err));
    }
  }

  /** The conversation and its participants, then the first task, and the channel `active`: the channel and task as they now are. */
  private async setUp(tx: Executor, ws: WorkspaceRow, channel: ChannelRow, plan: SetupPlan): Promise<{ channel: ChannelRow; task: TaskRow }> {
    const { conversationSid, customer } = await this.setUpMedia(tx, channel, plan);
    const agent = plan.initiatedBy === 'agent' ? await this.addAgent(tx, channel, conversationSid, plan.routing.workerSid as string) : undefined;
    const { task } = await this.routing.route(tx, ws, { ...channel, conversation_sid: conversationSid }, plan.routing, {
      initiatedBy: plan.initiatedBy,
      customer,
      routingJson: JSON.stringify(routingObject(plan.routing)),
    });
    if (agent) {
      const routingProperties = JSON.stringify({ workspace_sid: ws.sid, task_sid: task.sid, worker_sid: agent.worker_sid });
      await participants.update(tx, agent.sid, { task_sid: task.sid, routing_properties: routingProperties });
    }
    const active: Partial<ChannelRow> = { status: 'active', conversation_sid: conversationSid, workspace_sid: ws.sid, setup: null, date_updated: this.deps.clock.now() };
    await channels.updateLater(tx, channel.sid, active);
    return { channel: { ...channel, ...active }, task };
  }

  /** What a channel that failed for good reports: the refusal itself, or (logged) a generic error. */
  private reason(channel: ChannelRow, err: unknown): TwilioError {
    if (err instanceof TwilioError) return err;
    this.deps.log.error({ err, channelSid: channel.sid }, 'setting up an Interaction Channel failed for good');
    return setupFailed();
  }

  /** Channels left in `setup` by a run that did not finish (the process stopped mid-way). */
  async resumeStale(): Promise<number> {
    const rows = await channels.list(this.deps.db, {
      where: [["status = 'setup'"], ['date_updated <= ?', this.deps.clock.now() - STALE_SETUP_MS]],
      limit: 100,
    });
    for (const c of rows) await this.run(c.sid).catch((err) => this.deps.log.error({ err, channelSid: c.sid }, 'setting up an Interaction Channel failed; trying again later'));
    return rows.length;
  }

  private async fail(channel: ChannelRow, err: TwilioError): Promise<void> {
    await this.deps.db.transaction(async (tx) => {
      await tx.run(
        "UPDATE interaction_channels SET status = 'failed', error_code = ?, error_message = ?, setup = NULL, date_updated = ? WHERE sid = ? AND status = 'setup'",
        [err.code, err.message, this.deps.clock.now(), channel.sid],
      );
    });
  }

  private async setUpMedia(tx: Executor, channel: ChannelRow, plan: SetupPlan) {
    const account = channel.account_sid;
    let conversationSid: string;
    let customer: { name?: string; address?: string } = {};
    if (plan.mediaChannelSid) {
      const c = await findConversation(tx, account, plan.mediaChannelSid);
      if (c.state === 'closed') throw channelValidation(`Conversation ${c.sid} is closed`);
      conversationSid = c.sid;
      const present = (await conversationParticipants.list(tx, { where: [['conversation_sid = ?', c.sid]] })).filter((p) => !isAgent(p));
      if (present.length === 0 && plan.initiatedBy === 'customer')
        throw channelValidation(`no customer is in Conversation ${c.sid}: a customer-initiated interaction binds to the customer's conversation`);
      for (const p of present) await this.addParticipant(tx, channel, 'customer', p.sid, { address: p.address ?? p.identity });
      if (present[0]) customer = { name: displayName(present[0]), address: present[0].address ?? present[0].identity ?? undefined };
    } else {
      const c = await this.deps.conversations.conversations.create(
        account,
        {
          friendlyName: `Interaction ${channel.interaction_sid}`,
          attributes: JSON.stringify({ flexInteractionSid: channel.interaction_sid, flexInteractionChannelSid: channel.sid }),
          emailAddress: plan.from,
          emailName: plan.fromName,
        },
        { source: 'api', webhooksEnabled: true },
        tx,
      );
      conversationSid = c.sid;
    }
    for (const p of plan.participants) {
      const mb = await this.media.addCustomer(tx, account, conversationSid, p, plan.type);
      await this.addParticipant(tx, channel, 'customer', mb, p);
    }
    const first = plan.participants[0];
    if (first && !customer.address) customer = { name: first.name, address: first.address ?? first.identity };
    return { conversationSid, customer };
  }

  private async addAgent(tx: Executor, channel: ChannelRow, conversationSid: string, workerSid: string): Promise<ParticipantRow> {
    const worker = await workers.get(tx, workerSid);
    if (!worker) throw channelValidation(`Worker ${workerSid} does not exist`);
    const mb = await this.media.addAgent(tx, channel.account_sid, conversationSid, agentIdentity(worker), worker.sid);
    return this.addParticipant(tx, channel, 'agent', mb, { identity: agentIdentity(worker) }, worker.sid);
  }

  async addParticipant(
    tx: Executor,
    channel: Pick<ChannelRow, 'sid' | 'account_sid' | 'interaction_sid'>,
    type: ParticipantType,
    conversationParticipantSid: string | null,
    mediaProperties: unknown,
    workerSid: string | null = null,
    routingProperties: unknown = null,
  ): Promise<ParticipantRow> {
    const now = this.deps.clock.now();
    const row: ParticipantRow = {
      sid: newSid('UT'),
      account_sid: channel.account_sid,
      interaction_sid: channel.interaction_sid,
      channel_sid: channel.sid,
      type,
      status: 'active',
      media_properties: JSON.stringify(mediaProperties ?? {}),
      routing_properties: routingProperties === null ? null : JSON.stringify(routingProperties),
      conversation_participant_sid: conversationParticipantSid,
      worker_sid: workerSid,
      task_sid: null,
      date_created: now,
      date_updated: now,
    };
    await participants.insertLater(tx, row);
    return row;
  }
}

function isAgent(p: ConversationParticipantRow): boolean {
  try {
    return (JSON.parse(p.attributes) as { member_type?: unknown }).member_type === 'agent';
  } catch {
    return false;
  }
}

function displayName(p: ConversationParticipantRow): string | undefined {
  try {
    const a = JSON.parse(p.attributes) as Record<string, unknown>;
    for (const k of ['friendlyName', 'friendly_name', 'name']) if (typeof a[k] === 'string' && a[k]) return a[k] as string;
  } catch {
    /* not JSON: no name */
  }
  return p.address ?? p.identity ?? undefined;
}
