import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { TwilioError, invalidParameter } from '../../core/errors.ts';
import { parseJson } from '../../core/input.ts';
import type { MetaOptions } from './options.ts';
import { obj, type MetaEvent } from './events.ts';
import { messengerEvents } from './messenger.ts';
import { whatsappEvents } from './whatsapp.ts';

/** Where Meta's webhooks come (the callback URL of the app's Messenger and WhatsApp products). */
export const META_WEBHOOK_PATH = '/conversations/v1/Gateway/Meta/Webhook';

// Meta's challenges are numbers; echoing anything else back would make this a reflector.
const CHALLENGE = /^[A-Za-z0-9_-]{1,128}$/;

const refused = (what: string) => new TwilioError(20003, 403, what);

/**
 * Meta's webhook, in its own plugin context: the POST's signature is over the raw bytes, so here
 * every body is taken as it came (the app's own parsers would have turned it into something else).
 *
 * GET: the verification request (hub.mode=subscribe, hub.verify_token, hub.challenge), answered
 * with the challenge only for the configured verify token. POST: events, each checked with the app
 * secret (X-Hub-Signature-256: sha256=HMAC-SHA256 of the body); handled before the 200, so that
 * Meta sends again what could not be handled.
 */
export function metaWebhook(app: FastifyInstance, options: MetaOptions, handle: (events: MetaEvent[]) => Promise<void>): void {
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

    scope.get(META_WEBHOOK_PATH, async (req, reply) => {
      const query = new URLSearchParams(req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '');
      const challenge = query.get('hub.challenge');
      if (query.get('hub.mode') !== 'subscribe' || challenge === null || !CHALLENGE.test(challenge))
        throw invalidParameter('A webhook verification request needs hub.mode=subscribe and a hub.challenge of letters and digits');
      if (!same(query.get('hub.verify_token') ?? '', options.verifyToken)) throw refused('hub.verify_token is not the verify token configured for this webhook');
      return reply.code(200).type('text/plain').send(challenge);
    });

    scope.post(META_WEBHOOK_PATH, async (req, reply) => {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      if (!signed(req, raw, options.appSecret)) throw refused('Invalid or missing X-Hub-Signature-256 for this app');
      const payload = obj(parseJson(raw.toString('utf8'), 'webhook body'));
      const events =
        payload.object === 'page' ? messengerEvents(payload, options)
        : payload.object === 'whatsapp_business_account' ? whatsappEvents(payload, options)
        : [];
      await handle(events);
      return reply.code(200).type('text/plain').send('EVENT_RECEIVED');
    });
  });
}

function signed(req: FastifyRequest, raw: Buffer, secret: string): boolean {
  const given = req.headers['x-hub-signature-256'];
  const m = typeof given === 'string' ? /^sha256=([0-9a-f]{64})$/i.exec(given.trim()) : null;
  if (!m) return false;
  const expected = createHmac('sha256', secret).update(raw).digest();
  return timingSafeEqual(expected, Buffer.from(m[1], 'hex'));
}

function same(a: string, b: string): boolean {
  const x = createHmac('sha256', 'verify').update(a).digest();
  const y = createHmac('sha256', 'verify').update(b).digest();
  return timingSafeEqual(x, y);
}
