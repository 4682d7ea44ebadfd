import type { Route } from '../../http/context.ts';
import { pageReply } from '../../http/page.ts';
import type { Params } from '../../http/params.ts';
import type { ConversationInput } from '../service/conversations.ts';
import type { ConversationsApi } from '../services.ts';
import * as render from './render.ts';
import { twins } from './routes.ts';
import { attributes, cause, dateTime, filterDate, page, scope, timer } from './validate.ts';

const BASE = '/v1/Conversations';
const STATES = ['active', 'inactive', 'closed'] as const;
const FILTER_STATES = ['initializing', 'active', 'inactive', 'closed'] as const;

function input(p: Params): ConversationInput {
  return {
    friendlyName: p.string('FriendlyName', { maxLength: 256 }),
    uniqueName: p.string('UniqueName', { maxLength: 256 }),
    dateCreated: dateTime(p, 'DateCreated'),
    dateUpdated: dateTime(p, 'DateUpdated'),
    messagingServiceSid: p.sid('MessagingServiceSid', 'MG'),
    attributes: attributes(p),
    state: p.enum('State', STATES),
    timerInactive: timer(p, 'Timers.Inactive', 'inactive'),
    timerClosed: timer(p, 'Timers.Closed', 'closed'),
    emailAddress: p.string('Bindings.Email.Address', { maxLength: 256 }),
    emailName: p.string('Bindings.Email.Name', { maxLength: 256 }),
  };
}

export function conversationRoutes(api: ConversationsApi): Route[] {
  return [
    ...twins({
      method: 'GET',
      path: BASE,
      handler: async (ctx) => {
        const req = page(ctx, 100);
        const filter = {
          startDate: filterDate(ctx.query, 'StartDate', false),
          endDate: filterDate(ctx.query, 'EndDate', true),
          state: ctx.query.enum('State', FILTER_STATES),
        };
        const s = await scope(api, ctx);
        const rows = await api.conversations.list(ctx.accountSid, filter, req.pageSize + 1, req.offset);
        return pageReply(ctx, 'conversations', rows.map((c) => render.conversation(s, c)), req);
      },
    }),
    ...twins({
      method: 'POST',
      path: BASE,
      handler: async (ctx) => {
        const body = input(ctx.body);
        const why = cause(ctx);
        const s = await scope(api, ctx);
        const c = await api.conversations.create(ctx.accountSid, body, why);
        return { status: 201, body: render.conversation(s, c) };
      },
    }),
    ...twins({
      method: 'GET',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => {
        const s = await scope(api, ctx);
        return { body: render.conversation(s, await api.conversations.get(ctx.accountSid, ctx.params.Sid)) };
      },
    }),
    ...twins({
      method: 'POST',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => {
        const body = input(ctx.body);
        const why = cause(ctx);
        const s = await scope(api, ctx);
        return { body: render.conversation(s, await api.conversations.update(ctx.accountSid, ctx.params.Sid, body, why)) };
      },
    }),
    ...twins({
      method: 'DELETE',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => {
        const why = cause(ctx);
        await scope(api, ctx);
        await api.conversations.delete(ctx.accountSid, ctx.params.Sid, why);
        return { status: 204 };
      },
    }),
  ];
}
