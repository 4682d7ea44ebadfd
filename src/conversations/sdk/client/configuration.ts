import { ok, type SdkRoute } from '../context.ts';
import type { SdkApi } from '../api.ts';
import { userObjects } from '../sync/names.ts';
import { links } from './common.ts';
import { MAX_MEDIA_BYTES } from '../media/store.ts';

/** Typing indicators last this long unless renewed (Twilio's default, seconds). */
export const TYPING_TIMEOUT_S = 5;

/**
 * The client's configuration (GET /Client/v2/Configuration), its first request after init: who it
 * is, the links it follows from then on, its Sync objects and the service's options.
 */
export function configurationRoutes(api: SdkApi): SdkRoute[] {
  return [
    {
      method: 'GET',
      path: '/Client/v2/Configuration',
      handler: async (ctx) => {
        const { serviceSid, identity } = ctx.principal;
        const service = await api.db.get<{ reachability_enabled: number | boolean }>('SELECT reachability_enabled FROM conversation_services WHERE sid = ?', [serviceSid]);
        const names = userObjects(serviceSid, identity);
        return ok({
          identity,
          service_sid: serviceSid,
          links: links(ctx),
          sync_objects: { my_conversations: names.conversations, my_user_info: names.info },
          options: {
            reachability_enabled: Boolean(Number(service?.reachability_enabled ?? 0)),
            typing_indicator_timeout: TYPING_TIMEOUT_S,
            // No cache of the SDK's reads (counts, unread counts): a local server answers them fast, and fresh.
            http_cache_interval: 'PT0S',
            consumption_report_interval: 'PT5S',
            user_infos_to_subscribe: 100,
            media_attachments_count_limit: 1,
            media_attachment_size_limit_in_mb: MAX_MEDIA_BYTES / (1024 * 1024),
            media_attachments_total_size_limit_in_mb: MAX_MEDIA_BYTES / (1024 * 1024),
            email_histories_allowed_mime_types: [],
            email_bodies_allowed_mime_types: [],
          },
        });
      },
    },
    {
      method: 'GET',
      path: '/Client/v2/ContentTemplates',
      // Content templates (Content API) are out of scope: the account has none.
      handler: async () => ok({ templates: [], meta: { next_token: null, previous_token: null } }),
    },
  ];
}
