import type { Clock } from '../core/clock.ts';
import { invalidParameter, notFound } from '../core/errors.ts';
import { isSid, newSid } from '../core/sid.ts';
import type { Database, Executor } from '../store/database.ts';
import { workflows, workspaces } from '../taskrouter/model.ts';
import { findTaskChannel } from '../taskrouter/service/task-channels.ts';
import type { Appearance } from './appearance.ts';
import { WIDGET_PREFIX, widgets, type WidgetRow } from './model.ts';
import { parsePreEngagementConfig, type PreEngagementConfig } from './pre-engagement.ts';

export interface WidgetInput extends Partial<Appearance> {
  workspaceSid: string;
  workflowSid?: string;
  taskChannel: string;
  friendlyName: string;
  allowedOrigins?: string[];
  preEngagementConfig?: PreEngagementConfig | null;
}

/** Undefined leaves a setting as it is; null (for the look and the form) puts back the default. */
export interface WidgetUpdate extends Partial<Appearance> {
  friendlyName?: string;
  allowedOrigins?: string[];
  preEngagementConfig?: PreEngagementConfig | null;
}

/** A widget with the origins its pages may call the public API from (none: any origin). */
export type Widget = WidgetRow & { allowed_origins: string[] };

/** Web chat widgets of an account: created, listed, fetched, updated and deleted by the account's admin API. */
export class WidgetService {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  /**
   * Checks the routing now, so a widget that could never route is refused when it is made, not
   * when a customer first writes. (It is checked again when a chat starts: things change.)
   */
  async create(accountSid: string, input: WidgetInput): Promise<Widget> {
    await this.checkRouting(accountSid, input);
    const now = this.clock.now();
    const row: WidgetRow = {
      sid: newSid(WIDGET_PREFIX),
      account_sid: accountSid,
      workspace_sid: input.workspaceSid,
      workflow_sid: input.workflowSid ?? null,
      task_channel: input.taskChannel,
      friendly_name: input.friendlyName,
      title: input.title ?? null,
      greeting: input.greeting ?? null,
      accent_color: input.accentColor ?? null,
      header_color: input.headerColor ?? null,
      pre_engagement_config: input.preEngagementConfig ? JSON.stringify(input.preEngagementConfig) : null,
      date_created: now,
      date_updated: now,
    };
    await this.db.transaction(async (tx) => {
      await widgets.insert(tx, row);
      await setOrigins(tx, row.sid, input.allowedOrigins ?? []);
    });
    return { ...row, allowed_origins: input.allowedOrigins ?? [] };
  }

  /** The workspace, the workflow (or the workspace's only one) and the task channel a widget routes with, all still there. */
  async checkRouting(accountSid: string, r: { workspaceSid: string; workflowSid?: string | null; taskChannel: string }): Promise<void> {
    if (!(await workspaces.get(this.db, r.workspaceSid, ['account_sid = ?', accountSid])))
      throw invalidParameter(`Invalid WorkspaceSid parameter: Workspace ${r.workspaceSid} was not found`);
    const inWs = ['workspace_sid = ?', r.workspaceSid] as const;
    if (r.workflowSid) {
      if (!(await workflows.get(this.db, r.workflowSid, inWs)))
        throw invalidParameter(`Invalid WorkflowSid parameter: Workflow ${r.workflowSid} is not in Workspace ${r.workspaceSid}`);
    } else if ((await workflows.count(this.db, inWs)) !== 1) {
      throw invalidParameter(`Missing required parameter WorkflowSid: Workspace ${r.workspaceSid} does not have exactly one workflow`);
    }
    if (!(await findTaskChannel(this.db, r.workspaceSid, r.taskChannel)))
      throw invalidParameter(`Invalid TaskChannel parameter: TaskChannel '${r.taskChannel}' is not in Workspace ${r.workspaceSid}`);
  }

  async list(accountSid: string, limit: number, offset: number): Promise<Widget[]> {
    return this.withOrigins(await widgets.list(this.db, { where: [['account_sid = ?', accountSid]], limit, offset }));
  }

  /** One of the account's widgets; another account's is as unknown as one that never was. */
  async get(accountSid: string, sid: string): Promise<Widget> {
    const row = isSid(sid, WIDGET_PREFIX) ? await widgets.get(this.db, sid, ['account_sid = ?', accountSid]) : undefined;
    if (!row) throw notFound(`/v1/WebChat/Widgets/${sid}`);
    return (await this.withOrigins([row]))[0];
  }

  /** Changes what the update names (the SID a site embeds, and the routing, stay). */
  async update(accountSid: string, sid: string, input: WidgetUpdate): Promise<Widget> {
    await this.get(accountSid, sid);
    const form = input.preEngagementConfig;
    await this.db.transaction(async (tx) => {
      await widgets.update(tx, sid, {
        friendly_name: input.friendlyName,
        title: input.title,
        greeting: input.greeting,
        accent_color: input.accentColor,
        header_color: input.headerColor,
        pre_engagement_config: form === undefined ? undefined : form === null ? null : JSON.stringify(form),
        date_updated: this.clock.now(),
      });
      if (input.allowedOrigins) await setOrigins(tx, sid, input.allowedOrigins);
    });
    return this.get(accountSid, sid);
  }

  /**
   * Whether a page at `origin` may call the public API. A named widget decides by its own list
   * (none: any origin; an unknown widget: no origin). A request naming no widget may come from an
   * origin some widget lists, or from any origin once some widget lists none.
   */
  async allowsOrigin(origin: string, widgetSid: string | undefined): Promise<boolean> {
    if (widgetSid !== undefined) {
      if (!isSid(widgetSid, WIDGET_PREFIX)) return false;
      const rows = await this.db.all<{ origin: string | null }>(
        'SELECT o.origin FROM webchat_widgets w LEFT JOIN webchat_widget_origins o ON o.widget_sid = w.sid WHERE w.sid = ?',
        [widgetSid],
      );
      return rows.length > 0 && (rows[0].origin === null || rows.some((r) => r.origin === origin));
    }
    if (await this.db.get('SELECT 1 AS one FROM webchat_widget_origins WHERE origin = ? LIMIT 1', [origin])) return true;
    const unrestricted = 'SELECT 1 AS one FROM webchat_widgets w WHERE NOT EXISTS (SELECT 1 FROM webchat_widget_origins o WHERE o.widget_sid = w.sid) LIMIT 1';
    return (await this.db.get(unrestricted)) !== undefined;
  }

  private async withOrigins(rows: WidgetRow[]): Promise<Widget[]> {
    if (rows.length === 0) return [];
    const found = await this.db.all<{ widget_sid: string; origin: string }>(
      `SELECT widget_sid, origin FROM webchat_widget_origins WHERE widget_sid IN (${rows.map(() => '?').join(', ')}) ORDER BY seq`,
      rows.map((r) => r.sid),
    );
    return rows.map((r) => ({ ...r, allowed_origins: found.filter((o) => o.widget_sid === r.sid).map((o) => o.origin) }));
  }

  /** The widget a public page names, whichever account owns it (the SID is the page's only key). */
  async find(sid: string): Promise<WidgetRow | undefined> {
    return isSid(sid, WIDGET_PREFIX) ? widgets.get(this.db, sid) : undefined;
  }

  async delete(accountSid: string, sid: string): Promise<void> {
    await this.get(accountSid, sid);
    await widgets.delete(this.db, ['sid = ?', sid], ['account_sid = ?', accountSid]);
  }
}

/** A widget's pre-chat form as stored (checked when it was set); null when it asks for the name alone. */
export function preEngagementOf(row: WidgetRow): PreEngagementConfig | null {
  return row.pre_engagement_config ? parsePreEngagementConfig(JSON.parse(row.pre_engagement_config)) : null;
}

async function setOrigins(tx: Executor, sid: string, origins: string[]): Promise<void> {
  await tx.run('DELETE FROM webchat_widget_origins WHERE widget_sid = ?', [sid]);
  for (const o of origins) await tx.run('INSERT INTO webchat_widget_origins (widget_sid, origin) VALUES (?, ?)', [sid, o]);
}
