import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Twilio access tokens (as `twilio.jwt.AccessToken` mints them): a JWT signed HS256 with an API
 * key's secret; `iss` is the API key SID (SK...), `sub` the account SID, `exp` the expiry (epoch
 * seconds), and `grants` holds `identity` plus one grant per product (`chat` for a ChatGrant).
 */
export interface AccessToken {
  accountSid: string;
  apiKeySid: string;
  identity: string;
  grants: Record<string, unknown>;
  exp: number;
}

/** Why a token was refused; `code` is Twilio's (20101 invalid token, 20104 expired). */
export class AccessTokenError extends Error {
  constructor(
    message: string,
    readonly code = 20101,
  ) {
    super(message);
  }
}

/** Finds the secret of an API key, if the key exists and belongs to the account. */
export type SecretLookup = (apiKeySid: string, accountSid: string) => Promise<string | undefined> | string | undefined;

function b64json(part: string): Record<string, unknown> {
  const v = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
  return v;
}

/**
 * Verifies a token: well-formed, HS256, signed with the secret of the API key named in `iss`
 * (belonging to the account in `sub`), not expired at `nowMs` (nor used before `nbf`), and with
 * an identity. `requireGrant` names a grant that must be present (e.g. 'chat').
 */
export async function verifyAccessToken(token: string, lookup: SecretLookup, nowMs: number, requireGrant?: string): Promise<AccessToken> {
  const parts = token.split('.');
  if (parts.length !== 3) throw new AccessTokenError('Malformed access token');
  let header: Record<string, unknown>;
  let payload: Record<string, unknown>;
  try {
    header = b64json(parts[0]);
    payload = b64json(parts[1]);
  } catch {
    throw new AccessTokenError('Malformed access token');
  }
  if (header.alg !== 'HS256') throw new AccessTokenError('Access token must be signed with HS256');
  const iss = payload.iss;
  const sub = payload.sub;
  if (typeof iss !== 'string' || typeof sub !== 'string') throw new AccessTokenError('Access token has no issuer (API key) or subject (account)');
  const secret = await lookup(iss, sub);
  if (secret === undefined) throw new AccessTokenError('Unknown API key');
  const expected = createHmac('sha256', secret).update(`${parts[0]}.${parts[1]}`).digest();
  const given = Buffer.from(parts[2], 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new AccessTokenError('Invalid access token signature');
  const now = Math.floor(nowMs / 1000);
  if (typeof payload.exp !== 'number' || payload.exp <= now) throw new AccessTokenError('Access token expired', 20104);
  if (typeof payload.nbf === 'number' && payload.nbf > now) throw new AccessTokenError('Access token not valid yet');
  const grants = payload.grants;
  if (!grants || typeof grants !== 'object') throw new AccessTokenError('Access token has no grants');
  const identity = (grants as Record<string, unknown>).identity;
  if (typeof identity !== 'string' || identity === '') throw new AccessTokenError('Access token has no identity');
  if (requireGrant && !(requireGrant in grants)) throw new AccessTokenError(`Access token has no ${requireGrant} grant`);
  return { accountSid: sub, apiKeySid: iss, identity, grants: grants as Record<string, unknown>, exp: payload.exp };
}

/** The TaskRouter grant (`AccessToken.TaskRouterGrant`): which worker of which workspace, in what role. */
export interface TaskRouterGrant {
  workspaceSid: string;
  /** Null for a token that acts for the workspace, not a worker (an admin's `new Workspace(token)`). */
  workerSid: string | null;
  role: string;
}

/** Reads the `task_router` grant of a verified token: a valid workspace SID, and a worker SID if any is named. */
export function taskRouterGrant(token: AccessToken): TaskRouterGrant {
  const g = token.grants.task_router;
  if (!g || typeof g !== 'object') throw new AccessTokenError('Access token has no task_router grant');
  const { workspace_sid: workspaceSid, worker_sid: workerSid, role } = g as Record<string, unknown>;
  if (typeof workspaceSid !== 'string' || !/^WS[0-9a-f]{32}$/i.test(workspaceSid))
    throw new AccessTokenError('The task_router grant has no valid workspace_sid');
  if (workerSid !== undefined && workerSid !== null && (typeof workerSid !== 'string' || !/^WK[0-9a-f]{32}$/i.test(workerSid)))
    throw new AccessTokenError('The task_router grant has no valid worker_sid');
  return { workspaceSid, workerSid: (workerSid as string | undefined) ?? null, role: typeof role === 'string' ? role : 'worker' };
}
