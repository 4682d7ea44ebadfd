import type { FastifyReply, FastifyRequest } from 'fastify';
import { TwilioError } from '../core/errors.ts';
import { isSid } from '../core/sid.ts';
import { workers } from '../taskrouter/model.ts';
import { bodyParams } from '../http/public-api.ts';
import { PASSWORD_MAX, USERNAME_MAX } from './credentials.ts';
import type { AgentDeps } from './deps.ts';
import { issueTokens } from './issue.ts';

/**
 * One answer for every failed sign-in (unknown account, unknown user, wrong password, revoked):
 * telling them apart would let anyone probe which usernames exist.
 */
export const SIGN_IN_FAILED = 'Authenticate: the AccountSid, Username and Password do not match an agent';

/** POST /switchyard/v1/Agent/Sessions (public): AccountSid, Username, Password → the agent's tokens. */
export async function signIn(deps: AgentDeps, req: FastifyRequest, reply: FastifyReply) {
  const p = bodyParams(req);
  const accountSid = p.required('AccountSid');
  const username = p.required('Username', { maxLength: USERNAME_MAX * 4 });
  const password = p.required('Password', { maxLength: PASSWORD_MAX * 4 });
  if (!isSid(accountSid, 'AC')) throw new TwilioError(20001, 400, `Invalid AccountSid: ${accountSid}`);
  const credential = await deps.credentials.check(accountSid, username, password);
  const worker = credential && (await workers.get(deps.db, credential.worker_sid, ['account_sid = ?', accountSid]));
  if (!worker) throw new TwilioError(20003, 401, SIGN_IN_FAILED);
  return reply.code(201).type('application/json').send(JSON.stringify({ username: credential!.username, ...(await issueTokens(deps, req, worker)) }));
}
