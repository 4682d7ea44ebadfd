import type { FastifyRequest } from 'fastify';
import { TwilioError } from '../core/errors.ts';
import { authenticateWorker, type WorkerSession } from '../eventbridge/session.ts';
import type { AgentDeps } from './deps.ts';

export interface AgentSession extends WorkerSession {
  /** When the token was issued (epoch seconds). */
  issuedAt: number;
}

/**
 * The agent behind `Authorization: Bearer <worker token>`: the same verification as the event
 * bridge (signature by an API key of the account, not expired, a TaskRouter grant naming a worker
 * of that account), so whatever the SDK may do with a token, these routes allow the same worker.
 */
export async function agentFromBearer(deps: AgentDeps, req: FastifyRequest): Promise<AgentSession> {
  const header = req.headers.authorization ?? '';
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) throw new TwilioError(20003, 401, 'Authenticate: send the worker token as Authorization: Bearer <token>');
  const session = await authenticateWorker(deps.db, deps.clock, m[1]);
  // Verified above; only the issue time is still needed, for renewals.
  const payload = JSON.parse(Buffer.from(m[1].split('.')[1], 'base64url').toString('utf8')) as { iat?: unknown };
  return { ...session, issuedAt: typeof payload.iat === 'number' ? payload.iat : 0 };
}
