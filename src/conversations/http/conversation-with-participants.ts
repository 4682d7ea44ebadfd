import { invalidParameter } from '../../core/errors.ts';
import { JSON_LIMITS, parseJson } from '../../core/input.ts';
import type { Route } from '../../http/context.ts';
import { Params } from '../../http/params.ts';
import { MAX_PARTICIPANTS } from '../service/conversation-with-participants.ts';
import type { ParticipantInput } from '../service/participants.ts';
import type { ConversationsApi } from '../services.ts';
import { forwarded, preEvent } from '../webhooks/pre-event.ts';
import { conversationInput } from './conversations.ts';
import { participantInput } from './participants.ts';
import * as render from './render.ts';
import { twins } from './routes.ts';
import { cause, scope } from './validate.ts';

/** A Participant's JSON keys (any case, with or without _ or .), as the Participant resource's parameters. */
const NAMES: Record<string, string> = {
  identity: 'Identity',
  attributes: 'Attributes',
  rolesid: 'RoleSid',
  datecreated: 'DateCreated',
  dateupdated: 'DateUpdated',
  messagingbindingaddress: 'MessagingBinding.Address',
  messagingbindingproxyaddress: 'MessagingBinding.ProxyAddress',
  messagingbindingprojectedaddress: 'MessagingBinding.ProjectedAddress',
};
const key = (k: string) => k.toLowerCase().replace(/[_.]/g, '');

/**
 * One Participant value: a JSON object with the Participant resource's parameters, e.g.
 * {"identity":"ann"} or {"messaging_binding":{"address":"+1...","proxy_address":"+1..."}}, read
 * through the same validation as a participant added on its own.
 */
function participant(text: string, n: number): { input: ParticipantInput; params: Params } {
  const what = `Participant ${n + 1}`;
  if (text.length > JSON_LIMITS.parameterLength) throw invalidParameter(`${what} is longer than ${JSON_LIMITS.parameterLength} characters`);
  const value = parseJson(text, `${what} (JSON)`);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidParameter(`${what} must be a JSON object, such as {"identity":"ann"}`);
  const form = new URLSearchParams();
  const put = (k: string, v: unknown, given: string) => {
    const name = NAMES[k];
    if (!name) throw invalidParameter(`${what}: unknown field '${given}'`);
    if (v === null || v === undefined) return;
    form.set(name, typeof v === 'object' ? JSON.stringify(v) : String(v));
  };
  for (const [k, v] of Object.entries(value)) {
    if (key(k) === 'messagingbinding' && v !== null && typeof v === 'object' && !Array.isArray(v))
      for (const [bk, bv] of Object.entries(v)) put(`messagingbinding${key(bk)}`, bv, `${k}.${bk}`);
    else put(key(k), v, k);
  }
  const params = new Params(form, 'post body');
  return { input: participantInput(params), params };
}

/** POST /v1/ConversationWithParticipants and its service twin: 201 alone, 202 with participants (as Twilio's spec shows). */
export function conversationWithParticipantsRoutes(api: ConversationsApi): Route[] {
  return twins({
    method: 'POST',
    path: '/v1/ConversationWithParticipants',
    handler: async (ctx) => {
      const body = conversationInput(ctx.body);
      const given = ctx.body.all('Participant');
      if (given.length > MAX_PARTICIPANTS) throw invalidParameter(`At most ${MAX_PARTICIPANTS} Participant values in one request; ${given.length} given`);
      const people = given.map(participant);
      const why = cause(ctx);
      const s = await scope(api, ctx);
      if (why.webhooksEnabled) {
        const base = { Source: 'API', ChatServiceSid: s.serviceSid };
        await preEvent(api.db, ctx.accountSid, 'onConversationAdd', forwarded(ctx.body, base));
        for (const p of people) await preEvent(api.db, ctx.accountSid, 'onParticipantAdd', forwarded(p.params, base));
      }
      const { conversation } = await api.conversationWithParticipants.create(
        ctx.accountSid,
        { ...body, chatServiceSid: s.serviceSid },
        people.map((p) => p.input),
        why,
      );
      return { status: people.length > 0 ? 202 : 201, body: render.conversation(s, conversation) };
    },
  });
}
