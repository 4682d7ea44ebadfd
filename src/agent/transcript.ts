import type { FastifyReply, FastifyRequest } from 'fastify';
import { messageView } from '../conversations/gateway/chat.ts';
import { agentFromBearer } from './bearer.ts';
import type { AgentDeps } from './deps.ts';
import { interactionOf, ownTask } from './own-task.ts';

/** The chat socket pushes what is said from now on; an agent joining a chat needs what came before. */
const LIMIT = 1000;

/**
 * GET /switchyard/v1/Agent/Tasks/{WT}/Messages (bearer worker token): the messages of the task's
 * conversation so far, oldest first, in the chat socket's message shape, for the agent's own task.
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
      // The same view of a message as the chat socket pushes, so the desktop reads both alike.
      messages: views.map(({ message }) => messageView(message)),
    }),
  );
}
