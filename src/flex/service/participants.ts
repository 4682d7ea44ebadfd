import { invalidParameter, notFound } from '../../core/errors.ts';
import { participants as conversationParticipants, type ParticipantRow as ConversationParticipantRow } from '../../conversations/model.ts';
import type { Executor } from '../../store/database.ts';
import { workers, type WorkspaceRow } from '../../taskrouter/model.ts';
import { tasks } from '../../taskrouter/routing-model.ts';
import type { InteractionFollower } from '../follower.ts';
import { channels, participants, type ChannelRow, type ParticipantRow, type ParticipantType } from '../model.ts';
import { isObject, parseParticipant } from '../plan.ts';
import { agentIdentity, requireChannel, requireLive, type FlexDeps } from './deps.ts';
import type { Media } from './media.ts';
import type { ChannelSetup } from './setup.ts';

/** A channel participant with what its media properties are read from: the conversation participant standing for it. */
export interface ParticipantView {
  participant: ParticipantRow;
  conversationSid: string | null;
  member: ConversationParticipantRow | null;
}

/**
 * The list holds who is on the channel now: a closed participant is gone from it, and active ones
 * come before those wrapping up, so a plugin that takes the first agent gets the current one.
 */
const CURRENT_FIRST = "CASE WHEN status = 'active' THEN 0 ELSE 1 END, seq";

/** Channel participants: customers and agents on the channel, each standing for a participant in its conversation. */
export class ParticipantService {
  constructor(
    private readonly deps: FlexDeps,
    private readonly media: Media,
    private readonly setup: ChannelSetup,
    private readonly follower: InteractionFollower,
  ) {}

  async create(accountSid: string, interactionSid: string, channelSid: string, type: ParticipantType, mediaProperties: unknown, routingProperties: unknown): Promise<ParticipantView> {
    const channel = await requireChannel(this.deps.db, accountSid, interactionSid, channelSid);
    requireLive(channel);
    if (!isObject(mediaProperties)) throw invalidParameter('Invalid MediaProperties parameter: must be a JSON object');
    if (routingProperties !== undefined && !isObject(routingProperties)) throw invalidParameter('Invalid RoutingProperties parameter: must be a JSON object');
    const staff = type === 'agent' || type === 'supervisor';
    let workerSid: string | null = null;
    let identity: string | undefined;
    if (staff) {
      const ws = routingProperties?.worker_sid;
      if (ws !== undefined) {
        const worker = typeof ws === 'string' ? await workers.get(this.deps.db, ws, ['workspace_sid = ?', channel.workspace_sid]) : undefined;
        if (!worker) throw invalidParameter(`Invalid RoutingProperties.worker_sid: not a Worker of Workspace ${channel.workspace_sid}`);
        workerSid = worker.sid;
        identity = agentIdentity(worker);
      }
      if (typeof mediaProperties.identity === 'string' && mediaProperties.identity.trim() !== '') identity = mediaProperties.identity;
      if (!identity) throw invalidParameter(`Missing MediaProperties.identity (or RoutingProperties.worker_sid): an ${type} joins the conversation by chat identity`);
    }
    const media = staff ? { identity } : parseParticipant(mediaProperties, channel.type, 'MediaProperties');
    const row = await this.deps.db.transaction(async (tx) => {
      const mb = staff
        ? await this.media.addAgent(tx, accountSid, channel.conversation_sid, identity as string, workerSid)
        : await this.media.addCustomer(tx, accountSid, channel.conversation_sid, media, channel.type);
      const p = await this.setup.addParticipant(tx, channel, type, mb, { ...mediaProperties, ...media }, workerSid, routingProperties ?? null);
      const taskSid = routingProperties?.task_sid;
      if (typeof taskSid === 'string' && (await tasks.get(tx, taskSid, ['workspace_sid = ?', channel.workspace_sid]))) {
        await participants.update(tx, p.sid, { task_sid: taskSid });
        p.task_sid = taskSid;
      }
      return p;
    });
    this.deps.conversations.changed();
    return (await this.views(channel, [row]))[0];
  }

  async list(accountSid: string, interactionSid: string, channelSid: string, limit: number, offset: number): Promise<{ channel: ChannelRow; participants: ParticipantView[] }> {
    const channel = await requireChannel(this.deps.db, accountSid, interactionSid, channelSid);
    const rows = await participants.list(this.deps.db, { where: [['channel_sid = ?', channelSid], ["status <> 'closed'"]], orderBy: CURRENT_FIRST, limit, offset });
    return { channel, participants: await this.views(channel, rows) };
  }

  /** Each row with its conversation participant, read in one query. */
  private async views(channel: ChannelRow, rows: ParticipantRow[]): Promise<ParticipantView[]> {
    const conversationSid = channel.conversation_sid;
    const members = conversationSid ? await conversationParticipants.list(this.deps.db, { where: [['conversation_sid = ?', conversationSid]] }) : [];
    const bySid = new Map(members.map((m) => [m.sid, m]));
    return rows.map((participant) => ({
      participant,
      conversationSid,
      member: (participant.conversation_participant_sid && bySid.get(participant.conversation_participant_sid)) || null,
    }));
  }

  /**
   * wrapup: the participant leaves the conversation; an agent's task wraps up. closed: the same,
   * and an agent's task completes.
   */
  async update(accountSid: string, interactionSid: string, channelSid: string, sid: string, status: 'closed' | 'wrapup'): Promise<ParticipantView> {
    const channel = await requireChannel(this.deps.db, accountSid, interactionSid, channelSid);
    const found = await participants.get(this.deps.db, sid, ['channel_sid = ?', channelSid]);
    if (!found) throw notFound(`/v1/Interactions/${interactionSid}/Channels/${channelSid}/Participants/${sid}`);
    if (found.status === 'closed') {
      if (status === 'closed') return (await this.views(channel, [found]))[0];
      throw invalidParameter(`Participant ${sid} is closed, which is final`);
    }
    const change = async (tx: Executor, ws?: WorkspaceRow) => {
      const p = (await participants.get(tx, sid)) as ParticipantRow;
      const current = (await channels.get(tx, channelSid)) ?? channel;
      const task = ws && p.task_sid ? await tasks.get(tx, p.task_sid) : undefined;
      const lifecycle = this.deps.taskRouter.engine.lifecycle;
      if (ws && task) {
        if (status === 'wrapup' && task.assignment_status === 'assigned') await lifecycle.wrapTask(tx, ws, task, 'Participant wrapped up');
        if (status === 'closed' && (task.assignment_status === 'assigned' || task.assignment_status === 'wrapping')) await lifecycle.completeTask(tx, ws, task, 'Participant closed');
      }
      await this.follower.leave(tx, current, p, status);
    };
    if (found.task_sid && channel.workspace_sid) await this.deps.taskRouter.engine.inWorkspace(accountSid, channel.workspace_sid, (tx, ws) => change(tx, ws));
    else await this.deps.db.transaction((tx) => change(tx));
    this.deps.conversations.changed();
    return (await this.views(channel, [(await participants.get(this.deps.db, sid)) as ParticipantRow]))[0];
  }
}
