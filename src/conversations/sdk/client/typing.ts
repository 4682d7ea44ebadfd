import { invalidParameter } from '../../../core/errors.ts';
import { userUnauthorized } from '../../errors.ts';
import { ok, type SdkRoute } from '../context.ts';
import type { SdkApi } from '../api.ts';
import { appendEvents } from '../sync/append.ts';
import { TYPING_TIMEOUT_S } from './configuration.ts';
import { conversationOf, ownParticipant, requireOwnService } from './common.ts';

export const TYPING_INDICATOR = 'twilio.ipmsg.typing_indicator';

/**
 * Typing (links.typing, a form POST with ChannelSid): the conversation's other participants are
 * pushed twilio.ipmsg.typing_indicator, on whichever node they are connected; the SDK ends it by
 * itself after typing_timeout seconds, or when that participant's message arrives.
 */
export function typingRoutes(api: SdkApi): SdkRoute[] {
  return [
    {
      method: 'POST',
      path: '/Client/v2/Services/:ServiceSid/Typing',
      handler: async (ctx) => {
        requireOwnService(ctx);
        const sid = ctx.body.string('ChannelSid', { required: true }) as string;
        if (!/^CH[0-9a-f]{32}$/.test(sid)) throw invalidParameter('Invalid ChannelSid: not a conversation SID');
        const c = await conversationOf(api, ctx, sid);
        if (!(await ownParticipant(api, ctx, c.sid))) throw userUnauthorized(`User not authorized for command: '${ctx.principal.identity}' is not a participant of ${c.sid}`);
        const payload = { channel_sid: c.sid, identity: ctx.principal.identity, typing_timeout: TYPING_TIMEOUT_S };
        await appendEvents(api.db, api.clock, [{ account_sid: c.account_sid, object_sid: null, conversation_sid: c.sid, event_type: TYPING_INDICATOR, payload }]);
        api.changed();
        return ok({ typing_timeout: TYPING_TIMEOUT_S });
      },
    },
  ];
}
