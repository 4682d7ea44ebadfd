import type { FastifyReply, FastifyRequest } from 'fastify';
import { TOKEN_TTL_SECONDS } from '../agent/index.ts';
import { TwilioError, forbidden, invalidParameter } from '../core/errors.ts';
import { isSid } from '../core/sid.ts';
import { authenticateToken, isStaff, type TokenSession } from '../eventbridge/session.ts';
import { agentIdentity } from '../flex/service/deps.ts';
import { workers, workspaces, type WorkerRow } from '../taskrouter/model.ts';
import { requestOrigin } from '../web/origin.ts';
import { bodyParams } from '../http/public-api.ts';
import { isSupervisor, rolesOf, type SupervisorDeps } from './deps.ts';

/** Same answer for an unknown account, an unknown user and a wrong password: it tells nobody which usernames exist. */
export const SIGN_IN_FAILED = 'Authenticate: the AccountSid, Username and Password do not match an agent';
const EVENT_BRIDGE_PATH = '/event-bridge/v1/wschannels';
const USERNAME_MAX = 64;
const PASSWORD_MAX = 256;

export interface SupervisorSession extends TokenSession {
  workerSid: string;
  worker: WorkerRow;
  /** When the token was issued (epoch seconds): renewals compare it with the credential's last change. */
  issuedAt: number;
}

export const notSupervisor = (worker: WorkerRow) =>
  forbidden(`Worker ${worker.friendly_name} (${worker.sid}) is not a supervisor: an administrator gives the role in the worker's attributes ("roles": ["supervisor"])`);

/** POST /switchyard/v1/Supervisor/Sessions (public): AccountSid, Username, Password of a worker with the supervisor role. */
export async function signIn(deps: SupervisorDeps, req: FastifyRequest, reply: FastifyReply) {
  const p = bodyParams(req);
  const accountSid = p.required('AccountSid');
  const username = p.required('Username', { maxLength: USERNAME_MAX * 4 });
  const password = p.required('Password', { maxLength: PASSWORD_MAX * 4 });
  if (!isSid(accountSid, 'AC')) throw invalidParameter(`Invalid AccountSid: ${accountSid}`);
  const credential = await deps.credentials.check(accountSid, username, password);
  const worker = credential && (await workers.get(deps.db, credential.worker_sid, ['account_sid = ?', accountSid]));
  if (!credential || !worker) throw new TwilioError(20003, 401, SIGN_IN_FAILED);
  // The password was right: saying why the board is closed to this agent tells nothing to a stranger.
  if (!isSupervisor(worker)) throw notSupervisor(worker);
  return reply.code(201).type('application/json').send(JSON.stringify({ username: credential.username, ...(await issue(deps, req, worker)) }));
}

/**
 * POST /switchyard/v1/Supervisor/Tokens with a supervisor token still valid: a fresh one, while the
 * credential is unchanged since the token was issued and the worker still has the role.
 */
export async function renew(deps: SupervisorDeps, req: FastifyRequest, reply: FastifyReply) {
  const s = await supervisorFromBearer(deps, req);
  const credential = await deps.credentials.get(s.accountSid, s.workspaceSid, s.workerSid);
  if (!credential || Math.floor(Number(credential.date_updated) / 1000) > s.issuedAt)
    throw new TwilioError(20003, 401, "Authenticate: the supervisor's credentials were revoked or changed; sign in again");
  return reply.code(201).type('application/json').send(JSON.stringify({ username: credential.username, ...(await issue(deps, req, s.worker)) }));
}

/**
 * A TaskRouter token with the supervisor role for the worker (what Twilio's worker SDK calls a
 * Supervisor: it reads the workspace and sets other workers' activity over the event bridge), and
 * what the page shows of who signed in.
 */
async function issue(deps: SupervisorDeps, req: FastifyRequest, worker: WorkerRow) {
  const ws = await workspaces.get(deps.db, worker.workspace_sid);
  const identity = agentIdentity(worker);
  const minted = await deps.tokens.mint(
    worker.account_sid,
    identity,
    { task_router: { workspace_sid: worker.workspace_sid, worker_sid: worker.sid, role: 'supervisor' } },
    TOKEN_TTL_SECONDS,
  );
  const origin = requestOrigin(req);
  return {
    account_sid: worker.account_sid,
    workspace_sid: worker.workspace_sid,
    workspace_friendly_name: ws?.friendly_name ?? worker.workspace_sid,
    worker_sid: worker.sid,
    friendly_name: worker.friendly_name,
    identity,
    roles: rolesOf(worker),
    token: minted.token,
    expires: new Date(minted.expires).toISOString(),
    ttl: TOKEN_TTL_SECONDS,
    event_bridge: { ebServer: `${origin.http}${EVENT_BRIDGE_PATH}`, wsServer: `${origin.ws}${EVENT_BRIDGE_PATH}` },
  };
}

/** The bearer token of a request, or 401. */
export function bearerToken(req: FastifyRequest): string {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  if (!m) throw new TwilioError(20003, 401, 'Authenticate: send the supervisor token as Authorization: Bearer <token>');
  return m[1];
}

/**
 * The supervisor behind `Authorization: Bearer <token>`: verified as the event bridge verifies it
 * (signature, expiry, a worker of the account), with the supervisor (or admin) role in the token,
 * and the role still in the worker's attributes now: an administrator who takes it away closes
 * the board at once, not when the token runs out.
 */
export async function supervisorFromBearer(deps: SupervisorDeps, req: FastifyRequest): Promise<SupervisorSession> {
  const token = bearerToken(req);
  const s = await authenticateToken(deps.db, deps.clock, token);
  if (!isStaff(s) || s.workerSid === null) throw forbidden(`A ${s.role} token does not open the supervisor board; a supervisor signs in at /supervisor/`);
  const worker = await workers.get(deps.db, s.workerSid, ['workspace_sid = ?', s.workspaceSid]);
  if (!worker) throw new TwilioError(20003, 401, 'Authenticate: the worker no longer exists');
  if (!isSupervisor(worker)) throw notSupervisor(worker);
  // Verified above; only the issue time is still needed.
  const payload = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as { iat?: unknown };
  return { ...s, workerSid: s.workerSid, worker, issuedAt: typeof payload.iat === 'number' ? payload.iat : 0 };
}
