import { invalidParameter } from '../../core/errors.ts';
import type { Executor } from '../../store/database.ts';
import type { WorkspaceRow } from '../../taskrouter/model.ts';
import { tasks } from '../../taskrouter/routing-model.ts';
import { channels, participants, type ChannelRow } from '../model.ts';
import { requireChannel, requireInteraction, type FlexDeps } from './deps.ts';
import type { Media } from './media.ts';
import type { Routing } from './routing.ts';

export type TaskMode = 'closed' | 'wrapup';

export class ChannelService {
  constructor(
    private readonly deps: FlexDeps,
    private readonly routing: Routing,
    private readonly media: Media,
  ) {}

  async list(accountSid: string, interactionSid: string, limit: number, offset: number): Promise<ChannelRow[]> {
    await requireInteraction(this.deps.db, accountSid, interactionSid);
    return channels.list(this.deps.db, { where: [['interaction_sid = ?', interactionSid]], limit, offset });
  }

  get(accountSid: string, interactionSid: string, sid: string): Promise<ChannelRow> {
    return requireChannel(this.deps.db, accountSid, interactionSid, sid);
  }

  /**
   * Status closed: the tasks end (complete, or wrap up with Routing {status: wrapup}), the agents
   * leave, the conversation closes. Status inactive: the conversation goes inactive; the tasks
   * change only if Routing says so.
   */
  async update(accountSid: string, interactionSid: string, sid: string, status: 'closed' | 'inactive', taskMode: TaskMode | undefined): Promise<ChannelRow> {
    const channel = await requireChannel(this.deps.db, accountSid, interactionSid, sid);
    if (channel.status === 'closed') {
      if (status === 'closed') return channel;
      throw invalidParameter(`Interaction Channel ${sid} is closed, which is final`);
    }
    if (channel.status === 'setup') throw invalidParameter(`Interaction Channel ${sid} is still being set up`);
    if (channel.status === 'failed' || !channel.workspace_sid) {
      if (status !== 'closed') throw invalidParameter(`Interaction Channel ${sid} failed: it can only be closed`);
      await channels.update(this.deps.db, sid, { status: 'closed', date_updated: this.deps.clock.now() });
      return requireChannel(this.deps.db, accountSid, interactionSid, sid);
    }
    await this.deps.taskRouter.engine.inWorkspace(accountSid, channel.workspace_sid, async (tx, ws) => {
      const current = await channels.get(tx, sid);
      if (!current || current.status === 'closed') return;
      await this.settle(tx, ws, current, status, status === 'closed' ? (taskMode ?? 'closed') : taskMode, 'Interaction channel ' + status);
    });
    this.deps.conversations.changed();
    return requireChannel(this.deps.db, accountSid, interactionSid, sid);
  }

  /** Moves a channel to closed or inactive with everything that follows; inside the routing transaction. */
  async settle(tx: Executor, ws: WorkspaceRow, channel: ChannelRow, status: 'closed' | 'inactive', taskMode: TaskMode | undefined, reason: string): Promise<void> {
    const now = this.deps.clock.now();
    if (taskMode) await this.routing.endTasks(tx, ws, channel.sid, taskMode, reason);
    if (channel.conversation_sid && status === 'closed') {
      for (const p of await participants.list(tx, { where: [['channel_sid = ?', channel.sid], ["status = 'active'"]] })) {
        const staff = p.type === 'agent' || p.type === 'supervisor';
        if (staff) await this.media.remove(tx, channel.account_sid, channel.conversation_sid, p.conversation_participant_sid);
        const task = p.task_sid ? await tasks.get(tx, p.task_sid) : undefined;
        const next = task?.assignment_status === 'wrapping' ? 'wrapup' : 'closed';
        await participants.update(tx, p.sid, { status: next, conversation_participant_sid: staff ? null : p.conversation_participant_sid, date_updated: now });
      }
    }
    if (channel.conversation_sid) await this.media.setState(tx, channel.account_sid, channel.conversation_sid, status);
    await channels.update(tx, channel.sid, { status, date_updated: now });
  }
}
