import type { Route } from '../http/context.ts';
import { pageReply, pageRequest } from '../http/page.ts';
import { renderCanned, type CannedResponses } from './canned-responses.ts';
import { MAX_WRAPUP_TIMEOUT, renderDeskSettings, type DeskSettingsStore } from './desk-settings.ts';
import { renderDispositionCode, type DispositionCodes } from './disposition-codes.ts';
import { fields } from './fields.ts';

const WS = '/v1/Workspaces/:WorkspaceSid';

/**
 * What an administrator sets up for a workspace's agent desktop, in Switchyard's own API (Basic
 * auth): canned responses, disposition codes, and the desk's settings (the wrap-up time). Each
 * list pages as Twilio's lists do; a form or a JSON object of strings is taken.
 */
export function deskAdminRoutes(canned: CannedResponses, codes: DispositionCodes, settings: DeskSettingsStore): Route[] {
  return [
    {
      method: 'POST',
      path: `${WS}/CannedResponses`,
      handler: async (ctx) => {
        const p = fields(ctx);
        const row = await canned.create(ctx.accountSid, ctx.params.WorkspaceSid, { friendlyName: p.string('FriendlyName'), body: p.string('Body'), category: p.string('Category') });
        return { status: 201, body: renderCanned(row, ctx.base) };
      },
    },
    {
      method: 'GET',
      path: `${WS}/CannedResponses`,
      handler: async (ctx) => {
        const page = pageRequest(ctx);
        const rows = await canned.list(ctx.accountSid, ctx.params.WorkspaceSid, page.pageSize + 1, page.offset);
        return pageReply(ctx, 'canned_responses', rows.map((r) => renderCanned(r, ctx.base)), page);
      },
    },
    {
      method: 'GET',
      path: `${WS}/CannedResponses/:Sid`,
      handler: async (ctx) => ({ body: renderCanned(await canned.get(ctx.accountSid, ctx.params.WorkspaceSid, ctx.params.Sid), ctx.base) }),
    },
    {
      method: 'POST',
      path: `${WS}/CannedResponses/:Sid`,
      handler: async (ctx) => {
        const p = fields(ctx);
        const row = await canned.update(ctx.accountSid, ctx.params.WorkspaceSid, ctx.params.Sid, { friendlyName: p.string('FriendlyName'), body: p.string('Body'), category: p.string('Category') });
        return { body: renderCanned(row, ctx.base) };
      },
    },
    {
      method: 'DELETE',
      path: `${WS}/CannedResponses/:Sid`,
      handler: async (ctx) => {
        await canned.delete(ctx.accountSid, ctx.params.WorkspaceSid, ctx.params.Sid);
        return { status: 204 };
      },
    },
    {
      method: 'POST',
      path: `${WS}/DispositionCodes`,
      handler: async (ctx) => {
        const p = fields(ctx);
        const row = await codes.create(ctx.accountSid, ctx.params.WorkspaceSid, { code: p.string('Code'), friendlyName: p.string('FriendlyName') });
        return { status: 201, body: renderDispositionCode(row, ctx.base) };
      },
    },
    {
      method: 'GET',
      path: `${WS}/DispositionCodes`,
      handler: async (ctx) => {
        const page = pageRequest(ctx);
        const rows = await codes.list(ctx.accountSid, ctx.params.WorkspaceSid, page.pageSize + 1, page.offset);
        return pageReply(ctx, 'disposition_codes', rows.map((r) => renderDispositionCode(r, ctx.base)), page);
      },
    },
    {
      method: 'GET',
      path: `${WS}/DispositionCodes/:Sid`,
      handler: async (ctx) => ({ body: renderDispositionCode(await codes.get(ctx.accountSid, ctx.params.WorkspaceSid, ctx.params.Sid), ctx.base) }),
    },
    {
      method: 'POST',
      path: `${WS}/DispositionCodes/:Sid`,
      handler: async (ctx) => {
        const row = await codes.update(ctx.accountSid, ctx.params.WorkspaceSid, ctx.params.Sid, { friendlyName: fields(ctx).string('FriendlyName') });
        return { body: renderDispositionCode(row, ctx.base) };
      },
    },
    {
      method: 'DELETE',
      path: `${WS}/DispositionCodes/:Sid`,
      handler: async (ctx) => {
        await codes.delete(ctx.accountSid, ctx.params.WorkspaceSid, ctx.params.Sid);
        return { status: 204 };
      },
    },
    {
      method: 'GET',
      path: `${WS}/AgentDesktop`,
      handler: async (ctx) => ({ body: renderDeskSettings(await settings.get(ctx.accountSid, ctx.params.WorkspaceSid), ctx.base) }),
    },
    {
      method: 'POST',
      path: `${WS}/AgentDesktop`,
      handler: async (ctx) => {
        const wrapupTimeout = fields(ctx).int('WrapUpTimeout', { min: 0, max: MAX_WRAPUP_TIMEOUT });
        return { body: renderDeskSettings(await settings.set(ctx.accountSid, ctx.params.WorkspaceSid, { wrapupTimeout }), ctx.base) };
      },
    },
  ];
}
