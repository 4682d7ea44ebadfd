import { invalidParameter, TwilioError } from '../../../core/errors.ts';
import { ok, type SdkRoute } from '../context.ts';
import type { SdkApi } from '../api.ts';
import { readable, syncNotFound } from './access.ts';
import { parseObject, type SyncType } from './names.ts';
import type { Accepted, Refused } from './pusher.ts';

/** Objects one request may (un)subscribe; the SDK sends at most max_batch_size, which the answer says. */
export const MAX_BATCH = 100;
const TYPES: SyncType[] = ['document', 'list', 'map'];

/**
 * Sync subscriptions (POST /v4/Subscriptions, event protocol 4): `establish` replays each object's
 * events after the client's last_event_id and then follows it live; `cancel` stops. The answer only
 * acknowledges: the outcome comes as twilio.sync.event notifications carrying the correlation_id.
 */
export function subscriptionRoutes(api: SdkApi): SdkRoute[] {
  return [
    {
      method: 'POST',
      path: '/v4/Subscriptions',
      handler: async (ctx) => {
        const action = ctx.body.string('action', { required: true });
        if (action !== 'establish' && action !== 'cancel') throw invalidParameter("Invalid action: must be 'establish' or 'cancel'");
        const correlationId = ctx.body.raw('correlation_id');
        const requests = ctx.body.raw('requests');
        if (!Array.isArray(requests) || requests.length > MAX_BATCH) throw invalidParameter(`Invalid requests: must be an array of at most ${MAX_BATCH} objects`);
        const accepted: Accepted[] = [];
        const refused: Refused[] = [];
        for (const r of requests as Record<string, unknown>[]) {
          const name = r && typeof r === 'object' ? r.object_sid : undefined;
          const type = r && typeof r === 'object' ? r.object_type : undefined;
          if (typeof name !== 'string' || !TYPES.includes(type as SyncType)) throw invalidParameter('Invalid requests: each needs an object_sid and an object_type (document, list or map)');
          if (action === 'cancel') {
            accepted.push({ objectSid: name, type: type as SyncType, lastEventId: 0 });
            continue;
          }
          const lastEventId = r.last_event_id;
          try {
            const o = parseObject(name);
            if (!o || o.type !== type) throw syncNotFound(type as SyncType, name);
            await readable(api.db, ctx.principal, o, name);
            accepted.push({ objectSid: name, type: o.type, lastEventId: typeof lastEventId === 'number' && Number.isSafeInteger(lastEventId) ? lastEventId : 0 });
          } catch (err) {
            if (!(err instanceof TwilioError)) throw err;
            refused.push({ objectSid: name, type: type as SyncType, error: { status: err.status, code: err.code, message: err.message } });
          }
        }
        if (action === 'cancel') api.pusher.cancel(ctx.session, correlationId, accepted);
        else api.pusher.subscribe(ctx.session, correlationId, accepted, refused);
        return ok({ estimated_delivery_in_ms: 10_000, max_batch_size: MAX_BATCH, ttl_in_s: -1 });
      },
    },
  ];
}
