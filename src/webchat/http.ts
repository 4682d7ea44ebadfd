import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isoDate } from '../core/clock.ts';
import { TwilioError, invalidParameter } from '../core/errors.ts';
import { JSON_LIMITS, parseJson } from '../core/input.ts';
import { isSid } from '../core/sid.ts';
import { crossOrigin, publicRoutes, type PublicApi } from '../http/public-api.ts';
import type { Limiter } from '../http/rate-limit.ts';
import { TWILSOCK_PATH } from '../twilsock/endpoint.ts';
import { requestOrigin } from '../web/origin.ts';
import { customerName, TOKEN_TTL_SECONDS, type SessionService } from './sessions.ts';
import { textColorOn } from './appearance.ts';
import { WIDGET_PREFIX, type WidgetRow } from './model.ts';
import { preEngagementOf, type WidgetService } from './widgets.ts';

/** The customer-facing API of web chat: public (no account credentials), under /webchat/v1. */
export const WEBCHAT_PREFIX = '/webchat/v1';

/**
 * Registered on the Fastify app directly, like the inbound gateway: these routes are not a Twilio
 * product and take no Basic auth. The chat page is served by this server (embed.js opens it in an
 * iframe), so it calls from the server's own origin; a page elsewhere gets CORS for the origins
 * its widget allows, and is refused a session (403) at any other. Starting sessions and renewing
 * their tokens are rate-limited (src/http/rate-limit.ts). The token is for the official
 * Conversations SDK (`new Client(token, {twilsock: {uri: twilsock_url}})`), which the page runs
 * for everything else: messages, who joins and leaves, catching up.
 *
 *   POST /webchat/v1/Sessions          Widget, Name, PreEngagementData → 201 {conversation_sid, interaction_sid, identity, token, expires, ttl, twilsock_url}
 *   POST /webchat/v1/Sessions/Token    Token (or Authorization: Bearer) → 200 {identity, conversation_sid, token, expires, ttl}
 *   POST /webchat/v1/Sessions/End      Token (or Authorization: Bearer) → 200 {conversation_sid, state: closed}
 *   GET  /webchat/v1/Widgets/{Sid}     → 200 what the page shows: title, greeting, colours, pre-chat form
 *
 * Errors are Twilio's bodies (app.ts's error handler renders every TwilioError thrown here).
 */
export function webchatRoutes(app: FastifyInstance, api: PublicApi, sessions: SessionService, widgets: WidgetService): void {
  publicRoutes(app, WEBCHAT_PREFIX, api, widgetOf, (scope, limiter) => webchatScope(scope, limiter, sessions, widgets));
}

function webchatScope(app: FastifyInstance, limiter: Limiter, sessions: SessionService, widgets: WidgetService): void {
  const starts = {
    onRequest: limiter.perAddress('sessionsPerAddress', 'chats started from this address'),
    preHandler: limiter.per('sessionsPerWidget', 'chats started on this widget', widgetOf),
  };
  app.post('/Sessions', starts, async (req, reply) => {
    const body = fields(req);
    const widget = body.get('Widget');
    if (widget === undefined || widget === null || widget === '') throw invalidParameter('Missing required parameter Widget');
    if (typeof widget !== 'string') throw invalidParameter('Invalid Widget parameter: must be a string');
    const name = customerName(body.get('Name'));
    const s = await sessions.start(widget, name, crossOrigin(req), preEngagementData(body.get('PreEngagementData')));
    return reply.code(201).send({
      conversation_sid: s.conversationSid,
      interaction_sid: s.interactionSid,
      identity: s.identity,
      token: s.token,
      expires: isoDate(s.expires),
      ttl: TOKEN_TTL_SECONDS,
      twilsock_url: `${requestOrigin(req).ws}${TWILSOCK_PATH}`,
    });
  });

  const renewals = { onRequest: limiter.perAddress('sessionTokensPerAddress', 'chat token renewals from this address') };
  app.post('/Sessions/Token', renewals, async (req, reply) => {
    const given = fields(req).get('Token') ?? bearer(req);
    if (typeof given !== 'string' || given === '') throw invalidParameter('Missing required parameter Token');
    const r = await sessions.renew(given);
    return reply.send({ identity: r.identity, conversation_sid: r.conversationSid, token: r.token, expires: isoDate(r.expires), ttl: TOKEN_TTL_SECONDS });
  });

  app.post('/Sessions/End', renewals, async (req, reply) => {
    const given = fields(req).get('Token') ?? bearer(req);
    if (typeof given !== 'string' || given === '') throw invalidParameter('Missing required parameter Token');
    const r = await sessions.end(given);
    return reply.send({ conversation_sid: r.conversationSid, state: 'closed' });
  });

  app.get('/Widgets/:Sid', async (req, reply) => {
    const sid = (req.params as { Sid: string }).Sid;
    const w = await widgets.find(sid);
    if (!w) throw new TwilioError(20404, 404, `Web chat widget ${sid} was not found`);
    return reply.send(publicWidget(w));
  });
}

/**
 * What a page needs to show a widget, and nothing about the account or its routing. Colours come
 * with the text colour that reads on them; null ones leave the page's own (light or dark).
 */
function publicWidget(w: WidgetRow) {
  const pre = preEngagementOf(w);
  return {
    sid: w.sid,
    friendly_name: w.friendly_name,
    title: w.title ?? w.friendly_name,
    greeting: w.greeting,
    accent_color: w.accent_color,
    accent_text_color: w.accent_color ? textColorOn(w.accent_color) : null,
    header_color: w.header_color,
    header_text_color: w.header_color ? textColorOn(w.header_color) : null,
    pre_engagement_config: pre ?? { fields: [] },
  };
}

/** PreEngagementData: an object in a JSON body, JSON text in a form (as Flex's /v2/WebChats takes it). */
function preEngagementData(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  if (value.trim() === '') return undefined;
  if (value.length > JSON_LIMITS.parameterLength) throw invalidParameter(`PreEngagementData is ${value.length} characters long; the limit is ${JSON_LIMITS.parameterLength}`);
  return parseJson(value, 'PreEngagementData parameter');
}

/**
 * The widget a request names: in the body (the one a session starts on, so the one its limit
 * counts), else the query (what a preflight can carry) or the path. Only a widget SID: anything
 * else is refused by the route, and is no key to keep a count under.
 */
function widgetOf(req: FastifyRequest): string | undefined {
  const named = safeFields(req)?.get('Widget') ?? (req.query as Record<string, unknown> | undefined)?.Widget ?? /\/Widgets\/([^/?]+)/.exec(req.url)?.[1];
  return typeof named === 'string' && isSid(named, WIDGET_PREFIX) ? named : undefined;
}

function safeFields(req: FastifyRequest) {
  try {
    return fields(req);
  } catch {
    return undefined;
  }
}

/** The body's fields, from a form (URLSearchParams) or a JSON object alike. */
function fields(req: FastifyRequest): { get(name: string): unknown } {
  const b = req.body;
  if (b instanceof URLSearchParams) return { get: (n) => b.get(n) ?? undefined };
  if (b === undefined || b === null) return { get: () => undefined };
  if (typeof b !== 'object' || Array.isArray(b)) throw invalidParameter('The request body must be a JSON object or a form');
  return { get: (n) => (b as Record<string, unknown>)[n] };
}

function bearer(req: FastifyRequest): string | undefined {
  return /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim();
}
