import type { Clock } from '../core/clock.ts';
import { isoDate } from '../core/clock.ts';
import { invalidParameter, notFound } from '../core/errors.ts';
import { isSid, newSid } from '../core/sid.ts';
import type { Database } from '../store/database.ts';
import { Table } from '../store/table.ts';
import { containsPattern, requireWorkspace } from './workspace.ts';

/** A canned response (migration 20): text an administrator writes once for a workspace's agents to insert. */
export interface CannedResponseRow {
  sid: string;
  account_sid: string;
  workspace_sid: string;
  friendly_name: string;
  category: string | null;
  body: string;
  date_created: number;
  date_updated: number;
}

/** "YC" (swYtchyard Canned response): no Twilio API served here uses it, as "YW" for widgets. */
export const CANNED_PREFIX = 'YC';
export const CANNED_BODY_MAX = 1600;
const NAME_MAX = 64;
/** Per workspace: plenty for a team's macros, and the agent's search stays one small read. */
export const CANNED_PER_WORKSPACE = 500;
/** An agent's search shows this many at most. */
const SEARCH_LIMIT = 20;

const table = new Table<CannedResponseRow>('agent_canned_responses');

export interface CannedInput {
  friendlyName?: string;
  body?: string;
  category?: string;
}

/** Canned responses: kept by an administrator (Basic auth), searched by the workspace's agents. */
export class CannedResponses {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  async create(accountSid: string, workspaceSid: string, input: CannedInput): Promise<CannedResponseRow> {
    await requireWorkspace(this.db, accountSid, workspaceSid);
    if (input.friendlyName === undefined) throw invalidParameter('Missing required parameter FriendlyName in the post body');
    if (input.body === undefined) throw invalidParameter('Missing required parameter Body in the post body');
    const count = await this.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM agent_canned_responses WHERE workspace_sid = ?', [workspaceSid]);
    if (Number(count?.n ?? 0) >= CANNED_PER_WORKSPACE) throw invalidParameter(`Workspace ${workspaceSid} already has ${CANNED_PER_WORKSPACE} canned responses, the limit`);
    const now = this.clock.now();
    const row: CannedResponseRow = {
      sid: newSid(CANNED_PREFIX),
      account_sid: accountSid,
      workspace_sid: workspaceSid,
      friendly_name: checkName(input.friendlyName),
      category: input.category === undefined || input.category.trim() === '' ? null : checkName(input.category, 'Category'),
      body: checkBody(input.body),
      date_created: now,
      date_updated: now,
    };
    await table.insert(this.db, row);
    return row;
  }

  async list(accountSid: string, workspaceSid: string, limit: number, offset: number): Promise<CannedResponseRow[]> {
    await requireWorkspace(this.db, accountSid, workspaceSid);
    return table.list(this.db, { where: [['workspace_sid = ?', workspaceSid]], limit, offset });
  }

  async get(accountSid: string, workspaceSid: string, sid: string): Promise<CannedResponseRow> {
    await requireWorkspace(this.db, accountSid, workspaceSid);
    const row = isSid(sid, CANNED_PREFIX) ? await table.get(this.db, sid, ['workspace_sid = ?', workspaceSid]) : undefined;
    if (!row) throw notFound(`/v1/Workspaces/${workspaceSid}/CannedResponses/${sid}`);
    return row;
  }

  async update(accountSid: string, workspaceSid: string, sid: string, input: CannedInput): Promise<CannedResponseRow> {
    await this.get(accountSid, workspaceSid, sid);
    await table.update(this.db, sid, {
      friendly_name: input.friendlyName === undefined ? undefined : checkName(input.friendlyName),
      body: input.body === undefined ? undefined : checkBody(input.body),
      // An empty Category removes it.
      category: input.category === undefined ? undefined : input.category.trim() === '' ? null : checkName(input.category, 'Category'),
      date_updated: this.clock.now(),
    });
    return this.get(accountSid, workspaceSid, sid);
  }

  async delete(accountSid: string, workspaceSid: string, sid: string): Promise<void> {
    await this.get(accountSid, workspaceSid, sid);
    await table.delete(this.db, ['sid = ?', sid]);
  }

  /** What an agent finds for `search` (in the name, category or text, ignoring case); every one, by name, for none. */
  async search(workspaceSid: string, search: string | undefined): Promise<CannedResponseRow[]> {
    const where: [string, ...string[]][] = [['workspace_sid = ?', workspaceSid]];
    const text = search?.trim();
    if (text) {
      const like = containsPattern(text);
      where.push([
        "(lower(friendly_name) LIKE ? ESCAPE '\\' OR lower(body) LIKE ? ESCAPE '\\' OR lower(COALESCE(category, '')) LIKE ? ESCAPE '\\')",
        like,
        like,
        like,
      ]);
    }
    return table.list(this.db, { where, orderBy: 'lower(friendly_name), seq', limit: SEARCH_LIMIT });
  }
}

function checkName(value: string, name = 'FriendlyName'): string {
  const v = value.trim();
  if (v === '') throw invalidParameter(`${name} must not be empty`);
  if (v.length > NAME_MAX) throw invalidParameter(`${name} is ${v.length} characters long; the limit is ${NAME_MAX}`);
  if (/[\u0000-\u001f\u007f]/.test(v)) throw invalidParameter(`${name} must not contain control characters`);
  return v;
}

function checkBody(value: string): string {
  if (value.trim() === '') throw invalidParameter('Body must not be empty');
  if (value.length > CANNED_BODY_MAX) throw invalidParameter(`Body is ${value.length} characters long; the limit is ${CANNED_BODY_MAX}`);
  return value;
}

export function renderCanned(row: CannedResponseRow, base: string) {
  return {
    sid: row.sid,
    account_sid: row.account_sid,
    workspace_sid: row.workspace_sid,
    friendly_name: row.friendly_name,
    category: row.category,
    body: row.body,
    date_created: isoDate(row.date_created),
    date_updated: isoDate(row.date_updated),
    url: `${base}/v1/Workspaces/${row.workspace_sid}/CannedResponses/${row.sid}`,
  };
}
