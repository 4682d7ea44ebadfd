import { isoDate } from '../../core/clock.ts';
import type { Route } from '../../http/context.ts';
import { pageReply } from '../../http/page.ts';
import type { Params } from '../../http/params.ts';
import type { UserRow } from '../model-users.ts';
import type { UserInput } from '../service/users.ts';
import type { ConversationsApi } from '../services.ts';
import { root, type Scope } from './render.ts';
import { twins } from './routes.ts';
import { attributes, cause, page, scope } from './validate.ts';

const BASE = '/v1/Users';

/**
 * Online state and push reachability are null: Twilio shows them only with the service's
 * Reachability Indicator, and Switchyard keeps no presence for REST to read.
 */
export function user(s: Scope, u: UserRow) {
  const url = `${root(s)}/Users/${u.sid}`;
  return {
    sid: u.sid,
    account_sid: u.account_sid,
    chat_service_sid: u.chat_service_sid,
    role_sid: u.role_sid,
    identity: u.identity,
    friendly_name: u.friendly_name,
    attributes: u.attributes,
    is_online: null,
    is_notifiable: null,
    date_created: isoDate(u.date_created),
    date_updated: isoDate(u.date_updated),
    url,
    links: { user_conversations: `${url}/Conversations` },
  };
}

function input(p: Params): UserInput {
  return {
    friendlyName: p.string('FriendlyName', { maxLength: 256 }),
    attributes: attributes(p),
    roleSid: p.sid('RoleSid', 'RL'),
  };
}

/** Users, account-level (the default service) and service-scoped. X-Twilio-Webhook-Enabled is checked; user webhooks are not sent. */
export function userRoutes(api: ConversationsApi): Route[] {
  const svc = (ctx: { params: Record<string, string> }) => ctx.params.ChatServiceSid;
  return [
    ...twins({
      method: 'GET',
      path: BASE,
      handler: async (ctx) => {
        const req = page(ctx, 50);
        const s = await scope(api, ctx);
        const rows = await api.users.list(ctx.accountSid, svc(ctx), req.pageSize + 1, req.offset);
        return pageReply(ctx, 'users', rows.map((u) => user(s, u)), req);
      },
    }),
    ...twins({
      method: 'POST',
      path: BASE,
      handler: async (ctx) => {
        cause(ctx);
        const body = { ...input(ctx.body), identity: ctx.body.string('Identity') };
        const s = await scope(api, ctx);
        return { status: 201, body: user(s, await api.users.create(ctx.accountSid, svc(ctx), body)) };
      },
    }),
    ...twins({
      method: 'GET',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => {
        const s = await scope(api, ctx);
        return { body: user(s, await api.users.get(ctx.accountSid, svc(ctx), ctx.params.Sid)) };
      },
    }),
    ...twins({
      method: 'POST',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => {
        cause(ctx);
        const body = input(ctx.body);
        const s = await scope(api, ctx);
        return { body: user(s, await api.users.update(ctx.accountSid, svc(ctx), ctx.params.Sid, body)) };
      },
    }),
    ...twins({
      method: 'DELETE',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => {
        cause(ctx);
        await api.users.delete(ctx.accountSid, svc(ctx), ctx.params.Sid);
        return { status: 204 };
      },
    }),
  ];
}
