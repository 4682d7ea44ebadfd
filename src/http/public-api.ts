import cors from '@fastify/cors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Clock } from '../core/clock.ts';
import { invalidParameter } from '../core/errors.ts';
import { Params } from './params.ts';
import { Limiter, type RateLimits } from './rate-limit.ts';

/** What the routes that take no account credentials (web chat, agent desktop) share. */
export interface PublicApi {
  clock: Clock;
  limits: RateLimits;
  /**
   * Whether a page at `origin` may call: the widget the request names decides; a request naming
   * none (a preflight carries no body) may come from any origin some widget allows.
   */
  allowsOrigin(origin: string, widgetSid: string | undefined): Promise<boolean>;
}

/**
 * Registers public routes under `prefix` in a Fastify context of their own, with the rate-limit
 * plugin and CORS: preflights (OPTIONS `prefix`/*) and response headers for the origins allowed,
 * decided per request by `allowsOrigin` with the widget `widgetOf` finds in the path or query (the
 * hook runs on request, before the routes' limits, so a page can read a 429 and its Retry-After;
 * a widget named in the body is the route's to check). The prefix keeps CORS's OPTIONS route off
 * Twilio's products.
 */
export function publicRoutes(
  app: FastifyInstance,
  prefix: string,
  api: PublicApi,
  widgetOf: (req: FastifyRequest) => string | undefined,
  routes: (scope: FastifyInstance, limiter: Limiter) => void,
): void {
  const plugin = async (scope: FastifyInstance) => {
    const limiter = await Limiter.register(scope, api.clock, api.limits);
    await scope.register(cors, {
      delegator: async (req: FastifyRequest) => {
        const origin = crossOrigin(req);
        if (origin === undefined || !(await api.allowsOrigin(origin, widgetOf(req)))) return { origin: false };
        return {
          origin: true,
          methods: ['GET', 'POST'],
          allowedHeaders: ['Authorization', 'Content-Type'],
          exposedHeaders: ['Retry-After'],
          maxAge: 600,
          // A preflight without Access-Control-Request-Method still gets an answer, not a plain-text 400.
          strictPreflight: false,
        };
      },
    });
    routes(scope, limiter);
  };
  // Named in Fastify's plugin tree (printPlugins).
  Object.defineProperty(plugin, 'name', { value: `${prefix} public routes` });
  app.register(plugin, { prefix });
}

/** The Origin of a page elsewhere; undefined for the server's own pages and for clients that send none. */
export function crossOrigin(req: FastifyRequest): string | undefined {
  const origin = req.headers.origin;
  if (!origin) return undefined;
  // By host alone: a proxy ending TLS may not say X-Forwarded-Proto, and the pages are this host's.
  return hostOf(origin) === req.headers.host?.toLowerCase() ? undefined : origin;
}

function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined; // "null" (a sandboxed frame, a file): never this server's
  }
}

/**
 * The public routes' POST body: a form (as the rest of the API) or a JSON object of scalar values
 * (handier for a page's fetch); both become the same typed Params.
 */
export function bodyParams(req: FastifyRequest): Params {
  const body = req.body;
  if (body === undefined || body === null) return new Params(new URLSearchParams(), 'post body');
  if (body instanceof URLSearchParams) return new Params(body, 'post body');
  if (typeof body !== 'object' || Array.isArray(body)) throw invalidParameter('The request body must be a form or a JSON object');
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out.append(k, String(v));
    else if (v !== null) throw invalidParameter(`${k} must be a string`);
  }
  return new Params(out, 'post body');
}
