import type { Clock } from '../../core/clock.ts';
import { UNKNOWN_DELIVERY_ERROR, type DeliveryAdapter, type DeliveryOutcome, type OutboundMessage } from '../../conversations/gateway/outbound.ts';
import type { MessageRow } from '../../conversations/model.ts';
import type { Send } from '../../outbound/http.ts';
import type { Executor } from '../../store/database.ts';
import type { MetaOptions } from './options.ts';
import { list, obj } from './events.ts';
import { CHANNEL_CONTENT_REFUSED, INVALID_CONTENT_SID, OUTSIDE_WINDOW, graphOutcome, graphUrl } from './graph.ts';
import { MESSENGER, messengerRequests } from './messenger.ts';
import { WHATSAPP, templateRequest, whatsappRequests } from './whatsapp.ts';
import { insideWindow } from './window.ts';

/** How one page or number sends. */
interface Route {
  url: string;
  token: string;
  /** The message id in the answer (Send API: message_id; Cloud API: messages[0].id). */
  idOf: (answer: Record<string, unknown>) => unknown;
  /** The requests of a free-form message to the customer's address. */
  requests(to: string, body: string | null, media: Media[]): unknown[];
  /** WhatsApp only: a message naming a template may open the window. */
  templates: boolean;
  /** The customer addresses this route sends to. */
  prefix: string;
}

type Media = { url: string; contentType: string | null };

const failed = (errorCode: number): DeliveryOutcome => ({ status: 'failed', errorCode });

/**
 * Delivers to Messenger (Send API) and WhatsApp (Cloud API) participants whose proxy address is a
 * page or number configured here; the rest is left to the next adapter. What is sent is read from
 * the message itself (its media's types, its ContentSid and ContentVariables), and the answer's
 * message id becomes the receipt's channel message SID, which Meta's status webhooks name.
 *
 * The window: free-form messages go only within 24 hours of the person's last message, else the
 * receipt fails with Twilio's 63016 without asking Meta; a WhatsApp message whose ContentSid names
 * a configured template is sent as that template at any time.
 */
export class MetaAdapter implements DeliveryAdapter {
  /** By business address (messenger:<page id>, whatsapp:+<number>). */
  private readonly routes = new Map<string, Route>();

  constructor(
    private readonly options: MetaOptions,
    private readonly db: Executor,
    private readonly clock: Clock,
  ) {
    const { graphUrl: base, appSecret } = options;
    for (const [pageId, token] of Object.entries(options.pages))
      this.routes.set(MESSENGER + pageId, {
        url: graphUrl(base, `${pageId}/messages`, appSecret, token),
        token,
        idOf: (a) => a.message_id,
        requests: (to, body, media) => messengerRequests(to.slice(MESSENGER.length), body, media),
        templates: false,
        prefix: MESSENGER,
      });
    for (const n of options.numbers)
      this.routes.set(WHATSAPP + n.number, {
        url: graphUrl(base, `${n.phoneNumberId}/messages`, appSecret, n.token),
        token: n.token,
        idOf: (a) => obj(list(a.messages)[0]).id,
        requests: whatsappRequests,
        templates: true,
        prefix: WHATSAPP,
      });
  }

  private route(m: OutboundMessage): Route | undefined {
    const route = m.from === null ? undefined : this.routes.get(m.from);
    return route && m.to.startsWith(route.prefix) ? route : undefined;
  }

  handles(m: OutboundMessage): boolean {
    return this.route(m) !== undefined;
  }

  async deliver(m: OutboundMessage, ctx: { send: Send }): Promise<DeliveryOutcome> {
    const route = this.route(m);
    const row = await this.db.get<Pick<MessageRow, 'body' | 'media' | 'content_sid' | 'content_variables'>>(
      'SELECT body, media, content_sid, content_variables FROM conversation_messages WHERE sid = ?',
      [m.messageSid],
    );
    if (!route || !row) return failed(UNKNOWN_DELIVERY_ERROR);
    let requests: unknown[];
    if (route.templates && row.content_sid !== null) {
      const template = Object.hasOwn(this.options.templates, row.content_sid) ? this.options.templates[row.content_sid] : undefined;
      if (!template) return failed(INVALID_CONTENT_SID);
      requests = [templateRequest(m.to, template, variables(row.content_variables))];
    } else {
      if (!(await insideWindow(this.db, this.clock.now(), m.accountSid, m.to, m.from as string))) return failed(OUTSIDE_WINDOW);
      requests = route.requests(m.to, row.body, media(row.media));
      if (requests.length === 0) return failed(CHANNEL_CONTENT_REFUSED);
    }
    return sendAll(ctx.send, route, requests);
  }
}

/**
 * One request after the other. Only the first may be tried again: once part of a message went
 * out, trying the whole again would send that part twice, so a later part that fails fails it.
 */
async function sendAll(send: Send, route: Route, requests: unknown[]): Promise<DeliveryOutcome> {
  let first: DeliveryOutcome | undefined;
  for (const json of requests) {
    const res = await send({ url: route.url, params: new URLSearchParams(), bearer: route.token, json, userAgent: 'Switchyard-Meta/1.0' });
    const outcome = graphOutcome(res, route.idOf);
    if (outcome.status === 'sent') {
      first ??= outcome;
      continue;
    }
    if (!first) return outcome;
    return { status: 'failed', channelMessageSid: first.channelMessageSid, errorCode: outcome.errorCode ?? UNKNOWN_DELIVERY_ERROR };
  }
  return first ?? failed(UNKNOWN_DELIVERY_ERROR);
}

function media(text: string | null): Media[] {
  if (!text) return [];
  try {
    return list(JSON.parse(text))
      .map(obj)
      .filter((e) => typeof e.url === 'string' && /^https?:\/\//i.test(e.url))
      .map((e) => ({ url: e.url as string, contentType: typeof e.content_type === 'string' ? e.content_type : null }));
  } catch {
    return [];
  }
}

/** ContentVariables as the template's parameters; anything but an object of strings gives none. */
function variables(text: string | null): Record<string, string> {
  if (!text) return {};
  try {
    const v = obj(JSON.parse(text));
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, typeof x === 'string' ? x : String(x)]));
  } catch {
    return {};
  }
}
