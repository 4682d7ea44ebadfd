import { ok, type SdkCtx, type SdkRoute } from '../context.ts';
import type { SdkApi } from '../api.ts';
import { isOnline } from '../sync/presence.ts';
import { MAX_ATTRIBUTES, parseOr, permit, requireOwnService, userInfoName } from './common.ts';

const BASE = '/Client/v2/Services/:ServiceSid/Users/:Identity';

/** Users through the SDK: anyone of the service may be read; changing one takes editOwnUserInfo (oneself) or editAnyUserInfo. */
export function userRoutes(api: SdkApi): SdkRoute[] {
  const us = api.conversations.users;
  const body = async (ctx: SdkCtx, u: { sid: string; identity: string; friendly_name: string | null; attributes: string; role_sid: string }) => ({
    sid: u.sid,
    identity: u.identity,
    friendly_name: u.friendly_name,
    attributes: parseOr(u.attributes),
    role_sid: u.role_sid,
    is_online: await isOnline(api.db, ctx.principal.serviceSid, u.identity, api.clock.now()),
    is_notifiable: false,
    sync_objects: { user_info_map: userInfoName(ctx, u.identity) },
  });
  return [
    {
      method: 'GET',
      path: BASE,
      handler: async (ctx) => {
        requireOwnService(ctx);
        const p = ctx.principal;
        return ok(await body(ctx, await us.get(p.accountSid, p.serviceSid, ctx.params.Identity)));
      },
    },
    {
      method: 'POST',
      path: BASE,
      handler: async (ctx) => {
        requireOwnService(ctx);
        const p = ctx.principal;
        const target = await us.get(p.accountSid, p.serviceSid, ctx.params.Identity);
        const friendlyName = ctx.body.string('friendly_name', { maxLength: 256 });
        const attributes = ctx.body.jsonText('attributes', MAX_ATTRIBUTES);
        await permit(api, ctx, null, target.identity === p.identity ? 'editOwnUserInfo' : 'editAnyUserInfo');
        // The users service records the change; its info map follows through the projector.
        return ok(await body(ctx, await us.update(p.accountSid, p.serviceSid, target.sid, { friendlyName, attributes })));
      },
    },
  ];
}
