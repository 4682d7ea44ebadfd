import type { TaskRow } from '../../taskrouter/routing-model.ts';
import { tasks } from '../../taskrouter/routing-model.ts';
import { channels, invites, type InviteRow } from '../model.ts';
import { parseInviteRouting, routingObject } from '../plan.ts';
import { requireChannel, requireLive, type FlexDeps } from './deps.ts';
import { checkReferences, customerOf } from './interactions.ts';
import type { Routing } from './routing.ts';

export interface InviteView {
  invite: InviteRow;
  task: TaskRow | null;
}

/** Invites: another task for the same channel, to bring in another agent (a queue, a worker). */
export class InviteService {
  constructor(
    private readonly deps: FlexDeps,
    private readonly routing: Routing,
  ) {}

  async create(accountSid: string, interactionSid: string, channelSid: string, routingValue: unknown): Promise<InviteView> {
    const channel = await requireChannel(this.deps.db, accountSid, interactionSid, channelSid);
    requireLive(channel);
    const plan = parseInviteRouting(routingValue, channel.workspace_sid);
    await checkReferences(this.deps.db, accountSid, plan);
    const view = await this.deps.taskRouter.engine.inWorkspace(accountSid, channel.workspace_sid, async (tx, ws) => {
      // Closed meanwhile? The channel as it is under the lock decides.
      const current = (await channels.get(tx, channel.sid)) ?? channel;
      requireLive(current);
      return this.routing.route(tx, ws, current, plan, { customer: await customerOf(tx, channel.sid), routingJson: JSON.stringify(routingObject(plan)) });
    });
    this.deps.conversations.changed();
    return view;
  }

  async list(accountSid: string, interactionSid: string, channelSid: string, limit: number, offset: number): Promise<InviteView[]> {
    await requireChannel(this.deps.db, accountSid, interactionSid, channelSid);
    const rows = await invites.list(this.deps.db, { where: [['channel_sid = ?', channelSid]], limit, offset });
    return Promise.all(rows.map(async (invite) => ({ invite, task: (await tasks.get(this.deps.db, invite.task_sid)) ?? null })));
  }
}
