import type { FastifyInstance, FastifyRequest } from 'fastify';
import { TwilioError, invalidParameter } from '../../core/errors.ts';
import { newSid } from '../../core/sid.ts';
import { twilioSignature } from '../../core/signature.ts';
import { timingSafeEqual } from 'node:crypto';
import { authTokenOf } from '../../taskrouter/engine/delivery.ts';
import type { AddressRow, MediaEntry } from '../model.ts';
import type { Cause } from '../service/deps.ts';
import { autoCreationWebhook } from '../service/configuration.ts';
import { bindingType } from '../service/participants.ts';
import type { ConversationsApi } from '../services.ts';
import { preEvent } from '../webhooks/pre-event.ts';

/** Where inbound SMS / WhatsApp arrive: point a phone number's Messaging webhook (or your SMS provider) here. */
export const INBOUND_PATH = '/conversations/v1/Gateway/Messaging/Inbound';

const GATEWAY: Cause = { source: 'gateway', webhooksEnabled: true };
const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

export type InboundOutcome =
  | { result: 'added'; conversationSid: string; messageSid: string }
  /** A conversation started for `address` (its auto-creation settings): what follows it, Send to Flex say, is the caller's. */
  | { result: 'created'; conversationSid: string; messageSid: string; address: AddressRow }
  | { result: 'ignored' | 'refused' };

/** What the server does after a message landed (Send to Flex for a Studio address: src/channels/send-to-flex.ts). */
export type AfterReceive = (accountSid: string, outcome: InboundOutcome, sender: { address: string; name?: string }) => Promise<void>;

/**
 * The inbound gateway: a Twilio Messaging-style webhook (form POST: AccountSid, From, To, Body,
 * MessageSid, NumMedia, MediaUrl0.., MediaContentType0.., ProfileName). The account is the AccountSid
 * parameter; the request must carry an X-Twilio-Signature made with that account's auth token
 * over the URL the sender used (http or https, as seen through X-Forwarded-Proto / Host).
 *
 * The message lands in the open conversation that holds the binding (address = From, proxy
 * address = To); else, when an address configuration of To has auto-creation enabled, a new
 * conversation is made, with a scoped webhook when the configuration's type is 'webhook', the
 * sender is added as a participant, and the message is added. Otherwise it is ignored. The
 * answer is empty TwiML (200) either way, as a Messaging webhook expects.
 */
export function inboundGateway(app: FastifyInstance, api: ConversationsApi, after?: AfterReceive): void {
  app.post(INBOUND_PATH, async (req, reply) => {
    const params = req.body instanceof URLSearchParams ? req.body : new URLSearchParams();
    const accountSid = params.get('AccountSid') ?? '';
    await checkSignature(api, req, params, accountSid);
    const outcome = await receive(api, accountSid, params);
    await after?.(accountSid, outcome, { address: params.get('From')?.trim() ?? '', name: params.get('ProfileName')?.trim() || undefined });
    return reply.code(200).type('text/xml').send(EMPTY_TWIML);
  });
}

async function checkSignature(api: ConversationsApi, req: FastifyRequest, params: URLSearchParams, accountSid: string): Promise<void> {
  const refuse = () => new TwilioError(20003, 403, 'Invalid or missing X-Twilio-Signature for this AccountSid');
  const given = req.headers['x-twilio-signature'];
  const token = accountSid ? await authTokenOf(api.db, accountSid) : undefined;
  if (typeof given !== 'string' || token === undefined) throw refuse();
  const forwarded = req.headers['x-forwarded-proto'];
  const schemes = typeof forwarded === 'string' ? [forwarded.split(',')[0].trim()] : ['http', 'https'];
  const path = req.originalUrl;
  for (const scheme of schemes) {
    const expected = Buffer.from(twilioSignature(token, `${scheme}://${req.headers.host}${path}`, params));
    const got = Buffer.from(given);
    if (expected.length === got.length && timingSafeEqual(expected, got)) return;
  }
  throw refuse();
}

/** Lands one inbound message (exported for adapters that receive messages some other way). */
export async function receive(api: ConversationsApi, accountSid: string, params: URLSearchParams): Promise<InboundOutcome> {
  const from = params.get('From')?.trim();
  const to = params.get('To')?.trim();
  if (!from || !to) throw invalidParameter('An inbound message needs From and To');
  const body = params.get('Body') ?? '';
  // The sender's display name (Twilio's WhatsApp webhooks call it ProfileName): the participant's friendlyName, so the task's customerName.
  const profileName = params.get('ProfileName')?.trim().slice(0, 256);
  const media: MediaEntry[] = [];
  const n = Math.min(Number(params.get('NumMedia') ?? 0) || 0, 10);
  for (let i = 0; i < n; i++) {
    const url = params.get(`MediaUrl${i}`);
    if (url) media.push({ sid: newSid('ME'), size: null, content_type: params.get(`MediaContentType${i}`), filename: null, url });
  }
  if (body === '' && media.length === 0) return { result: 'ignored' };
  const type = bindingType(from);
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      const open = await api.db.get<{ conversation_sid: string }>(
        'SELECT conversation_sid FROM conversation_participants WHERE account_sid = ? AND address = ? AND proxy_address = ? AND binding_open = 1 ORDER BY seq LIMIT 1',
        [accountSid, from, to],
      );
      let conversationSid = open?.conversation_sid;
      let created: AddressRow | undefined;
      if (!conversationSid) {
        const config = (await api.configuration.addressFor(api.db, accountSid, to, type)) ?? (await api.configuration.addressFor(api.db, accountSid, to));
        if (!config || !config.auto_enabled) return { result: 'ignored' };
        const chatServiceSid = config.auto_service_sid ?? undefined;
        await preEvent(api.db, accountSid, 'onConversationAdd', { Source: type.toUpperCase(), ChatServiceSid: chatServiceSid, 'MessagingBinding.Address': from, 'MessagingBinding.ProxyAddress': to });
        const c = await api.conversations.create(accountSid, { chatServiceSid }, GATEWAY);
        const webhook = autoCreationWebhook(config);
        if (webhook) await api.webhooks.create(accountSid, c.sid, webhook);
        try {
          await preEvent(api.db, accountSid, 'onParticipantAdd', { Source: type.toUpperCase(), ConversationSid: c.sid, 'MessagingBinding.Address': from, 'MessagingBinding.ProxyAddress': to });
          await api.participants.create(accountSid, c.sid, { address: from, proxyAddress: to, attributes: profileName ? JSON.stringify({ friendlyName: profileName }) : undefined }, GATEWAY);
        } catch (err) {
          // Another message from the same sender made its conversation first: use that one.
          await api.conversations.delete(accountSid, c.sid, { source: 'gateway', webhooksEnabled: false });
          if (err instanceof TwilioError && err.code === 50416) continue;
          throw err;
        }
        conversationSid = c.sid;
        created = config;
      }
      await preEvent(api.db, accountSid, 'onMessageAdd', { Source: type.toUpperCase(), ConversationSid: conversationSid, Author: from, Body: body });
      const m = await api.messages.create(accountSid, conversationSid, { author: from, body: body === '' ? undefined : body, media }, GATEWAY);
      return created ? { result: 'created', conversationSid, messageSid: m.message.sid, address: created } : { result: 'added', conversationSid, messageSid: m.message.sid };
    }
    return { result: 'ignored' };
  } catch (err) {
    if (err instanceof TwilioError && err.code === 50057) return { result: 'refused' };
    throw err;
  }
}
