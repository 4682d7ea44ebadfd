import type { FastifyReply, FastifyRequest } from 'fastify';
import type { MessageRow } from '../conversations/model.ts';
import { agentFromBearer } from './bearer.ts';
import type { AgentDeps } from './deps.ts';
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

/** The fields the desktop shows, named as the SDK's Message names them (sid, index, author, body). */
function messageView(m: MessageRow) {
  return {
    sid: m.sid,
    index: Number(m.message_index),
    author: m.author,
    body: m.body,
    attributes: m.attributes,
    participant_sid: m.participant_sid,
    media: m.media ? JSON.parse(m.media) : null,
    date_created: new Date(Number(m.date_created)).toISOString(),
  };
}
