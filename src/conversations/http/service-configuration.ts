import { invalidParameter } from '../../core/errors.ts';
import type { Route } from '../../http/context.ts';
import type { Params } from '../../http/params.ts';
import type { NotificationsInput } from '../service/service-configuration.ts';
import type { ConversationsApi } from '../services.ts';
import { clearableUrl } from './configuration.ts';
import * as render from './render-services.ts';
import { ACCOUNT_EVENTS, eventList } from './validate.ts';

const BASE = '/v1/Services/:ChatServiceSid/Configuration';
/** Our bounds (Twilio documents none): a notification template, a sound's name. */
const MAX_TEMPLATE = 2048;
const MAX_SOUND = 256;

function notificationsInput(p: Params): NotificationsInput {
  const kind = (prefix: string) => ({
    enabled: p.bool(`${prefix}.Enabled`),
    template: p.string(`${prefix}.Template`, { maxLength: MAX_TEMPLATE }),
    sound: p.string(`${prefix}.Sound`, { maxLength: MAX_SOUND }),
  });
  return {
    logEnabled: p.bool('LogEnabled'),
    newMessage: {
      ...kind('NewMessage'),
      badgeCountEnabled: p.bool('NewMessage.BadgeCountEnabled'),
      withMediaEnabled: p.bool('NewMessage.WithMedia.Enabled'),
      withMediaTemplate: p.string('NewMessage.WithMedia.Template', { maxLength: MAX_TEMPLATE }),
    },
    addedToConversation: kind('AddedToConversation'),
    removedFromConversation: kind('RemovedFromConversation'),
  };
}

/** A service's Configuration, Configuration/Notifications and Configuration/Webhooks. */
export function serviceConfigurationRoutes(api: ConversationsApi): Route[] {
  const cfg = api.serviceConfiguration;
  return [
    {
      method: 'GET',
      path: BASE,
      handler: async (ctx) => {
        const { service, roles } = await cfg.get(ctx.accountSid, ctx.params.ChatServiceSid);
        return { body: render.serviceConfiguration(ctx.base, service, roles) };
      },
    },
    {
      method: 'POST',
      path: BASE,
      handler: async (ctx) => {
        const p = ctx.body;
        const input = {
          defaultConversationCreatorRoleSid: p.sid('DefaultConversationCreatorRoleSid', 'RL'),
          defaultConversationRoleSid: p.sid('DefaultConversationRoleSid', 'RL'),
          defaultChatServiceRoleSid: p.sid('DefaultChatServiceRoleSid', 'RL'),
          reachabilityEnabled: p.bool('ReachabilityEnabled'),
        };
        const { service, roles } = await cfg.update(ctx.accountSid, ctx.params.ChatServiceSid, input);
        return { body: render.serviceConfiguration(ctx.base, service, roles) };
      },
    },
    {
      method: 'GET',
      path: `${BASE}/Notifications`,
      handler: async (ctx) => ({ body: render.serviceNotification(ctx.base, await api.services.get(ctx.accountSid, ctx.params.ChatServiceSid)) }),
    },
    {
      method: 'POST',
      path: `${BASE}/Notifications`,
      handler: async (ctx) => {
        const input = notificationsInput(ctx.body);
        return { body: render.serviceNotification(ctx.base, await cfg.updateNotifications(ctx.accountSid, ctx.params.ChatServiceSid, input)) };
      },
    },
    {
      method: 'GET',
      path: `${BASE}/Webhooks`,
      handler: async (ctx) => ({ body: render.serviceWebhook(ctx.base, await api.services.get(ctx.accountSid, ctx.params.ChatServiceSid)) }),
    },
    {
      method: 'POST',
      path: `${BASE}/Webhooks`,
      handler: async (ctx) => {
        const p = ctx.body;
        const input = {
          method: p.enum('Method', ['GET', 'POST'] as const),
          filters: eventList(p, 'Filters', ACCOUNT_EVENTS, (m) => invalidParameter(m)),
          preWebhookUrl: clearableUrl(p, 'PreWebhookUrl'),
          postWebhookUrl: clearableUrl(p, 'PostWebhookUrl'),
        };
        return { body: render.serviceWebhook(ctx.base, await cfg.updateWebhooks(ctx.accountSid, ctx.params.ChatServiceSid, input)) };
      },
    },
  ];
}
