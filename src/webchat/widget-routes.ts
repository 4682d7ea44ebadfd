import { isoDate } from '../core/clock.ts';
import { invalidParameter } from '../core/errors.ts';
import type { Ctx, Route } from '../http/context.ts';
import { pageReply, pageRequest } from '../http/page.ts';
import type { Params } from '../http/params.ts';
import { appearanceParams } from './appearance.ts';
import { parsePreEngagementConfig, type PreEngagementConfig } from './pre-engagement.ts';
import { preEngagementOf, type Widget, type WidgetInput, type WidgetService, type WidgetUpdate } from './widgets.ts';

const MAX_ORIGINS = 50;

/**
 * The origin the caller reached us at (http://host:port), for the page and script URLs: the base
 * without the product's path. Not parsed as a URL: the Host and X-Forwarded-Proto were the
 * caller's to send, and whatever they sent makes these URLs as it makes every other.
 */
function origin(ctx: Ctx): string {
  return ctx.base.replace(/\/switchyard$/, '');
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

/** PreEngagementConfig: JSON (Flex Webchat's preEngagementConfig); empty puts back the name alone. */
function preEngagementConfig(p: Params): PreEngagementConfig | null | undefined {
  const text = p.string('PreEngagementConfig', { allowEmpty: true });
  if (text === undefined) return undefined;
  if (text.trim() === '') return null;
  return parsePreEngagementConfig(p.json('PreEngagementConfig')?.value);
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
    title: w.title,
    greeting: w.greeting,
    accent_color: w.accent_color,
    header_color: w.header_color,
    pre_engagement_config: preEngagementOf(w),
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
          ...appearanceParams(p),
          preEngagementConfig: preEngagementConfig(p) ?? undefined,
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
          ...appearanceParams(ctx.body),
          preEngagementConfig: preEngagementConfig(ctx.body),
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
