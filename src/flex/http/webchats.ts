import { invalidParameter } from '../../core/errors.ts';
import { JSON_LIMITS, parseJson } from '../../core/input.ts';
import type { Route } from '../../http/context.ts';
import type { Params } from '../../http/params.ts';
import { MAX_ATTRIBUTES } from '../../conversations/http/validate.ts';
import { isObject } from '../plan.ts';
import type { Flex } from '../services.ts';

/** Flex v2 web chats: POST /v2/WebChats (flex-api.twilio.com/v2/WebChats). `Ui-Version` is accepted and not used. */
export function webChatRoutes(flex: Flex): Route[] {
  return [
    {
      method: 'POST',
      path: '/v2/WebChats',
      handler: async (ctx) => {
        const p = ctx.body;
        const chat = await flex.webChats.create(ctx.accountSid, {
          addressSid: p.required('AddressSid'),
          chatFriendlyName: p.string('ChatFriendlyName', { maxLength: 256 }),
          customerFriendlyName: p.string('CustomerFriendlyName', { maxLength: 256 }),
          preEngagementData: preEngagementData(p),
          identity: p.string('Identity', { nonEmpty: true, maxLength: 256 }),
        });
        return { status: 201, body: { conversation_sid: chat.conversationSid, identity: chat.identity } };
      },
    },
  ];
}

/** A JSON object, kept in the conversation's attributes as `pre_engagement_data`: it must fit there, one level down. */
function preEngagementData(p: Params): Record<string, unknown> | undefined {
  const text = p.string('PreEngagementData', { maxLength: MAX_ATTRIBUTES });
  if (text === undefined) return undefined;
  const value = parseJson(text, 'PreEngagementData parameter', { depth: JSON_LIMITS.depth - 1 });
  if (!isObject(value)) throw invalidParameter('Invalid PreEngagementData parameter: must be a JSON object');
  const stored = JSON.stringify({ pre_engagement_data: value }).length;
  if (stored > MAX_ATTRIBUTES)
    throw invalidParameter(`Invalid PreEngagementData parameter: the conversation's attributes would be ${stored} characters long; the limit is ${MAX_ATTRIBUTES}`);
  return value;
}
