import type { Clock } from '../core/clock.ts';
import { isoDate } from '../core/clock.ts';
import { isUniqueViolation, type Database } from '../store/database.ts';
import { requireWorkspace } from './workspace.ts';

/**
 * How long an agent has to wrap up, in seconds, before the desk completes the task with what the
 * agent chose so far (Flex's automatic wrap-up); 0: no limit. A workspace that set none gets this.
 */
export const DEFAULT_WRAPUP_TIMEOUT = 120;
export const MAX_WRAPUP_TIMEOUT = 3600;

export interface DeskSettings {
  account_sid: string;
  workspace_sid: string;
  wrapup_timeout: number;
  date_updated: number | null;
}

/** The agent desktop's settings of a workspace (migration 20), set by an administrator. */
export class DeskSettingsStore {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  async get(accountSid: string, workspaceSid: string): Promise<DeskSettings> {
    await requireWorkspace(this.db, accountSid, workspaceSid);
    return this.of(accountSid, workspaceSid);
  }

  /** For an agent's token, whose workspace is known to exist. */
  async of(accountSid: string, workspaceSid: string): Promise<DeskSettings> {
    const row = await this.db.get<{ wrapup_timeout: number; date_updated: number }>('SELECT wrapup_timeout, date_updated FROM agent_desk_settings WHERE workspace_sid = ?', [workspaceSid]);
    return {
      account_sid: accountSid,
      workspace_sid: workspaceSid,
      wrapup_timeout: row ? Number(row.wrapup_timeout) : DEFAULT_WRAPUP_TIMEOUT,
      date_updated: row ? Number(row.date_updated) : null,
    };
  }

  async set(accountSid: string, workspaceSid: string, input: { wrapupTimeout?: number }): Promise<DeskSettings> {
    await requireWorkspace(this.db, accountSid, workspaceSid);
    if (input.wrapupTimeout !== undefined) {
      const now = this.clock.now();
      const n = await this.db.run('UPDATE agent_desk_settings SET wrapup_timeout = ?, date_updated = ? WHERE workspace_sid = ?', [input.wrapupTimeout, now, workspaceSid]);
      if (n === 0) {
        try {
          await this.db.run('INSERT INTO agent_desk_settings (workspace_sid, account_sid, wrapup_timeout, date_updated) VALUES (?, ?, ?, ?)', [workspaceSid, accountSid, input.wrapupTimeout, now]);
        } catch (err) {
          // Another request made the row meanwhile: this one is the later change.
          if (!isUniqueViolation(err)) throw err;
          await this.db.run('UPDATE agent_desk_settings SET wrapup_timeout = ?, date_updated = ? WHERE workspace_sid = ?', [input.wrapupTimeout, now, workspaceSid]);
        }
      }
    }
    return this.of(accountSid, workspaceSid);
  }
}

export function renderDeskSettings(s: DeskSettings, base: string) {
  return {
    account_sid: s.account_sid,
    workspace_sid: s.workspace_sid,
    wrapup_timeout: s.wrapup_timeout,
    date_updated: isoDate(s.date_updated),
    url: `${base}/v1/Workspaces/${s.workspace_sid}/AgentDesktop`,
  };
}
