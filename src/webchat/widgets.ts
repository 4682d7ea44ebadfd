import type { Clock } from '../core/clock.ts';
import { isoDate } from '../core/clock.ts';
import { invalidParameter, notFound } from '../core/errors.ts';
import { isSid, newSid } from '../core/sid.ts';
import type { Ctx, Route } from '../http/context.ts';
import { pageReply, pageRequest } from '../http/page.ts';
import type { Params } from '../http/params.ts';
import type { Database, Executor } from '../store/database.ts';
import { workflows, workspaces } from '../taskrouter/model.ts';
import { findTaskChannel } from '../taskrouter/service/task-channels.ts';
import { WIDGET_PREFIX, widgets, type WidgetRow } from './model.ts';

export interface WidgetInput {
  workspaceSid: string;
  workflowSid?: string;
  taskChannel: string;
  friendlyName: string;
  allowedOrigins?: string[];
}

export interface WidgetUpdate {
  friendlyName?: string;
  allowedOrigins?: string[];
}

/** A widget with the origins its pages may call the public API from (none: any origin). */
export type Widget = WidgetRow & { allowed_origins: string[] };

const MAX_ORIGINS = 50;

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

  /** Renames a widget and/or replaces its allowed origins (the SID a site embeds stays). */
  async update(accountSid: string, sid: string, input: WidgetUpdate): Promise<Widget> {
    await this.get(accountSid, sid);
    await this.db.transaction(async (tx) => {
      await widgets.update(tx, sid, { friendly_name: input.friendlyName, date_updated: this.clock.now() });
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

/**
 * The origin the caller reached us at (http://host:port), for the page and script URLs: the base
 * without the product's path. Not parsed as a URL: the Host and X-Forwarded-Proto were the
 * caller's to send, and whatever they sent makes these URLs as it makes every other.
 */
function origin(ctx: Ctx): string {
  return ctx.base.replace(/\/switchyard$/, '');
}

async function setOrigins(tx: Executor, sid: string, origins: string[]): Promise<void> {
  await tx.run('DELETE FROM webchat_widget_origins WHERE widget_sid = ?', [sid]);
  for (const o of origins) await tx.run('INSERT INTO webchat_widget_origins (widget_sid, origin) VALUES (?, ?)', [sid, o]);
}

/**
 * AllowedOrigins: repeated, each an http(s) origin (scheme://host[:port], normalised as a browser
 * sends it in Origin); an empty value alone names none (any origin). Undefined when not given.
 */
function allowedOrigins(p: Params): string[] | undefined {
  if (!p.has('AllowedOrigins')) return undefined;
  const given = p.all('AllowedOrigins').filter((v) => v !== '');
  if (given.length > MAX_ORIGINS) throw invalidParameter(`AllowedOrigins names ${given.length} origins; the limit is ${MAX_ORIGINS}`);
  return [...new Set(given.map(parseOrigin))];
}

function parseOrigin(value: string): string {
  const bad = invalidParameter(`Invalid AllowedOrigins parameter: '${value.slice(0, 80)}' is not an origin (http(s)://host[:port])`);
  if (value.length > 256) throw bad;
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw bad;
  }
  if (!/^https?:$/.test(u.protocol) || u.username || u.password || u.pathname !== '/' || u.search || value.includes('#')) throw bad;
  return u.origin;
}

export function renderWidget(ctx: Ctx, w: Widget) {
  const site = origin(ctx);
  return {
    sid: w.sid,
    account_sid: w.account_sid,
    workspace_sid: w.workspace_sid,
    workflow_sid: w.workflow_sid,
    task_channel: w.task_channel,
    friendly_name: w.friendly_name,
    allowed_origins: w.allowed_origins,
    date_created: isoDate(w.date_created),
    date_updated: isoDate(w.date_updated),
    // What a site owner pastes: the chat page itself, or the script that adds a button opening it.
    chat_url: `${site}/webchat/?widget=${w.sid}`,
    embed_script: `<script src="${site}/webchat/embed.js" data-widget="${w.sid}"></script>`,
    url: `${ctx.base}/v1/WebChat/Widgets/${w.sid}`,
  };
}

/** POST/GET /switchyard/v1/WebChat/Widgets, GET/POST/DELETE /switchyard/v1/WebChat/Widgets/{Sid} (Basic auth, like the rest). */
export function widgetRoutes(service: WidgetService): Route[] {
  const PATH = '/v1/WebChat/Widgets';
  return [
    {
      method: 'POST',
      path: PATH,
      handler: async (ctx) => {
        const p = ctx.body;
        const input: WidgetInput = {
          workspaceSid: p.sid('WorkspaceSid', 'WS', { required: true }) as string,
          workflowSid: p.sid('WorkflowSid', 'WW'),
          taskChannel: p.string('TaskChannel', { nonEmpty: true, maxLength: 64 }) ?? 'chat',
          friendlyName: p.string('FriendlyName', { nonEmpty: true, maxLength: 64 }) ?? 'Web chat',
          allowedOrigins: allowedOrigins(p),
        };
        return { status: 201, body: renderWidget(ctx, await service.create(ctx.accountSid, input)) };
      },
    },
    {
      method: 'GET',
      path: PATH,
      handler: async (ctx) => {
        const page = pageRequest(ctx);
        const rows = await service.list(ctx.accountSid, page.pageSize + 1, page.offset);
        return pageReply(ctx, 'widgets', rows.map((w) => renderWidget(ctx, w)), page);
      },
    },
    {
      method: 'GET',
      path: `${PATH}/:Sid`,
      handler: async (ctx) => ({ body: renderWidget(ctx, await service.get(ctx.accountSid, ctx.params.Sid)) }),
    },
    {
      method: 'POST',
      path: `${PATH}/:Sid`,
      handler: async (ctx) => {
        const input: WidgetUpdate = {
          friendlyName: ctx.body.string('FriendlyName', { nonEmpty: true, maxLength: 64 }),
          allowedOrigins: allowedOrigins(ctx.body),
        };
        return { body: renderWidget(ctx, await service.update(ctx.accountSid, ctx.params.Sid, input)) };
      },
    },
    {
      method: 'DELETE',
      path: `${PATH}/:Sid`,
      handler: async (ctx) => {
        await service.delete(ctx.accountSid, ctx.params.Sid);
        return { status: 204 };
      },
    },
  ];
}
