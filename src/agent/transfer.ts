import type { FastifyReply, FastifyRequest } from 'fastify';
import { invalidParameter } from '../core/errors.ts';
import { isSid } from '../core/sid.ts';
import { bodyParams } from './body.ts';
import { agentFromBearer } from './bearer.ts';
import type { AgentDeps } from './deps.ts';
import { interactionOf, ownTask, requireAssigned } from './own-task.ts';

/**
 * POST /switchyard/v1/Agent/Tasks/{WT}/Transfer (bearer worker token), To=WK…|WQ…: a cold
 * transfer of the agent's interaction through Flex Interactions' Transfers, from the agent's own
 * participant on the channel. A new task is routed; once someone accepts it, this agent's task
 * wraps up and they leave the conversation.
 */
export async function transfer(deps: AgentDeps, req: FastifyRequest, reply: FastifyReply) {
  const agent = await agentFromBearer(deps, req);
  const p = bodyParams(req);
  const task = await ownTask(deps, agent, (req.params as { TaskSid: string }).TaskSid);
  const to = p.required('To');
  if (!isSid(to, 'WK') && !isSid(to, 'WQ')) throw invalidParameter(`Invalid To: ${to} is neither a Worker (WK…) nor a TaskQueue (WQ…) SID`);
  const it = await interactionOf(deps, task);
  requireAssigned(task, 'be transferred');
  const from = await deps.db.get<{ sid: string }>(
    "SELECT sid FROM interaction_participants WHERE channel_sid = ? AND type = 'agent' AND worker_sid = ? AND task_sid = ? AND status = 'active' ORDER BY seq LIMIT 1",
    [it.channelSid, agent.workerSid, task.sid],
  );
  if (!from) throw invalidParameter(`Worker ${agent.workerSid} is not on the interaction channel of Task ${task.sid}`);
  const row = await deps.flex.transfers.create(agent.accountSid, it.interactionSid, it.channelSid, { type: 'cold', from: from.sid, to });
  return reply
    .code(201)
    .type('application/json')
    .send(JSON.stringify({ sid: row.sid, type: row.type, status: row.status, from: row.from_participant, to: row.to_target, task_sid: task.sid, transfer_task_sid: row.task_sid, interaction_sid: it.interactionSid, channel_sid: it.channelSid }));
}
