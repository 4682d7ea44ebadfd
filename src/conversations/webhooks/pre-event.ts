import { TwilioError } from '../../core/errors.ts';
import { isSid } from '../../core/sid.ts';
import type { Ctx, Route } from '../../http/context.ts';
import type { Params } from '../../http/params.ts';
import { signedRequest } from '../../outbound/http.ts';
import type { Database } from '../../store/database.ts';
import { authTokenOf } from '../../store/outbox.ts';
import { cause } from '../http/validate.ts';
import { hookSettings, serviceOfConversation } from './hooks.ts';

/** Twilio's pre-event webhook names. */
export type PreEventType =
  | 'onConversationAdd'
  | 'onConversationUpdate'
  | 'onConversationRemove'
  | 'onParticipantAdd'
  | 'onParticipantUpdate'
  | 'onParticipantRemove'
  | 'onMessageAdd'
  | 'onMessageUpdate'
  | 'onMessageRemove';

/** How long the pre-event webhook has to answer (Twilio: Conversations webhooks time out after 5 s). */
export const PRE_EVENT_TIMEOUT_MS = 5_000;

/**
 * The action was refused by the pre-event webhook (a non-2xx answer). Twilio's code for a webhook
 * that cancels a command: 50057, answered 403.
 */
export const rejectedByWebhook = (event: string, status: number) =>
  new TwilioError(50057, 403, `The pre-event webhook refused ${event} (it answered HTTP ${status}); nothing was changed`);

/**
 * Asks the PreWebhookUrl that applies (the service's, or else the account's: hooks.ts) about an
 * action, if its Filters name the event: a signed form POST (or GET) with Twilio's parameters. The
 * service is params.ChatServiceSid, else the service of params.ConversationSid, else the account's
 * default. A non-2xx answer throws 50057 and the action must not happen. No answer in time, or no
 * connection, lets the action go on (the webhook could not decide).
 */
export async function preEvent(db: Database, accountSid: string, event: PreEventType, params: Record<string, string | undefined>, timeoutMs = PRE_EVENT_TIMEOUT_MS): Promise<void> {
  const conversation = params.ConversationSid;
  const serviceSid = params.ChatServiceSid ?? (isSid(conversation, 'CH') ? await serviceOfConversation(db, accountSid, conversation) : null);
  const hooks = await hookSettings(db, accountSid, serviceSid);
  if (!hooks?.preUrl || !hooks.filters.includes(event)) return;
  const token = await authTokenOf(db, accountSid);
  if (token === undefined) return;
  const form = new URLSearchParams();
  form.set('AccountSid', accountSid);
  form.set('EventType', event);
  form.set('RetryCount', '0');
  for (const [k, v] of Object.entries(params)) if (v !== undefined) form.set(k, v);
  form.set('ChatServiceSid', hooks.chatServiceSid);
  // Not through the senders' per-origin share: the caller is waiting, and must not queue behind
  // the account's own post-event backlog to the same origin. The timeout bounds it.
  const { status } = await signedRequest({ method: hooks.method, url: hooks.preUrl, params: form, authToken: token, timeoutMs });
  if (status !== null && (status < 200 || status >= 300)) throw rejectedByWebhook(event, status);
}

/** Which pre-event a REST route performs, from its path template and method. */
function preEventOf(route: Route): PreEventType | undefined {
  const path = route.path.replace(/^\/v1\/Services\/:ChatServiceSid\//, '/v1/');
  const kinds: [RegExp, 'Conversation' | 'Participant' | 'Message'][] = [
    [/^\/v1\/Conversations(\/:Sid)?$/, 'Conversation'],
    [/^\/v1\/Conversations\/:ConversationSid\/Participants(\/:Sid)?$/, 'Participant'],
    [/^\/v1\/Conversations\/:ConversationSid\/Messages(\/:Sid)?$/, 'Message'],
  ];
  for (const [re, kind] of kinds) {
    const m = re.exec(path);
    if (!m) continue;
    const one = m[1] !== undefined;
    if (route.method === 'POST') return `on${kind}${one ? 'Update' : 'Add'}` as PreEventType;
    if (route.method === 'DELETE' && one) return `on${kind}Remove` as PreEventType;
  }
  return undefined;
}

/** Body parameters forwarded to the pre-event webhook under their own (Twilio) names. */
const FORWARDED = [
  'FriendlyName', 'UniqueName', 'Attributes', 'State', 'MessagingServiceSid', 'Timers.Inactive', 'Timers.Closed',
  'Identity', 'MessagingBinding.Address', 'MessagingBinding.ProxyAddress', 'MessagingBinding.ProjectedAddress', 'RoleSid',
  'Author', 'Body', 'MediaSid', 'ContentSid', 'Subject',
];

/** A pre-event's parameters: `base`, and the body parameters forwarded under their own names. */
export function forwarded(body: Params, base: Record<string, string | undefined>): Record<string, string | undefined> {
  const params = { ...base };
  for (const name of FORWARDED) params[name] = body.has(name) ? body.all(name)[0] : undefined;
  return params;
}

/**
 * Wraps the REST routes that add, update or remove conversations, participants and messages: when
 * the call asks for webhooks (X-Twilio-Webhook-Enabled: true, as Twilio requires for REST calls),
 * the pre-event webhook that applies (the path's service's, or the account's) is asked first, and a
 * refusal stops the call before anything is stored. The services themselves stay unaware of it.
 */
export function withPreEvents(db: Database, routes: Route[]): Route[] {
  return routes.map((route) => {
    const event = preEventOf(route);
    if (!event) return route;
    return {
      ...route,
      handler: async (ctx: Ctx) => {
        if (cause(ctx).webhooksEnabled) {
          const params = forwarded(ctx.body, { Source: 'API', ChatServiceSid: ctx.params.ChatServiceSid });
          const kind = event.replace(/^on|(Add|Update|Remove)$/g, '');
          if (kind === 'Conversation') params.ConversationSid = ctx.params.Sid;
          else {
            params.ConversationSid = ctx.params.ConversationSid;
            params[kind === 'Message' ? 'MessageSid' : 'ParticipantSid'] = ctx.params.Sid;
          }
          await preEvent(db, ctx.accountSid, event, params);
        }
        return route.handler(ctx);
      },
    };
  });
}
