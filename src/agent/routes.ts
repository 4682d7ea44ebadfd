import type { FastifyInstance } from 'fastify';
import type { AgentDeps } from './deps.ts';
import { directory } from './directory.ts';
import { endChat } from './end-chat.ts';
import { refreshTokens } from './refresh.ts';
import { signIn } from './sign-in.ts';
import { transcript } from './transcript.ts';
import { transfer } from './transfer.ts';

export const AGENT_PREFIX = '/switchyard/v1/Agent';

/**
 * The agent desktop's endpoints. They are registered on the app itself, not as a product, because
 * they take no Basic credentials: signing in takes a username and password, everything else the
 * worker token the agent got (Authorization: Bearer). Errors are thrown as TwilioErrors, which
 * the app renders as Twilio's error body.
 */
export function agentRoutes(app: FastifyInstance, deps: AgentDeps): void {
  app.post(`${AGENT_PREFIX}/Sessions`, (req, reply) => signIn(deps, req, reply));
  app.post(`${AGENT_PREFIX}/Tokens`, (req, reply) => refreshTokens(deps, req, reply));
  app.get(`${AGENT_PREFIX}/Directory`, (req, reply) => directory(deps, req, reply));
  app.get(`${AGENT_PREFIX}/Tasks/:TaskSid/Messages`, (req, reply) => transcript(deps, req, reply));
  app.post(`${AGENT_PREFIX}/Tasks/:TaskSid/EndChat`, (req, reply) => endChat(deps, req, reply));
  app.post(`${AGENT_PREFIX}/Tasks/:TaskSid/Transfer`, (req, reply) => transfer(deps, req, reply));
}
