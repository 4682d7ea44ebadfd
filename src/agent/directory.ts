import type { FastifyReply, FastifyRequest } from 'fastify';
import { agentFromBearer } from './bearer.ts';
import type { AgentDeps } from './deps.ts';

/** A workspace's queues and workers fit in one answer; this bounds it all the same. */
const LIMIT = 1000;

/**
 * GET /switchyard/v1/Agent/Directory (bearer worker token): the token's workspace's queues and
 * other workers, with their activity, to pick a transfer target from. The event bridge serves only
 * what the worker SDK asks about itself, and the SDK's Workspace needs an admin token.
 */
export async function directory(deps: AgentDeps, req: FastifyRequest, reply: FastifyReply) {
  const agent = await agentFromBearer(deps, req);
  const queues = await deps.taskRouter.taskQueues.list(agent.accountSid, agent.workspaceSid, {}, LIMIT, 0);
  const workers = await deps.taskRouter.workers.list(agent.accountSid, agent.workspaceSid, {}, LIMIT, 0);
  return reply.type('application/json').send(
    JSON.stringify({
      task_queues: queues.map((q) => ({ sid: q.sid, friendly_name: q.friendly_name })),
      workers: workers
        .filter((w) => w.worker.sid !== agent.workerSid)
        .map((w) => ({ sid: w.worker.sid, friendly_name: w.worker.friendly_name, activity_name: w.activity.friendly_name, available: Boolean(w.activity.available) })),
    }),
  );
}
