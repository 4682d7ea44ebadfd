import type { FastifyInstance, FastifyRequest } from 'fastify';
import { TwilioError } from '../core/errors.ts';
import { bodyParams, publicRoutes, type PublicApi } from '../http/public-api.ts';
import { isSid } from '../core/sid.ts';
import { USERNAME_MAX, usernameKey } from './credentials.ts';
import type { AgentDeps } from './deps.ts';
import { contact } from './contact.ts';
import { desk, searchCanned } from './desk.ts';
import { directory } from './directory.ts';
import { endChat } from './end-chat.ts';
import { refreshTokens } from './refresh.ts';
import { signIn } from './sign-in.ts';
import { transcript } from './transcript.ts';
import { transfer, updateTransfer } from './transfer.ts';
import { wrapUp } from './wrapup.ts';

export const AGENT_PREFIX = '/switchyard/v1/Agent';

/**
 * The agent desktop's endpoints. They are registered on the app itself, not as a product, because
 * they take no Basic credentials: signing in takes a username and password, everything else the
 * worker token the agent got (Authorization: Bearer). Errors are thrown as TwilioErrors, which
 * the app renders as Twilio's error body. Sign-in and token renewal are rate-limited per address,
 * and a username with too many failed sign-ins is refused for a while, right password or not;
 * CORS allows the origins web chat widgets allow (src/http/public-api.ts).
 */
export function agentRoutes(app: FastifyInstance, deps: AgentDeps, api: PublicApi): void {
  publicRoutes(app, AGENT_PREFIX, api, () => undefined, (scope, limiter) => {
    const failures = limiter.failures('signInFailuresPerUser', 'failed sign-ins for this username', signInKey);
    const signInLimits = { onRequest: limiter.perAddress('signInPerAddress', 'sign-ins from this address'), preHandler: failures.refuseIfSpent };
    scope.post('/Sessions', signInLimits, async (req, reply) => {
      try {
        return await signIn(deps, req, reply);
      } catch (err) {
        if (err instanceof TwilioError && err.status === 401) await failures.fail(req);
        throw err;
      }
    });
    const renewals = { onRequest: limiter.perAddress('agentTokensPerAddress', 'token renewals from this address') };
    scope.post('/Tokens', renewals, (req, reply) => refreshTokens(deps, req, reply));
    scope.get('/Directory', (req, reply) => directory(deps, req, reply));
    scope.get('/Tasks/:TaskSid/Messages', (req, reply) => transcript(deps, req, reply));
    scope.post('/Tasks/:TaskSid/EndChat', (req, reply) => endChat(deps, req, reply));
    scope.post('/Tasks/:TaskSid/Transfer', (req, reply) => transfer(deps, req, reply));
    scope.post('/Tasks/:TaskSid/Transfers/:TransferSid', (req, reply) => updateTransfer(deps, req, reply));
    scope.get('/Tasks/:TaskSid/Contact', (req, reply) => contact(deps, req, reply));
    scope.post('/Tasks/:TaskSid/WrapUp', (req, reply) => wrapUp(deps, req, reply));
    scope.get('/Desk', (req, reply) => desk(deps, req, reply));
    scope.get('/CannedResponses', (req, reply) => searchCanned(deps, req, reply));
  });
}

/**
 * Whose failed sign-ins a request counts toward: the username (as credentials compare it) in the
 * account. None for what sign-in refuses as bad input anyway, so no key is longer than a username.
 * The supervisor board's sign-in counts the same way.
 */
export function signInKey(req: FastifyRequest): string | undefined {
  let p;
  try {
    p = bodyParams(req);
  } catch {
    return undefined;
  }
  const account = p.string('AccountSid');
  const username = p.string('Username');
  return account && isSid(account, 'AC') && username && username.length <= USERNAME_MAX * 4 ? `${account}|${usernameKey(username)}` : undefined;
}
