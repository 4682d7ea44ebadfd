import type { Route } from '../../http/context.ts';
import type { Flex } from '../services.ts';
import * as render from './render.ts';

export function interactionRoutes(flex: Flex): Route[] {
  const reply = async (base: string, view: Awaited<ReturnType<Flex['interactions']['get']>>) =>
    render.interaction(base, view.interaction, view.channel, view.task ? await flex.renderTask(view.task) : null);
  return [
    {
      method: 'POST',
      path: '/v1/Interactions',
      handler: async (ctx) => {
        const channel = ctx.body.json('Channel', { required: true });
        const routing = ctx.body.json('Routing');
        const view = await flex.interactions.create(ctx.accountSid, {
          channel: channel?.value,
          routing: routing?.value,
          interactionContextSid: ctx.body.sid('InteractionContextSid', 'HQ'),
          webhookTtid: ctx.body.string('WebhookTtid', { maxLength: 256 }),
        });
        return { status: 200, body: await reply(ctx.base, view) };
      },
    },
    {
      method: 'GET',
      path: '/v1/Interactions/:Sid',
      handler: async (ctx) => ({ body: await reply(ctx.base, await flex.interactions.get(ctx.accountSid, ctx.params.Sid)) }),
    },
    {
      method: 'POST',
      path: '/v1/Interactions/:Sid',
      handler: async (ctx) => {
        const view = await flex.interactions.update(ctx.accountSid, ctx.params.Sid, ctx.body.string('WebhookTtid', { maxLength: 256 }));
        return { body: await reply(ctx.base, view) };
      },
    },
  ];
}
