import type { FastifyReply, FastifyRequest } from 'fastify';
import { agentFromBearer } from './bearer.ts';
import type { AgentDeps } from './deps.ts';
import { messageView } from './message-view.ts';
import { interactionOf, ownTask } from './own-task.ts';

const LIMIT = 1000;

/**
 * GET /switchyard/v1/Agent/Tasks/{WT}/Messages (bearer worker token): the messages of the task's
 * conversation so far, oldest first, for the agent's own task. The desktop reads a task's history
 * here in every state: once wrapping, the agent has left the conversation and the Conversations
 * SDK no longer reads it.
 */
export async function transcript(deps: AgentDeps, req: FastifyRequest, reply: FastifyReply) {
  const agent = await agentFromBearer(deps, req);
  const task = await ownTask(deps, agent, (req.params as { TaskSid: string }).TaskSid);
  const it = await interactionOf(deps, task);
  const views = it.conversationSid ? await deps.conversations.messages.list(agent.accountSid, it.conversationSid, 'asc', LIMIT, 0) : [];
  return reply.type('application/json').send(
    JSON.stringify({
      task_sid: task.sid,
      conversation_sid: it.conversationSid,
      messages: views.map(({ message }) => messageView(message)),
    }),
  );
}
