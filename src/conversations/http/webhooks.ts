import { isSid } from '../../core/sid.ts';
import type { Route } from '../../http/context.ts';
import { pageReply } from '../../http/page.ts';
import type { Params } from '../../http/params.ts';
import { invalidWebhookFlowSid, invalidWebhookTarget, webhookTargetMissing } from '../errors.ts';
import type { WebhookTarget } from '../model.ts';
import type { WebhookInput } from '../service/webhooks.ts';
import type { ConversationsApi } from '../services.ts';
import * as render from './render.ts';
import { twins } from './routes.ts';
import { SCOPED_EVENTS, eventList, conversationIn, page, scope, webhookUrl } from './validate.ts';

const BASE = '/v1/Conversations/:ConversationSid/Webhooks';
const TARGETS: WebhookTarget[] = ['webhook', 'trigger', 'studio'];

function input(p: Params): WebhookInput {
  const flowSid = p.string('Configuration.FlowSid');
  if (flowSid !== undefined && !isSid(flowSid, 'FW')) throw invalidWebhookFlowSid(`Invalid Configuration.FlowSid: '${flowSid}' is not a Studio Flow SID (FW...)`);
  const triggers = p.has('Configuration.Triggers') ? p.all('Configuration.Triggers') : undefined;
  return {
    url: webhookUrl(p, 'Configuration.Url'),
    method: p.enum('Configuration.Method', ['get', 'post'] as const),
    filters: eventList(p, 'Configuration.Filters', SCOPED_EVENTS),
    triggers,
    flowSid,
  };
}

function target(p: Params): WebhookTarget {
  const v = p.string('Target');
  if (v === undefined || v.trim() === '') throw webhookTargetMissing('Missing required parameter Target (webhook, trigger or studio)');
  const t = TARGETS.find((x) => x === v.trim().toLowerCase());
  if (!t) throw invalidWebhookTarget(`Invalid Target '${v}': must be webhook, trigger or studio`);
  return t;
}

export function webhookRoutes(api: ConversationsApi): Route[] {
  return [
    ...twins({
      method: 'GET',
      path: BASE,
      handler: async (ctx) => {
        const req = page(ctx, 5);
        const s = await scope(api, ctx);
        const ch = await conversationIn(api, ctx, s);
        const { webhooks } = await api.webhooks.list(ctx.accountSid, ch, req.pageSize + 1, req.offset);
        return pageReply(ctx, 'webhooks', webhooks.map((w) => render.webhook(s, w)), req);
      },
    }),
    ...twins({
      method: 'POST',
      path: BASE,
      handler: async (ctx) => {
        const body = {
          ...input(ctx.body),
          target: target(ctx.body),
          replayAfter: ctx.body.int('Configuration.ReplayAfter', { min: 0 }),
        };
        const s = await scope(api, ctx);
        const ch = await conversationIn(api, ctx, s);
        const { webhook } = await api.webhooks.create(ctx.accountSid, ch, body);
        return { status: 201, body: render.webhook(s, webhook) };
      },
    }),
    ...twins({
      method: 'GET',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => {
        const s = await scope(api, ctx);
        const ch = await conversationIn(api, ctx, s);
        const { webhook } = await api.webhooks.get(ctx.accountSid, ch, ctx.params.Sid);
        return { body: render.webhook(s, webhook) };
      },
    }),
    ...twins({
      method: 'POST',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => {
        const body = input(ctx.body);
        const s = await scope(api, ctx);
        const ch = await conversationIn(api, ctx, s);
        const { webhook } = await api.webhooks.update(ctx.accountSid, ch, ctx.params.Sid, body);
        return { body: render.webhook(s, webhook) };
      },
    }),
    ...twins({
      method: 'DELETE',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => {
        const ch = await conversationIn(api, ctx, await scope(api, ctx));
        await api.webhooks.delete(ctx.accountSid, ch, ctx.params.Sid);
        return { status: 204 };
      },
    }),
  ];
}
