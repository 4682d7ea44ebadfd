import type { FastifyReply, FastifyRequest } from 'fastify';
import { invalidParameter, notFound } from '../core/errors.ts';
import { isSid } from '../core/sid.ts';
import { transfers, type TransferRow } from '../flex/model.ts';
import { bodyParams } from '../http/public-api.ts';
import { agentFromBearer } from './bearer.ts';
import type { AgentDeps } from './deps.ts';
import { interactionOf, ownTask, requireAssigned, type InteractionTask } from './own-task.ts';

/**
 * POST /switchyard/v1/Agent/Tasks/{WT}/Transfer (bearer worker token), To=WK…|WQ…, Type=cold (the
 * default) or warm: a transfer of the agent's interaction through Flex Interactions' Transfers,
 * from the agent's own participant on the channel. A new task is routed. Cold: once someone
 * accepts it, this agent's task wraps up and they leave the conversation. Warm: both stay until
 * this agent ends the transfer (Transfers/{UX}, Status=completed) and leaves.
 */
export async function transfer(deps: AgentDeps, req: FastifyRequest, reply: FastifyReply) {
  const agent = await agentFromBearer(deps, req);
  const p = bodyParams(req);
  const task = await ownTask(deps, agent, (req.params as { TaskSid: string }).TaskSid);
  const to = p.required('To');
  if (!isSid(to, 'WK') && !isSid(to, 'WQ')) throw invalidParameter(`Invalid To: ${to} is neither a Worker (WK…) nor a TaskQueue (WQ…) SID`);
  const type = p.string('Type') ?? 'cold';
  if (type !== 'cold' && type !== 'warm') throw invalidParameter(`Invalid Type: '${type.slice(0, 40)}' is not one of cold, warm`);
  const it = await interactionOf(deps, task);
  requireAssigned(task, 'be transferred');
  const from = await deps.db.get<{ sid: string }>(
    "SELECT sid FROM interaction_participants WHERE channel_sid = ? AND type = 'agent' AND worker_sid = ? AND task_sid = ? AND status = 'active' ORDER BY seq LIMIT 1",
    [it.channelSid, agent.workerSid, task.sid],
  );
  if (!from) throw invalidParameter(`Worker ${agent.workerSid} is not on the interaction channel of Task ${task.sid}`);
  const row = await deps.flex.transfers.create(agent.accountSid, it.interactionSid, it.channelSid, { type, from: from.sid, to });
  return reply.code(201).type('application/json').send(JSON.stringify(view(row, it)));
}

/**
 * POST /switchyard/v1/Agent/Tasks/{WT}/Transfers/{UX} (bearer worker token), Status=completed (a
 * warm transfer that was accepted: this agent leaves and wraps up) or failed (call off a transfer
 * nobody accepted yet). Only a transfer this agent made from this task.
 */
export async function updateTransfer(deps: AgentDeps, req: FastifyRequest, reply: FastifyReply) {
  const agent = await agentFromBearer(deps, req);
  const p = bodyParams(req);
  const { TaskSid: taskSid, TransferSid: transferSid } = req.params as { TaskSid: string; TransferSid: string };
  const task = await ownTask(deps, agent, taskSid);
  const status = p.required('Status');
  if (status !== 'completed' && status !== 'failed') throw invalidParameter(`Invalid Status: '${status.slice(0, 40)}' is not one of completed, failed`);
  const it = await interactionOf(deps, task);
  const made = isSid(transferSid, 'UX') ? await transfers.get(deps.db, transferSid, ['channel_sid = ?', it.channelSid]) : undefined;
  const mine =
    made &&
    (await deps.db.get<{ sid: string }>("SELECT sid FROM interaction_participants WHERE sid = ? AND worker_sid = ? AND task_sid = ?", [made.from_participant, agent.workerSid, task.sid]));
  if (!made || !mine) throw notFound(`/v1/Agent/Tasks/${taskSid}/Transfers/${transferSid}`);
  const row = await deps.flex.transfers.update(agent.accountSid, it.interactionSid, it.channelSid, transferSid, { status });
  return reply.type('application/json').send(JSON.stringify(view(row, it)));
}

function view(row: TransferRow, it: InteractionTask) {
  return {
    sid: row.sid,
    type: row.type,
    status: row.status,
    from: row.from_participant,
    to: row.to_target,
    task_sid: it.task.sid,
    transfer_task_sid: row.task_sid,
    interaction_sid: it.interactionSid,
    channel_sid: it.channelSid,
  };
}
