import { AccessTokenError, taskRouterGrant, verifyAccessToken } from '../core/access-token.ts';
import type { Clock } from '../core/clock.ts';
import { TwilioError } from '../core/errors.ts';
import type { Database } from '../store/database.ts';

/**
 * What a token's TaskRouter grant may do (docs/decisions.md, "Token roles"): a `worker` acts for
 * its own worker only; a `supervisor` also reads the workspace's workers, queues and tasks and sets
 * other workers' activity and attributes; an `admin` may do what a supervisor does, with or
 * without a worker of its own. A role Switchyard does not know is a worker's.
 */
export type Role = 'worker' | 'supervisor' | 'admin';

/**
 * Who is on the other end of an envelope: the workspace and role named by the token's TaskRouter
 * grant, and its worker if it names one. The SDK never checks its token itself, so everything it
 * may do is decided here, from a token whose signature, expiry and grant the server has verified.
 */
export interface TokenSession {
  accountSid: string;
  workspaceSid: string;
  workerSid: string | null;
  role: Role;
  /** When the token expires (epoch ms): `init` tells the SDK how long it has left. */
  expiresAt: number;
}

/** A session acting for a worker: every socket, and every envelope under Workers/{its SID}. */
export interface WorkerSession extends TokenSession {
  workerSid: string;
}

/** Whether the session may read the workspace and act on other workers. */
export function isStaff(s: TokenSession): boolean {
  return s.role === 'supervisor' || s.role === 'admin';
}

/**
 * Verifies a Twilio AccessToken carrying a TaskRouterGrant: HS256 with the secret of the API key
 * in `iss` (a key of the account in `sub`), not expired by the server clock, naming a workspace of
 * that account and, unless it is an admin's, a worker of that workspace. Any failure is a 401
 * (20101, or 20104 when expired): the token is no use, whichever part of it is wrong.
 */
export async function authenticateToken(db: Database, clock: Clock, token: string): Promise<TokenSession> {
  try {
    const t = await verifyAccessToken(
      token,
      async (sid, account) => (await db.get<{ secret: string }>('SELECT secret FROM api_keys WHERE sid = ? AND account_sid = ?', [sid, account]))?.secret,
      clock.now(),
      'task_router',
    );
    const grant = taskRouterGrant(t);
    const role: Role = grant.role === 'supervisor' || grant.role === 'admin' ? grant.role : 'worker';
    if (grant.workerSid === null) {
      if (role !== 'admin') throw new AccessTokenError('The task_router grant has no valid worker_sid (only an admin token may act for the workspace alone)');
      const ws = await db.get('SELECT sid FROM workspaces WHERE sid = ? AND account_sid = ?', [grant.workspaceSid, t.accountSid]);
      if (!ws) throw new AccessTokenError(`Workspace ${grant.workspaceSid} is not a Workspace of this account`);
    } else {
      const found = await db.get<{ sid: string }>(
        'SELECT w.sid FROM workers w JOIN workspaces ws ON ws.sid = w.workspace_sid WHERE w.sid = ? AND w.workspace_sid = ? AND ws.account_sid = ?',
        [grant.workerSid, grant.workspaceSid, t.accountSid],
      );
      if (!found) throw new AccessTokenError(`Worker ${grant.workerSid} is not a Worker of Workspace ${grant.workspaceSid} in this account`);
    }
    return { accountSid: t.accountSid, workspaceSid: grant.workspaceSid, workerSid: grant.workerSid, role, expiresAt: t.exp * 1000 };
  } catch (err) {
    if (err instanceof AccessTokenError) throw new TwilioError(err.code, 401, err.message);
    throw err;
  }
}

/** A token that acts for a worker (the socket, the agent desktop): an admin token naming none is a 401 here. */
export async function authenticateWorker(db: Database, clock: Clock, token: string): Promise<WorkerSession> {
  const s = await authenticateToken(db, clock, token);
  if (s.workerSid === null) throw new TwilioError(20101, 401, 'This token names no Worker: it acts for the Workspace only (new Workspace(token)), not as a Worker');
  return s as WorkerSession;
}
