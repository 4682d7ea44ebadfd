import type { Send } from '../../outbound/http.ts';
import type { ReceiptStatus } from '../model.ts';

/** One message going out to one non-chat participant. */
export interface OutboundMessage {
  accountSid: string;
  conversationSid: string;
  messageSid: string;
  participantSid: string;
  /** The participant's address (MessagingBinding.Address), e.g. +15551234567 or whatsapp:+15551234567. */
  to: string;
  /** The proxy address (MessagingBinding.ProxyAddress): the number the message comes from. */
  from: string | null;
  body: string | null;
  /** Media URLs known for the message (media that arrived through the inbound gateway). */
  mediaUrls: string[];
}

/** What became of a delivery: a receipt status, or 'retry' (try again later; no receipt yet). */
export interface DeliveryOutcome {
  status: ReceiptStatus | 'retry';
  channelMessageSid?: string;
  errorCode?: number;
}

/**
 * Delivers messages to the channel (an SMS or WhatsApp provider). `handles` decides, when the
 * message is queued, whether this adapter delivers it at all (no receipt is recorded otherwise);
 * `deliver` sends it, and its outcome becomes the participant's delivery receipt. Its requests go
 * through `ctx.send`, which signs them with the account's auth token, applies the timeout and gives
 * each provider origin its bounded share (see outbound/http.ts).
 */
export interface DeliveryAdapter {
  handles(message: OutboundMessage): boolean;
  deliver(message: OutboundMessage, ctx: { send: Send }): Promise<DeliveryOutcome>;
}

export interface HttpAdapterOptions {
  /** Endpoint for messages from any proxy address without its own (env SWITCHYARD_OUTBOUND_URL). */
  url?: string;
  /** Endpoint per proxy address, e.g. {"+15550001111": "https://sms.example/send"} (env SWITCHYARD_OUTBOUND_URLS, JSON). */
  urls?: Record<string, string>;
}

/** Twilio's 30008 (Unknown error) when the endpoint gives no error code of its own. */
export const UNKNOWN_DELIVERY_ERROR = 30008;

/**
 * The built-in adapter: POSTs To, From, Body and MediaUrl (repeated) as a form, signed with
 * X-Twilio-Signature (the account's auth token), plus AccountSid, ConversationSid, MessageSid and
 * ParticipantSid, to the endpoint configured for the proxy address. The answer is the receipt:
 * 2xx → 'sent', or the JSON answer's `status` when it is a receipt status (sent, delivered,
 * read, failed, undelivered), with `sid` as the channel message SID; any other HTTP status →
 * 'failed' with the answer's `code`/`error_code` or 30008; no answer (refused, timeout) → retried.
 */
export class HttpDeliveryAdapter implements DeliveryAdapter {
  constructor(private readonly options: HttpAdapterOptions) {}

  static fromEnv(env: NodeJS.ProcessEnv = process.env): HttpDeliveryAdapter {
    let urls: Record<string, string> | undefined;
    if (env.SWITCHYARD_OUTBOUND_URLS) {
      try {
        urls = JSON.parse(env.SWITCHYARD_OUTBOUND_URLS);
      } catch {
        throw new Error('SWITCHYARD_OUTBOUND_URLS must be a JSON object of proxy address → URL');
      }
    }
    return new HttpDeliveryAdapter({ url: env.SWITCHYARD_OUTBOUND_URL || undefined, urls });
  }

  private urlFor(m: OutboundMessage): string | undefined {
    return (m.from !== null ? this.options.urls?.[m.from] : undefined) ?? this.options.url;
  }

  handles(m: OutboundMessage): boolean {
    return this.urlFor(m) !== undefined;
  }

  async deliver(m: OutboundMessage, ctx: { send: Send }): Promise<DeliveryOutcome> {
    const url = this.urlFor(m);
    if (!url) return { status: 'failed', errorCode: UNKNOWN_DELIVERY_ERROR };
    const form = new URLSearchParams();
    form.set('To', m.to);
    if (m.from !== null) form.set('From', m.from);
    if (m.body !== null) form.set('Body', m.body);
    for (const u of m.mediaUrls) form.append('MediaUrl', u);
    form.set('AccountSid', m.accountSid);
    form.set('ConversationSid', m.conversationSid);
    form.set('MessageSid', m.messageSid);
    form.set('ParticipantSid', m.participantSid);
    const res = await ctx.send({ url, params: form, userAgent: 'Switchyard-Outbound/1.0' });
    if (res.status === null) return { status: 'retry' };
    let json: Record<string, unknown> = {};
    try {
      const v = JSON.parse(res.body);
      if (v && typeof v === 'object') json = v;
    } catch {
      /* not JSON: the status alone decides */
    }
    const sid = typeof json.sid === 'string' ? json.sid : undefined;
    if (res.status >= 200 && res.status < 300) {
      const s = typeof json.status === 'string' ? json.status : '';
      const status: ReceiptStatus = ['sent', 'delivered', 'read', 'failed', 'undelivered'].includes(s) ? (s as ReceiptStatus) : 'sent';
      const code = Number(json.error_code ?? json.code);
      return { status, channelMessageSid: sid, errorCode: Number.isInteger(code) && code > 0 ? code : undefined };
    }
    const code = Number(json.code ?? json.error_code);
    return { status: 'failed', channelMessageSid: sid, errorCode: Number.isInteger(code) && code > 0 ? code : UNKNOWN_DELIVERY_ERROR };
  }
}

/** Several adapters as one: a message goes to the first that handles it (the same one at queue and at send). */
export class AdapterChain implements DeliveryAdapter {
  constructor(private readonly adapters: DeliveryAdapter[]) {}

  handles(m: OutboundMessage): boolean {
    return this.adapters.some((a) => a.handles(m));
  }

  deliver(m: OutboundMessage, ctx: { send: Send }): Promise<DeliveryOutcome> {
    const adapter = this.adapters.find((a) => a.handles(m));
    return adapter ? adapter.deliver(m, ctx) : Promise.resolve({ status: 'failed', errorCode: UNKNOWN_DELIVERY_ERROR });
  }
}
