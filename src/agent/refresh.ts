import type { FastifyReply, FastifyRequest } from 'fastify';
import { TwilioError } from '../core/errors.ts';
import { workers } from '../taskrouter/model.ts';
import { agentFromBearer } from './bearer.ts';
import type { AgentDeps } from './deps.ts';
import { issueTokens } from './issue.ts';

/**
 * POST /switchyard/v1/Agent/Tokens with the worker token, still valid: fresh tokens for the same
 * worker. Renewing needs the worker's credential to still exist and to be no newer than the token
 * (to the second: a JWT's iat has no finer grain): a revoked agent, or one whose password was
 * changed, is out when the tokens they hold run out.
 */
export async function refreshTokens(deps: AgentDeps, req: FastifyRequest, reply: FastifyReply) {
  const agent = await agentFromBearer(deps, req);
  const credential = await deps.credentials.get(agent.accountSid, agent.workspaceSid, agent.workerSid);
  if (!credential || Math.floor(Number(credential.date_updated) / 1000) > agent.issuedAt)
    throw new TwilioError(20003, 401, 'Authenticate: the agent\'s credentials were revoked or changed; sign in again');
  const worker = await workers.get(deps.db, agent.workerSid, ['account_sid = ?', agent.accountSid]);
  if (!worker) throw new TwilioError(20003, 401, 'Authenticate: the worker no longer exists');
  return reply.code(201).type('application/json').send(JSON.stringify({ username: credential.username, ...(await issueTokens(deps, req, worker)) }));
}
