import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Clock } from '../core/clock.ts';
import { invalidParameter, TwilioError } from '../core/errors.ts';
import { parseJson } from '../core/input.ts';
import type { Database } from '../store/database.ts';
import { EVENT_BRIDGE_PATH } from './gateway.ts';
import { envelopeParams } from './params.ts';
import type { PendingReplies } from './replies.ts';
import type { EnvelopeRoutes } from './routes.ts';
import { authenticateToken } from './session.ts';

/**
 * POST /event-bridge/v1/wschannels: every REST call of the SDK, wrapped as
 * {"url","method","params","token"} with the API version in an `apiVersion` header. The body is
 * JSON whatever its Content-Type (axios labels a string body form-encoded), so the endpoint lives
 * in its own Fastify scope whose only body parser keeps the raw text: the app's form parser would
 * mangle it. Replies are {"payload": …}; errors are non-2xx {"message", "code", "status",
 * "more_info"}: the SDK reads `message`, and Twilio's fields are kept for everyone else.
 */
export function registerEnvelope(app: FastifyInstance, db: Database, clock: Clock, routes: EnvelopeRoutes, replies: PendingReplies): void {
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    // The token travels in the body, never in a cookie, so any origin may call (an agent UI
    // served elsewhere); the SDK adds apiVersion / clientVersion / If-Match headers.
    scope.options(EVENT_BRIDGE_PATH, async (_req, reply) => cors(reply).code(204).send());
    scope.post(EVENT_BRIDGE_PATH, async (req, reply) => {
      replies.track(new Promise((resolve) => {
        reply.raw.once('finish', resolve);
        reply.raw.once('close', resolve);
      }));
      cors(reply);
      try {
        const body = parse(req.body);
        const session = await authenticateToken(db, clock, typeof body.token === 'string' ? body.token : '');
        if (typeof body.url !== 'string' || body.url === '') throw invalidParameter('The envelope has no url');
        const method = typeof body.method === 'string' ? body.method.toUpperCase() : 'GET';
        const apiVersion = header(req.headers.apiversion)?.toLowerCase() ?? 'v1';
        const payload = await routes.dispatch({
          session,
          method,
          url: body.url,
          apiVersion,
          params: envelopeParams(body.params),
          ifMatch: header(req.headers['if-match']),
        });
        return reply.code(200).type('application/json').send(JSON.stringify({ payload }));
      } catch (err) {
        if (!(err instanceof TwilioError)) req.log.error(err);
        const e = err instanceof TwilioError ? err : new TwilioError(20500, 500, 'An internal server error occurred');
        return reply
          .code(e.status)
          .type('application/json')
          .send(JSON.stringify({ message: e.message, code: e.code, status: e.status, more_info: e.moreInfo }));
      }
    });
  });
}

function parse(body: unknown): Record<string, unknown> {
  if (typeof body !== 'string' || body.trim() === '') throw invalidParameter('The envelope body is empty; expected JSON {url, method, params, token}');
  const v = parseJson(body, 'envelope body');
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw invalidParameter('The envelope body must be a JSON object');
  return v as Record<string, unknown>;
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function cors(reply: FastifyReply): FastifyReply {
  return reply.headers({
    'access-control-allow-origin': '*',
    'access-control-allow-methods': 'POST, OPTIONS',
    'access-control-allow-headers': 'content-type, apiversion, clientversion, if-match',
  });
}
