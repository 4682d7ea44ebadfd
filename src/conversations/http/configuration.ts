import { invalidParameter } from '../../core/errors.ts';
import type { Route } from '../../http/context.ts';
import { pageReply } from '../../http/page.ts';
import type { Params } from '../../http/params.ts';
import type { AddressInput } from '../service/configuration.ts';
import type { ConversationsApi } from '../services.ts';
import * as render from './render.ts';
import { ACCOUNT_EVENTS, SCOPED_EVENTS, checkTimer, eventList, page } from './validate.ts';

const ADDRESS_TYPES = ['sms', 'whatsapp', 'messenger', 'gbm', 'email', 'rcs', 'apple', 'chat'] as const;

/** A URL parameter that may also be sent empty to clear it. */
export function clearableUrl(p: Params, name: string): string | undefined {
  const v = p.string(name);
  if (v === undefined || v === '') return v;
  if (v.length > 512) throw invalidParameter(`${name} is longer than 512 characters`);
  return p.url(name);
}

/** A default timer: an ISO 8601 duration, or empty to clear it. */
function defaultTimer(p: Params, name: string, kind: 'inactive' | 'closed'): string | undefined {
  const v = p.string(name);
  if (v === undefined || v === '') return v;
  return checkTimer(v, name, kind);
}

function addressInput(p: Params): AddressInput {
  const invalidFilter = (m: string) => invalidParameter(m);
  return {
    friendlyName: p.string('FriendlyName', { maxLength: 256 }),
    autoEnabled: p.bool('AutoCreation.Enabled'),
    autoType: p.enum('AutoCreation.Type', ['webhook', 'studio', 'default'] as const),
    autoServiceSid: p.sid('AutoCreation.ConversationServiceSid', 'IS'),
    autoWebhookUrl: clearableUrl(p, 'AutoCreation.WebhookUrl'),
    autoWebhookMethod: p.enum('AutoCreation.WebhookMethod', ['get', 'post'] as const),
    autoWebhookFilters: eventList(p, 'AutoCreation.WebhookFilters', SCOPED_EVENTS, invalidFilter),
    autoStudioFlowSid: p.sid('AutoCreation.StudioFlowSid', 'FW'),
    autoStudioRetryCount: p.int('AutoCreation.StudioRetryCount', { min: 0, max: 10 }),
  };
}

export function configurationRoutes(api: ConversationsApi): Route[] {
  const cfg = api.configuration;
  return [
    {
      method: 'GET',
      path: '/v1/Configuration',
      handler: async (ctx) => ({ body: render.configuration(ctx.base, (await cfg.get(ctx.accountSid)).config) }),
    },
    {
      method: 'POST',
      path: '/v1/Configuration',
      handler: async (ctx) => {
        const p = ctx.body;
        const body = {
          defaultChatServiceSid: p.sid('DefaultChatServiceSid', 'IS'),
          defaultMessagingServiceSid: p.sid('DefaultMessagingServiceSid', 'MG'),
          defaultInactiveTimer: defaultTimer(p, 'DefaultInactiveTimer', 'inactive'),
          defaultClosedTimer: defaultTimer(p, 'DefaultClosedTimer', 'closed'),
        };
        return { body: render.configuration(ctx.base, (await cfg.update(ctx.accountSid, body)).config) };
      },
    },
    {
      method: 'GET',
      path: '/v1/Configuration/Webhooks',
      handler: async (ctx) => ({ body: render.configurationWebhook(ctx.base, (await cfg.get(ctx.accountSid)).config) }),
    },
    {
      method: 'POST',
      path: '/v1/Configuration/Webhooks',
      handler: async (ctx) => {
        const p = ctx.body;
        const body = {
          method: p.enum('Method', ['GET', 'POST'] as const),
          filters: eventList(p, 'Filters', ACCOUNT_EVENTS, (m) => invalidParameter(m)),
          preWebhookUrl: clearableUrl(p, 'PreWebhookUrl'),
          postWebhookUrl: clearableUrl(p, 'PostWebhookUrl'),
          target: p.enum('Target', ['webhook', 'flex'] as const),
        };
        return { body: render.configurationWebhook(ctx.base, await cfg.updateWebhooks(ctx.accountSid, body)) };
      },
    },
    {
      method: 'GET',
      path: '/v1/Configuration/Addresses',
      handler: async (ctx) => {
        const req = page(ctx, 50);
        const type = ctx.query.string('Type');
        const rows = await cfg.listAddresses(ctx.accountSid, type, req.pageSize + 1, req.offset);
        return pageReply(ctx, 'address_configurations', rows.map((a) => render.address(ctx.base, a)), req);
      },
    },
    {
      method: 'POST',
      path: '/v1/Configuration/Addresses',
      handler: async (ctx) => {
        const p = ctx.body;
        const type = p.enum('Type', ADDRESS_TYPES);
        if (type === undefined) throw invalidParameter('Missing required parameter Type in the post body');
        const address = p.required('Address', { maxLength: 256 });
        const country = p.string('AddressCountry');
        if (country !== undefined && !/^[A-Za-z]{2}$/.test(country))
          throw invalidParameter(`Invalid AddressCountry: '${country}' is not an ISO 3166-1 alpha-2 country code`);
        const body = { ...addressInput(p), type, address: address.trim(), addressCountry: country?.toUpperCase() };
        return { status: 201, body: render.address(ctx.base, await cfg.createAddress(ctx.accountSid, body)) };
      },
    },
    {
      method: 'GET',
      path: '/v1/Configuration/Addresses/:Sid',
      handler: async (ctx) => ({ body: render.address(ctx.base, await cfg.getAddress(ctx.accountSid, ctx.params.Sid)) }),
    },
    {
      method: 'POST',
      path: '/v1/Configuration/Addresses/:Sid',
      handler: async (ctx) => {
        const body = addressInput(ctx.body);
        return { body: render.address(ctx.base, await cfg.updateAddress(ctx.accountSid, ctx.params.Sid, body)) };
      },
    },
    {
      method: 'DELETE',
      path: '/v1/Configuration/Addresses/:Sid',
      handler: async (ctx) => {
        await cfg.deleteAddress(ctx.accountSid, ctx.params.Sid);
        return { status: 204 };
      },
    },
  ];
}
