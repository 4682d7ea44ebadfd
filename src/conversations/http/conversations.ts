import type { Route } from '../../http/context.ts';
import { pageReply } from '../../http/page.ts';
import type { Params } from '../../http/params.ts';
import type { ConversationInput } from '../service/conversations.ts';
import type { ConversationsApi } from '../services.ts';
import * as render from './render.ts';
import { twins } from './routes.ts';
import { attributes, cause, conversationIn, dateTime, filterDate, page, scope, timer } from './validate.ts';

const BASE = '/v1/Conversations';
const STATES = ['active', 'inactive', 'closed'] as const;
const FILTER_STATES = ['initializing', 'active', 'inactive', 'closed'] as const;

/** A conversation's create and update parameters (also ConversationWithParticipants'). */
export function conversationInput(p: Params): ConversationInput {
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
        const s = await scope(api, ctx);
        const filter = {
          serviceSid: s.serviceSid,
          startDate: filterDate(ctx.query, 'StartDate', false),
          endDate: filterDate(ctx.query, 'EndDate', true),
          state: ctx.query.enum('State', FILTER_STATES),
        };
        const rows = await api.conversations.list(ctx.accountSid, filter, req.pageSize + 1, req.offset);
        return pageReply(ctx, 'conversations', rows.map((c) => render.conversation(s, c)), req);
      },
    }),
    ...twins({
      method: 'POST',
      path: BASE,
      handler: async (ctx) => {
        const body = conversationInput(ctx.body);
        const why = cause(ctx);
        const s = await scope(api, ctx);
        const c = await api.conversations.create(ctx.accountSid, { ...body, chatServiceSid: s.serviceSid }, why);
        return { status: 201, body: render.conversation(s, c) };
      },
    }),
    ...twins({
      method: 'GET',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => {
        const s = await scope(api, ctx);
        return { body: render.conversation(s, await api.conversations.get(ctx.accountSid, ctx.params.Sid, s.serviceSid)) };
      },
    }),
    ...twins({
      method: 'POST',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => {
        const body = conversationInput(ctx.body);
        const why = cause(ctx);
        const s = await scope(api, ctx);
        const sid = await conversationIn(api, ctx, s, 'Sid');
        return { body: render.conversation(s, await api.conversations.update(ctx.accountSid, sid, body, why)) };
      },
    }),
    ...twins({
      method: 'DELETE',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => {
        const why = cause(ctx);
        const sid = await conversationIn(api, ctx, await scope(api, ctx), 'Sid');
        await api.conversations.delete(ctx.accountSid, sid, why);
        return { status: 204 };
      },
    }),
  ];
}
