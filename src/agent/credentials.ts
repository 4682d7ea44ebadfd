import type { Clock } from '../core/clock.ts';
import { invalidParameter, notFound } from '../core/errors.ts';
import { isSid } from '../core/sid.ts';
import { isForeignKeyViolation, isUniqueViolation, type Database } from '../store/database.ts';
import { workers, type WorkerRow } from '../taskrouter/model.ts';
import { hashPassword, verifyPassword } from './passwords.ts';

/** A stored credential (migration 10). The hash never leaves this module's callers' process. */
export interface CredentialRow {
  worker_sid: string;
  account_sid: string;
  workspace_sid: string;
  username: string;
  username_key: string;
  password_hash: string;
  date_created: number;
  date_updated: number;
}

export const PASSWORD_MIN = 8;
/** scrypt hashes whatever it is given: a bound keeps a sign-in from costing more than it should. */
export const PASSWORD_MAX = 256;
export const USERNAME_MAX = 64;

/** Usernames are compared ignoring case and surrounding space, as worker names are. */
export const usernameKey = (username: string) => username.trim().normalize('NFC').toLowerCase();

/**
 * Agent credentials: a username and password per worker, set and revoked by an administrator
 * (Basic auth, or `npm run agent-credentials`), checked when an agent signs in on the desktop.
 */
export class AgentCredentials {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  /** The worker, within the account's workspace, or 404 (another account's worker does not exist here). */
  async worker(accountSid: string, workspaceSid: string, workerSid: string): Promise<WorkerRow> {
    const path = `/v1/Workspaces/${workspaceSid}/Workers/${workerSid}`;
    if (!isSid(workspaceSid, 'WS') || !isSid(workerSid, 'WK')) throw notFound(path);
    const w = await workers.get(this.db, workerSid, ['workspace_sid = ?', workspaceSid], ['account_sid = ?', accountSid]);
    if (!w) throw notFound(path);
    return w;
  }

  /** Sets (or replaces) the worker's credential; `created` tells which. */
  async set(
    accountSid: string,
    workspaceSid: string,
    workerSid: string,
    input: { username?: string; password?: string },
  ): Promise<{ row: CredentialRow; created: boolean }> {
    const worker = await this.worker(accountSid, workspaceSid, workerSid);
    const username = (input.username ?? worker.friendly_name).trim();
    if (username === '') throw invalidParameter('Username must not be empty');
    if (username.length > USERNAME_MAX) throw invalidParameter(`Username is ${username.length} characters long; the limit is ${USERNAME_MAX}`);
    if (/[\u0000-\u001f\u007f]/.test(username)) throw invalidParameter('Username must not contain control characters');
    const password = input.password;
    if (password === undefined || password === '') throw invalidParameter('Missing required parameter Password in the post body');
    if ([...password].length < PASSWORD_MIN) throw invalidParameter(`Password must be at least ${PASSWORD_MIN} characters long`);
    if (password.length > PASSWORD_MAX) throw invalidParameter(`Password is ${password.length} characters long; the limit is ${PASSWORD_MAX}`);
    const hash = await hashPassword(password);
    const now = this.clock.now();
    const message = `The Username '${username}' is already taken in this account`;
    try {
      const created = await this.db.transaction(async (tx) => {
        const updated = await tx.run(
          'UPDATE agent_credentials SET username = ?, username_key = ?, password_hash = ?, date_updated = ? WHERE worker_sid = ? AND account_sid = ?',
          [username, usernameKey(username), hash, now, workerSid, accountSid],
        );
        if (updated > 0) return false;
        await tx.run(
          'INSERT INTO agent_credentials (worker_sid, account_sid, workspace_sid, username, username_key, password_hash, date_created, date_updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
          [workerSid, accountSid, workspaceSid, username, usernameKey(username), hash, now, now],
        );
        return true;
      });
      const row = await this.get(accountSid, workspaceSid, workerSid);
      if (!row) throw notFound(`/v1/Workspaces/${workspaceSid}/Workers/${workerSid}`); // deleted just now, with its worker
      return { row, created };
    } catch (err) {
      if (isUniqueViolation(err)) throw invalidParameter(message);
      // The worker was deleted while its password was being hashed.
      if (isForeignKeyViolation(err)) throw notFound(`/v1/Workspaces/${workspaceSid}/Workers/${workerSid}`);
      throw err;
    }
  }

  async get(accountSid: string, workspaceSid: string, workerSid: string): Promise<CredentialRow | undefined> {
    return this.db.get<CredentialRow>('SELECT * FROM agent_credentials WHERE worker_sid = ? AND workspace_sid = ? AND account_sid = ?', [workerSid, workspaceSid, accountSid]);
  }

  /** Revokes the worker's credential: no more sign-ins, and no more token renewals. */
  async revoke(accountSid: string, workspaceSid: string, workerSid: string): Promise<void> {
    await this.worker(accountSid, workspaceSid, workerSid);
    const n = await this.db.run('DELETE FROM agent_credentials WHERE worker_sid = ? AND workspace_sid = ? AND account_sid = ?', [workerSid, workspaceSid, accountSid]);
    if (n === 0) throw notFound(`/v1/Workspaces/${workspaceSid}/Workers/${workerSid}/Credentials`);
  }

  /**
   * The credential these match, or undefined. An unknown user costs the same scrypt run as a
   * wrong password, so the answer's timing does not tell which usernames exist.
   */
  async check(accountSid: string, username: string, password: string): Promise<CredentialRow | undefined> {
    const row = await this.db.get<CredentialRow>('SELECT * FROM agent_credentials WHERE account_sid = ? AND username_key = ?', [accountSid, usernameKey(username)]);
    const ok = await verifyPassword(password, row?.password_hash);
    return ok ? row : undefined;
  }
}

/** The credential as the API shows it: never the hash. */
export function renderCredential(row: CredentialRow, base: string) {
  return {
    account_sid: row.account_sid,
    workspace_sid: row.workspace_sid,
    worker_sid: row.worker_sid,
    username: row.username,
    date_created: new Date(Number(row.date_created)).toISOString(),
    date_updated: new Date(Number(row.date_updated)).toISOString(),
    url: `${base}/v1/Workspaces/${row.workspace_sid}/Workers/${row.worker_sid}/Credentials`,
  };
}
