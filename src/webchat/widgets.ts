import type { Clock } from '../core/clock.ts';
import { isoDate } from '../core/clock.ts';
import { invalidParameter, notFound } from '../core/errors.ts';
import { isSid, newSid } from '../core/sid.ts';
import type { Ctx, Route } from '../http/context.ts';
import { pageReply, pageRequest } from '../http/page.ts';
import type { Database } from '../store/database.ts';
import { workflows, workspaces } from '../taskrouter/model.ts';
import { findTaskChannel } from '../taskrouter/service/task-channels.ts';
import { WIDGET_PREFIX, widgets, type WidgetRow } from './model.ts';

export interface WidgetInput {
  workspaceSid: string;
  workflowSid?: string;
  taskChannel: string;
  friendlyName: string;
}

/** Web chat widgets of an account: created, listed, fetched and deleted by the account's admin API. */
export class WidgetService {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  /**
   * Checks the routing now, so a widget that could never route is refused when it is made, not
   * when a customer first writes. (It is checked again when a chat starts: things change.)
   */
  async create(accountSid: string, input: WidgetInput): Promise<WidgetRow> {
    if (!(await workspaces.get(this.db, input.workspaceSid, ['account_sid = ?', accountSid])))
      throw invalidParameter(`Invalid WorkspaceSid parameter: Workspace ${input.workspaceSid} was not found`);
    const inWs = ['workspace_sid = ?', input.workspaceSid] as const;
    if (input.workflowSid) {
      if (!(await workflows.get(this.db, input.workflowSid, inWs)))
        throw invalidParameter(`Invalid WorkflowSid parameter: Workflow ${input.workflowSid} is not in Workspace ${input.workspaceSid}`);
    } else if ((await workflows.count(this.db, inWs)) !== 1) {
      throw invalidParameter(`Missing required parameter WorkflowSid: Workspace ${input.workspaceSid} does not have exactly one workflow`);
    }
    if (!(await findTaskChannel(this.db, input.workspaceSid, input.taskChannel)))
      throw invalidParameter(`Invalid TaskChannel parameter: TaskChannel '${input.taskChannel}' is not in Workspace ${input.workspaceSid}`);
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
    await widgets.insert(this.db, row);
    return row;
  }

  list(accountSid: string, limit: number, offset: number): Promise<WidgetRow[]> {
    return widgets.list(this.db, { where: [['account_sid = ?', accountSid]], limit, offset });
  }

  /** One of the account's widgets; another account's is as unknown as one that never was. */
  async get(accountSid: string, sid: string): Promise<WidgetRow> {
    const row = isSid(sid, WIDGET_PREFIX) ? await widgets.get(this.db, sid, ['account_sid = ?', accountSid]) : undefined;
    if (!row) throw notFound(`/v1/WebChat/Widgets/${sid}`);
    return row;
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

/** The origin the caller reached us at (http://host:port), for the page and script URLs. */
function origin(ctx: Ctx): string {
  return new URL(ctx.base).origin;
}

export function renderWidget(ctx: Ctx, w: WidgetRow) {
  const site = origin(ctx);
  return {
    sid: w.sid,
    account_sid: w.account_sid,
    workspace_sid: w.workspace_sid,
    workflow_sid: w.workflow_sid,
    task_channel: w.task_channel,
    friendly_name: w.friendly_name,
    date_created: isoDate(w.date_created),
    date_updated: isoDate(w.date_updated),
    // What a site owner pastes: the chat page itself, or the script that adds a button opening it.
    chat_url: `${site}/webchat/?widget=${w.sid}`,
    embed_script: `<script src="${site}/webchat/embed.js" data-widget="${w.sid}"></script>`,
    url: `${ctx.base}/v1/WebChat/Widgets/${w.sid}`,
  };
}

/** POST/GET /switchyard/v1/WebChat/Widgets, GET/DELETE /switchyard/v1/WebChat/Widgets/{Sid} (Basic auth, like the rest). */
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
      method: 'DELETE',
      path: `${PATH}/:Sid`,
      handler: async (ctx) => {
        await service.delete(ctx.accountSid, ctx.params.Sid);
        return { status: 204 };
      },
    },
  ];
}
