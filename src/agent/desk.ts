import type { FastifyReply, FastifyRequest } from 'fastify';
import { Params } from '../http/params.ts';
import { agentFromBearer } from './bearer.ts';
import type { AgentDeps } from './deps.ts';

/**
 * GET /switchyard/v1/Agent/Desk (bearer worker token): what the desk is set up with in the agent's
 * workspace: the wrap-up time (seconds; 0, none) and the disposition codes to wrap up with.
 */
export async function desk(deps: AgentDeps, req: FastifyRequest, reply: FastifyReply) {
  const agent = await agentFromBearer(deps, req);
  const settings = await deps.settings.of(agent.accountSid, agent.workspaceSid);
  const codes = await deps.codes.list(agent.accountSid, agent.workspaceSid);
  return reply.type('application/json').send(
    JSON.stringify({
      workspace_sid: agent.workspaceSid,
      wrapup_timeout: settings.wrapup_timeout,
      disposition_codes: codes.map((c) => ({ code: c.code, friendly_name: c.friendly_name })),
    }),
  );
}

/**
 * GET /switchyard/v1/Agent/CannedResponses?Search=… (bearer worker token): the workspace's canned
 * responses whose name, category or text hold the words searched (every one, for no search), by name.
 */
export async function searchCanned(deps: AgentDeps, req: FastifyRequest, reply: FastifyReply) {
  const agent = await agentFromBearer(deps, req);
  const query = new Params(new URLSearchParams((req.url.split('?')[1] ?? '')), 'query');
  const rows = await deps.canned.search(agent.workspaceSid, query.string('Search', { maxLength: 200 }));
  return reply.type('application/json').send(
    JSON.stringify({ canned_responses: rows.map((r) => ({ sid: r.sid, friendly_name: r.friendly_name, category: r.category, body: r.body })) }),
  );
}
