import { isoDate } from '../../core/clock.ts';
import type { RoleType } from '../../core/conversations-permissions.ts';
import { invalidParameter } from '../../core/errors.ts';
import type { Route } from '../../http/context.ts';
import { pageReply } from '../../http/page.ts';
import type { Params } from '../../http/params.ts';
import { invalidRoleType } from '../errors.ts';
import type { RoleRow } from '../model-users.ts';
import { jsonList } from '../service/deps.ts';
import type { ConversationsApi } from '../services.ts';
import { root, type Scope } from './render.ts';
import { twins } from './routes.ts';
import { page, scope } from './validate.ts';

const BASE = '/v1/Roles';

export function role(s: Scope, r: RoleRow) {
  return {
    sid: r.sid,
    account_sid: r.account_sid,
    chat_service_sid: r.chat_service_sid,
    friendly_name: r.friendly_name,
    type: r.type,
    permissions: jsonList(r.permissions),
    date_created: isoDate(r.date_created),
    date_updated: isoDate(r.date_updated),
    url: `${root(s)}/Roles/${r.sid}`,
  };
}

/** Permission, repeated once per permission (Twilio takes one per parameter); at least one. */
function permissions(p: Params): string[] {
  if (!p.has('Permission')) throw invalidParameter('Missing required parameter Permission in the post body');
  return p.all('Permission').map((v) => v.trim());
}

function roleType(p: Params): RoleType {
  const v = p.required('Type');
  const t = (['service', 'conversation'] as const).find((x) => x === v.trim().toLowerCase());
  if (!t) throw invalidRoleType(`Invalid Type '${v}': a role is of type service or conversation`);
  return t;
}

export function roleRoutes(api: ConversationsApi): Route[] {
  const svc = (ctx: { params: Record<string, string> }) => ctx.params.ChatServiceSid;
  return [
    ...twins({
      method: 'GET',
      path: BASE,
      handler: async (ctx) => {
        const req = page(ctx, 50);
        const s = await scope(api, ctx);
        const rows = await api.roles.list(ctx.accountSid, svc(ctx), req.pageSize + 1, req.offset);
        return pageReply(ctx, 'roles', rows.map((r) => role(s, r)), req);
      },
    }),
    ...twins({
      method: 'POST',
      path: BASE,
      handler: async (ctx) => {
        const b = ctx.body;
        const body = { friendlyName: b.required('FriendlyName', { maxLength: 64 }), type: roleType(b), permissions: permissions(b) };
        const s = await scope(api, ctx);
        return { status: 201, body: role(s, await api.roles.create(ctx.accountSid, svc(ctx), body)) };
      },
    }),
    ...twins({
      method: 'GET',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => {
        const s = await scope(api, ctx);
        return { body: role(s, await api.roles.get(ctx.accountSid, svc(ctx), ctx.params.Sid)) };
      },
    }),
    ...twins({
      method: 'POST',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => {
        const list = permissions(ctx.body);
        const s = await scope(api, ctx);
        return { body: role(s, await api.roles.update(ctx.accountSid, svc(ctx), ctx.params.Sid, list)) };
      },
    }),
    ...twins({
      method: 'DELETE',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => {
        await api.roles.delete(ctx.accountSid, svc(ctx), ctx.params.Sid);
        return { status: 204 };
      },
    }),
  ];
}
