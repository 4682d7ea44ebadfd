import type { Clock } from '../core/clock.ts';
import { isoDate } from '../core/clock.ts';
import { invalidParameter, notFound } from '../core/errors.ts';
import { isSid, newSid } from '../core/sid.ts';
import { isUniqueViolation, type Database } from '../store/database.ts';
import { Table } from '../store/table.ts';
import { requireWorkspace } from './workspace.ts';

/**
 * A disposition (wrap-up) code of a workspace (migration 20): `code` is the stable key reports
 * group by, `friendly_name` what agents pick and what the task's `conversations.outcome` says.
 */
export interface DispositionCodeRow {
  sid: string;
  account_sid: string;
  workspace_sid: string;
  code: string;
  friendly_name: string;
  date_created: number;
  date_updated: number;
}

/** "YD" (swYtchyard Disposition code), beside "YW" and "YC". */
export const DISPOSITION_PREFIX = 'YD';
const CODE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const NAME_MAX = 64;
export const CODES_PER_WORKSPACE = 100;

export const dispositionCodes = new Table<DispositionCodeRow>('agent_disposition_codes');

export class DispositionCodes {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  async create(accountSid: string, workspaceSid: string, input: { code?: string; friendlyName?: string }): Promise<DispositionCodeRow> {
    await requireWorkspace(this.db, accountSid, workspaceSid);
    if (input.code === undefined) throw invalidParameter('Missing required parameter Code in the post body');
    const code = checkCode(input.code);
    const count = await this.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM agent_disposition_codes WHERE workspace_sid = ?', [workspaceSid]);
    if (Number(count?.n ?? 0) >= CODES_PER_WORKSPACE) throw invalidParameter(`Workspace ${workspaceSid} already has ${CODES_PER_WORKSPACE} disposition codes, the limit`);
    const now = this.clock.now();
    const row: DispositionCodeRow = {
      sid: newSid(DISPOSITION_PREFIX),
      account_sid: accountSid,
      workspace_sid: workspaceSid,
      code,
      friendly_name: checkName(input.friendlyName ?? code),
      date_created: now,
      date_updated: now,
    };
    try {
      await dispositionCodes.insert(this.db, row);
    } catch (err) {
      if (isUniqueViolation(err)) throw invalidParameter(`The Code '${code}' is already a disposition code of Workspace ${workspaceSid}`);
      throw err;
    }
    return row;
  }

  async list(accountSid: string, workspaceSid: string, limit = CODES_PER_WORKSPACE, offset = 0): Promise<DispositionCodeRow[]> {
    await requireWorkspace(this.db, accountSid, workspaceSid);
    return dispositionCodes.list(this.db, { where: [['workspace_sid = ?', workspaceSid]], limit, offset });
  }

  async get(accountSid: string, workspaceSid: string, sid: string): Promise<DispositionCodeRow> {
    await requireWorkspace(this.db, accountSid, workspaceSid);
    const row = isSid(sid, DISPOSITION_PREFIX) ? await dispositionCodes.get(this.db, sid, ['workspace_sid = ?', workspaceSid]) : undefined;
    if (!row) throw notFound(`/v1/Workspaces/${workspaceSid}/DispositionCodes/${sid}`);
    return row;
  }

  /** Renames a code; its Code stays (reports already group by it). */
  async update(accountSid: string, workspaceSid: string, sid: string, input: { friendlyName?: string }): Promise<DispositionCodeRow> {
    await this.get(accountSid, workspaceSid, sid);
    if (input.friendlyName !== undefined) await dispositionCodes.update(this.db, sid, { friendly_name: checkName(input.friendlyName), date_updated: this.clock.now() });
    return this.get(accountSid, workspaceSid, sid);
  }

  /** Tasks already wrapped up keep the code they were given. */
  async delete(accountSid: string, workspaceSid: string, sid: string): Promise<void> {
    await this.get(accountSid, workspaceSid, sid);
    await dispositionCodes.delete(this.db, ['sid = ?', sid]);
  }

  /** The workspace's code named `code`, for an agent's wrap-up. */
  async find(workspaceSid: string, code: string): Promise<DispositionCodeRow | undefined> {
    return dispositionCodes.first(this.db, ['workspace_sid = ?', workspaceSid], ['code = ?', code]);
  }
}

function checkCode(value: string): string {
  if (!CODE.test(value)) throw invalidParameter(`Invalid Code: '${value.slice(0, 80)}' must be 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit`);
  return value;
}

function checkName(value: string): string {
  const v = value.trim();
  if (v === '') throw invalidParameter('FriendlyName must not be empty');
  if (v.length > NAME_MAX) throw invalidParameter(`FriendlyName is ${v.length} characters long; the limit is ${NAME_MAX}`);
  if (/[\u0000-\u001f\u007f]/.test(v)) throw invalidParameter('FriendlyName must not contain control characters');
  return v;
}

export function renderDispositionCode(row: DispositionCodeRow, base: string) {
  return {
    sid: row.sid,
    account_sid: row.account_sid,
    workspace_sid: row.workspace_sid,
    code: row.code,
    friendly_name: row.friendly_name,
    date_created: isoDate(row.date_created),
    date_updated: isoDate(row.date_updated),
    url: `${base}/v1/Workspaces/${row.workspace_sid}/DispositionCodes/${row.sid}`,
  };
}
