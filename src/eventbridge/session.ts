import { AccessTokenError, taskRouterGrant, verifyAccessToken } from '../core/access-token.ts';
import type { Clock } from '../core/clock.ts';
import { TwilioError } from '../core/errors.ts';
import type { Database } from '../store/database.ts';

/**
 * Who is on the other end of a socket or an envelope: the worker named by the token's
 * TaskRouter grant. The SDK never checks its token itself, so everything it may do is decided
 * here, from a token whose signature, expiry and grant the server has verified.
 */
export interface WorkerSession {
  accountSid: string;
  workspaceSid: string;
  workerSid: string;
  role: string;
  /** When the token expires (epoch ms): `init` tells the SDK how long it has left. */
  expiresAt: number;
}

/**
 * Verifies a Twilio AccessToken carrying a TaskRouterGrant: HS256 with the secret of the API key
 * in `iss` (a key of the account in `sub`), not expired by the server clock, and naming a worker
 * that exists in a workspace of that account. Any failure is a 401 (20101, or 20104 when
 * expired): the token is no use, whichever part of it is wrong.
 */
export async function authenticateWorker(db: Database, clock: Clock, token: string): Promise<WorkerSession> {
  try {
    const t = await verifyAccessToken(
      token,
      async (sid, account) => (await db.get<{ secret: string }>('SELECT secret FROM api_keys WHERE sid = ? AND account_sid = ?', [sid, account]))?.secret,
      clock.now(),
      'task_router',
    );
    const grant = taskRouterGrant(t);
    const found = await db.get<{ sid: string }>(
      'SELECT w.sid FROM workers w JOIN workspaces ws ON ws.sid = w.workspace_sid WHERE w.sid = ? AND w.workspace_sid = ? AND ws.account_sid = ?',
      [grant.workerSid, grant.workspaceSid, t.accountSid],
    );
    if (!found) throw new AccessTokenError(`Worker ${grant.workerSid} is not a Worker of Workspace ${grant.workspaceSid} in this account`);
    return { accountSid: t.accountSid, workspaceSid: grant.workspaceSid, workerSid: grant.workerSid, role: grant.role, expiresAt: t.exp * 1000 };
  } catch (err) {
    if (err instanceof AccessTokenError) throw new TwilioError(err.code, 401, err.message);
    throw err;
  }
}
