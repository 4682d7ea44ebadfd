import type { FastifyReply, FastifyRequest } from 'fastify';
import { tasks } from '../taskrouter/routing-model.ts';
import { agentFromBearer } from './bearer.ts';
import type { AgentDeps } from './deps.ts';
import { interactionOf, ownTask, requireAssigned } from './own-task.ts';

/**
 * POST /switchyard/v1/Agent/Tasks/{WT}/EndChat (bearer worker token): what Flex's "End chat"
 * button does, which the worker SDK cannot: the task's interaction channel is closed with
 * Routing status wrapup, so the agent leaves, the conversation closes and the task wraps up
 * (the agent then completes it through the SDK).
 */
export async function endChat(deps: AgentDeps, req: FastifyRequest, reply: FastifyReply) {
  const agent = await agentFromBearer(deps, req);
  const task = await ownTask(deps, agent, (req.params as { TaskSid: string }).TaskSid);
  const it = await interactionOf(deps, task);
  requireAssigned(task, 'have its chat ended');
  const channel = await deps.flex.channels.update(agent.accountSid, it.interactionSid, it.channelSid, 'closed', 'wrapup');
  const after = await tasks.get(deps.db, task.sid);
  return reply.type('application/json').send(
    JSON.stringify({
      task_sid: task.sid,
      assignment_status: after?.assignment_status ?? task.assignment_status,
      interaction_sid: it.interactionSid,
      channel_sid: it.channelSid,
      channel_status: channel.status,
      conversation_sid: it.conversationSid,
    }),
  );
}
