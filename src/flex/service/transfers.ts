import { invalidParameter, notFound } from '../../core/errors.ts';
import { isSid, newSid } from '../../core/sid.ts';
import { taskQueues, workers, workflows } from '../../taskrouter/model.ts';
import { tasks } from '../../taskrouter/routing-model.ts';
import type { InteractionFollower } from '../follower.ts';
import { channels, participants, transfers, type TransferRow, type TransferType } from '../model.ts';
import { isObject, routingObject, type RoutingPlan } from '../plan.ts';
import { requireChannel, requireLive, type FlexDeps } from './deps.ts';
import { customerOf } from './interactions.ts';
import { carriedAttributes } from '../task-attributes.ts';
import type { Routing } from './routing.ts';

/**
 * Transfers: an agent on the channel hands it to a worker, a queue or a workflow. A new task is
 * routed for the channel; once it is accepted, a cold transfer takes the first agent out (their
 * task wraps up), a warm one keeps both until the first agent leaves. Until then the customer
 * keeps the agent they have; a transfer whose task is canceled or times out fails.
 */
export class TransferService {
  constructor(
    private readonly deps: FlexDeps,
    private readonly routing: Routing,
    private readonly follower: InteractionFollower,
  ) {}

  async create(accountSid: string, interactionSid: string, channelSid: string, body: unknown): Promise<TransferRow> {
    if (!isObject(body)) throw invalidParameter('The transfer must be a JSON object: {"type": "cold"|"warm", "from": "UT...", "to": "WK...|WQ...|WW..."}');
    const type = (body.type ?? 'cold') as string;
    if (type !== 'cold' && type !== 'warm') throw invalidParameter(`Invalid type: '${type}' is not one of cold, warm`);
    const from = body.from;
    if (!isSid(from, 'UT')) throw invalidParameter('Missing or invalid from: the SID (UT...) of the agent participant who transfers');
    const to = body.to;
    if (!isSid(to, 'WK') && !isSid(to, 'WQ') && !isSid(to, 'WW')) throw invalidParameter('Missing or invalid to: a Worker (WK), TaskQueue (WQ) or Workflow (WW) SID');
    if (body.attributes !== undefined && !isObject(body.attributes)) throw invalidParameter('Invalid attributes: must be a JSON object');
    const channel = await requireChannel(this.deps.db, accountSid, interactionSid, channelSid);
    requireLive(channel);
    const row = await this.deps.taskRouter.engine.inWorkspace(accountSid, channel.workspace_sid, async (tx, ws) => {
      // Closed meanwhile? The channel as it is under the lock decides.
      const live = (await channels.get(tx, channelSid)) ?? channel;
      requireLive(live);
      const p = await participants.get(tx, from, ['channel_sid = ?', channelSid]);
      if (!p || p.type !== 'agent' || p.status !== 'active' || !p.task_sid) throw invalidParameter(`Invalid from: ${from} is not an agent on this channel`);
      const fromTask = await tasks.get(tx, p.task_sid);
      if (!fromTask) throw invalidParameter(`Invalid from: the task of ${from} no longer exists`);
      const inWs = ['workspace_sid = ?', ws.sid] as const;
      const table = to.startsWith('WK') ? workers : to.startsWith('WQ') ? taskQueues : workflows;
      if (!(await table.get(tx, to, inWs))) throw invalidParameter(`Invalid to: ${to} is not in Workspace ${ws.sid}`);
      if (to === p.worker_sid) throw invalidParameter('Invalid to: an agent cannot transfer to themselves');
      const plan: RoutingPlan = {
        workspaceSid: ws.sid,
        attributes: carriedAttributes(parsedObject(fromTask.attributes), (body.attributes as Record<string, unknown>) ?? {}),
        taskChannelSid: fromTask.task_channel_sid,
        priority: fromTask.priority,
        ...(to.startsWith('WK')
          ? fromTask.task_queue_sid
            ? { queueSid: fromTask.task_queue_sid, workerSid: to }
            : { workflowSid: fromTask.workflow_sid ?? undefined, workerSid: to }
          : to.startsWith('WQ')
            ? { queueSid: to }
            : { workflowSid: to }),
      };
      const sid = newSid('UX');
      const { task } = await this.routing.route(tx, ws, live, plan, {
        customer: await customerOf(tx, channel.sid),
        transferSid: sid,
        extra: { transferSid: sid, transferType: type, transferTarget: to, transferredFrom: p.worker_sid },
        routingJson: JSON.stringify(routingObject(plan)),
      });
      const now = this.deps.clock.now();
      const transfer: TransferRow = {
        sid,
        account_sid: accountSid,
        interaction_sid: interactionSid,
        channel_sid: channelSid,
        type: type as TransferType,
        status: 'active',
        from_participant: from,
        to_target: to,
        task_sid: task.sid,
        date_created: now,
        date_updated: now,
      };
      await transfers.insert(tx, transfer);
      return transfer;
    });
    this.deps.conversations.changed();
    return (await transfers.get(this.deps.db, row.sid)) as TransferRow;
  }

  async get(accountSid: string, interactionSid: string, channelSid: string, sid: string): Promise<TransferRow> {
    await requireChannel(this.deps.db, accountSid, interactionSid, channelSid);
    const row = await transfers.get(this.deps.db, sid, ['channel_sid = ?', channelSid]);
    if (!row) throw notFound(`/v1/Interactions/${interactionSid}/Channels/${channelSid}/Transfers/${sid}`);
    return row;
  }

  /**
   * {"status": "failed"}: call off a transfer nobody has accepted yet (its task is canceled).
   * {"status": "completed"}: end a warm transfer: the agent who transferred wraps up and leaves.
   */
  async update(accountSid: string, interactionSid: string, channelSid: string, sid: string, body: unknown): Promise<TransferRow> {
    if (!isObject(body) || (body.status !== 'failed' && body.status !== 'completed')) throw invalidParameter('The update must be {"status": "failed"} or {"status": "completed"}');
    const transfer = await this.get(accountSid, interactionSid, channelSid, sid);
    if (transfer.status === body.status) return transfer;
    if (transfer.status !== 'active') throw invalidParameter(`Transfer ${sid} is ${transfer.status}, which is final`);
    const channel = await requireChannel(this.deps.db, accountSid, interactionSid, channelSid);
    if (!channel.workspace_sid) throw invalidParameter(`Interaction Channel ${channelSid} has no tasks`);
    await this.deps.taskRouter.engine.inWorkspace(accountSid, channel.workspace_sid, async (tx, ws) => {
      const lifecycle = this.deps.taskRouter.engine.lifecycle;
      const task = transfer.task_sid ? await tasks.get(tx, transfer.task_sid) : undefined;
      const accepted = task !== undefined && ['assigned', 'wrapping', 'completed'].includes(task.assignment_status);
      const now = this.deps.clock.now();
      if (body.status === 'failed') {
        if (accepted) throw invalidParameter(`Transfer ${sid} was accepted: it can no longer fail`);
        if (task) await lifecycle.endTask(tx, ws, task, 'canceled', 'Transfer called off');
        await transfers.update(tx, sid, { status: 'failed', date_updated: now });
        return;
      }
      if (transfer.type !== 'warm' || !accepted) throw invalidParameter(`Transfer ${sid} can only be completed once a warm transfer has been accepted`);
      const from = await participants.get(tx, transfer.from_participant);
      if (from && from.status === 'active') {
        const fromTask = from.task_sid ? await tasks.get(tx, from.task_sid) : undefined;
        if (fromTask?.assignment_status === 'assigned') await lifecycle.wrapTask(tx, ws, fromTask, `Transferred (${sid})`);
        await this.follower.leave(tx, (await channels.get(tx, channelSid)) ?? channel, from, 'wrapup');
      }
      await transfers.update(tx, sid, { status: 'completed', date_updated: now });
    });
    this.deps.conversations.changed();
    return this.get(accountSid, interactionSid, channelSid, sid);
  }
}

function parsedObject(json: string): Record<string, unknown> {
  try {
    const v = JSON.parse(json);
    return isObject(v) ? v : {};
  } catch {
    return {};
  }
}
