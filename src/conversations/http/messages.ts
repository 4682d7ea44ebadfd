import { invalidParameter } from '../../core/errors.ts';
import { parseJson } from '../../core/input.ts';
import type { Route } from '../../http/context.ts';
import { pageReply } from '../../http/page.ts';
import type { Params } from '../../http/params.ts';
import type { MessageInput } from '../service/messages.ts';
import type { ConversationsApi } from '../services.ts';
import * as render from './render.ts';
import { twins } from './routes.ts';
import { attributes, cause, dateTime, conversationIn, page, scope } from './validate.ts';

const BASE = '/v1/Conversations/:ConversationSid/Messages';

function common(p: Params): MessageInput {
  return {
    author: p.string('Author', { maxLength: 256 }),
    body: p.string('Body'),
    attributes: attributes(p),
    dateCreated: dateTime(p, 'DateCreated'),
    dateUpdated: dateTime(p, 'DateUpdated'),
    subject: p.string('Subject', { maxLength: 256 }),
  };
}

function createInput(p: Params): MessageInput {
  const mediaSids = p.all('MediaSid');
  for (const m of mediaSids) if (!/^ME[0-9a-fA-F]{32}$/.test(m)) throw invalidParameter(`Invalid MediaSid parameter: '${m}' is not an ME SID`);
  const variables = p.string('ContentVariables');
  if (variables !== undefined) {
    const v = parseJson(variables, 'ContentVariables parameter');
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw invalidParameter('Invalid ContentVariables parameter: must be a JSON object');
  }
  return { ...common(p), mediaSids, contentSid: p.sid('ContentSid', 'HX'), contentVariables: variables };
}

export function messageRoutes(api: ConversationsApi): Route[] {
  return [
    ...twins({
      method: 'GET',
      path: BASE,
      handler: async (ctx) => {
        const req = page(ctx, 100);
        const order = ctx.query.enum('Order', ['asc', 'desc'] as const) ?? 'asc';
        const s = await scope(api, ctx);
        const ch = await conversationIn(api, ctx, s);
        const rows = await api.messages.list(ctx.accountSid, ch, order, req.pageSize + 1, req.offset);
        return pageReply(ctx, 'messages', rows.map((m) => render.message(s, m)), req);
      },
    }),
    ...twins({
      method: 'POST',
      path: BASE,
      handler: async (ctx) => {
        const body = createInput(ctx.body);
        const why = cause(ctx);
        const s = await scope(api, ctx);
        const ch = await conversationIn(api, ctx, s);
        const m = await api.messages.create(ctx.accountSid, ch, body, why);
        return { status: 201, body: render.message(s, m) };
      },
    }),
    ...twins({
      method: 'GET',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => {
        const s = await scope(api, ctx);
        const ch = await conversationIn(api, ctx, s);
        return { body: render.message(s, await api.messages.get(ctx.accountSid, ch, ctx.params.Sid)) };
      },
    }),
    ...twins({
      method: 'POST',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => {
        const body = common(ctx.body);
        const why = cause(ctx);
        const s = await scope(api, ctx);
        const ch = await conversationIn(api, ctx, s);
        return { body: render.message(s, await api.messages.update(ctx.accountSid, ch, ctx.params.Sid, body, why)) };
      },
    }),
    ...twins({
      method: 'DELETE',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => {
        const why = cause(ctx);
        const ch = await conversationIn(api, ctx, await scope(api, ctx));
        await api.messages.delete(ctx.accountSid, ch, ctx.params.Sid, why);
        return { status: 204 };
      },
    }),
    ...twins({
      method: 'GET',
      path: `${BASE}/:MessageSid/Receipts`,
      handler: async (ctx) => {
        const req = page(ctx, 50);
        const s = await scope(api, ctx);
        const ch = await conversationIn(api, ctx, s);
        const { receipts } = await api.messages.receipts(ctx.accountSid, ch, ctx.params.MessageSid, req.pageSize + 1, req.offset);
        return pageReply(ctx, 'delivery_receipts', receipts.map((r) => render.receipt(s, r)), req);
      },
    }),
    ...twins({
      method: 'GET',
      path: `${BASE}/:MessageSid/Receipts/:Sid`,
      handler: async (ctx) => {
        const s = await scope(api, ctx);
        const ch = await conversationIn(api, ctx, s);
        const { receipt } = await api.messages.receipt(ctx.accountSid, ch, ctx.params.MessageSid, ctx.params.Sid);
        return { body: render.receipt(s, receipt) };
      },
    }),
  ];
}
