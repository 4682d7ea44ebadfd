import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync, type FastifyReply, type FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { Accounts } from '../accounts/accounts.ts';
import { TwilioError, headersTooLarge, internal, invalidParameter, methodNotAllowed, notFound, payloadTooLarge, requestTimeout } from '../core/errors.ts';
import { parseJson, refuseNul } from '../core/input.ts';
import type { Ctx, Product, Route } from './context.ts';
import { Params } from './params.ts';
import { limitConnectionsPerAddress, timeoutOptions, type ConnectionLimits } from './connections.ts';
import { refuseUpgrade as answerRaw } from './websocket-limits.ts';
import { newSid } from '../core/sid.ts';

const TWILIO_HOST = /^([a-z0-9-]+)((?:\.[a-z0-9-]+)*)\.twilio\.com(?::\d+)?$/i;
const HOST_ROUTED = Symbol('hostRouted');
/** The query, decoded once by the onRequest check and read by product handlers. */
const QUERY = Symbol('query');

type RawRequest = IncomingMessage & { [HOST_ROUTED]?: string; [QUERY]?: URLSearchParams };

export interface AppOptions {
  accounts: Accounts;
  products: Product[];
  bodyLimit?: number;
  /** Whose X-Forwarded-For to believe for req.ip (the public endpoints' limits per address). */
  trustProxy?: boolean | string;
  /** Timeouts of slow clients and connections per client address. */
  http?: ConnectionLimits;
  /** The server's logger (src/ops/logger.ts): Fastify's own, so request lines and background lines are alike. */
  logger: FastifyBaseLogger;
}

/** Probes and scrapes come every few seconds: their request lines are debug, not info. */
const QUIET = /^\/(health(\/|$|\?)|metrics($|\?))/;

/**
 * Fastify's request lines, one per request instead of two: written when the answer has been sent,
 * with the request (method, url without secret query values, host, client address), the status
 * and the time taken; the request id comes with the request's own logger (reqId).
 */
class RequestLines extends LogController {
  override incomingRequest(): void {}
  override routeNotFound(): void {}
  override requestCompleted(error: Error | null, req: FastifyRequest, reply: FastifyReply): void {
    const line = { req, res: { statusCode: reply.statusCode }, responseTime: Math.round(reply.elapsedTime * 100) / 100, ...(error ? { err: error } : {}) };
    if (error) req.log.error(line, 'request errored');
    else if (QUIET.test(req.url)) req.log.debug(line, 'request completed');
    else req.log.info(line, 'request completed');
  }
}

/**
 * The HTTP adapter: one port for every product. A request reaches a product either by path
 * prefix (/taskrouter/v1/...) or by Host (taskrouter[.edge.region].twilio.com), so both the
 * official client's httpClient rewrite and a reverse proxy work.
 */
export function buildApp(options: AppOptions): FastifyInstance {
  const productNames = new Set(options.products.map((p) => p.name));
  const app = Fastify({
    ...timeoutOptions(options.http),
    loggerInstance: options.logger,
    logController: new RequestLines(),
    // Twilio's own request ids (RQ...), answered as Twilio-Request-Id, so a client's report finds its log line.
    genReqId: () => newSid('RQ'),
    bodyLimit: options.bodyLimit ?? 4 * 1024 * 1024,
    trustProxy: options.trustProxy ?? false,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1000 },
    // Requests Fastify refuses before routing (a malformed URL) still get Twilio's error body.
    frameworkErrors(error, _req, reply) {
      sendError(reply, new TwilioError(20001, 400, `Invalid request: ${error.message}`));
    },
    // Requests Node's parser refuses (malformed request line or header, too large, too slow) too.
    clientErrorHandler(err: Error & { code?: string }, socket) {
      if (err.code === 'ECONNRESET' || socket.destroyed) return;
      if (!socket.writable) return void socket.destroy();
      const e =
        err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? requestTimeout()
        : err.code === 'HPE_HEADER_OVERFLOW' ? headersTooLarge()
        : invalidParameter('Invalid request: the request line or a header is malformed');
      // What the parser had read, when it had: a HEAD must not be answered with a body.
      const head = /^HEAD /i.test((err as { rawPacket?: Buffer }).rawPacket?.toString('latin1', 0, 5) ?? '');
      answerRaw(socket, e, head);
    },
    rewriteUrl(req) {
      const raw = req as RawRequest;
      const m = TWILIO_HOST.exec(req.headers.host ?? '');
      if (m && productNames.has(m[1].toLowerCase())) {
        raw[HOST_ROUTED] = req.headers.host;
        return `/${m[1].toLowerCase()}${req.url ?? '/'}`;
      }
      return req.url ?? '/';
    },
  });
  limitConnectionsPerAddress(app.server, options.http);

  const asParams = (_req: FastifyRequest, body: string, done: (err: Error | null, body?: unknown) => void) => {
    try {
      done(null, formParams(body, 'body'));
    } catch (err) {
      done(err as Error);
    }
  };
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, asParams);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, body === '' ? {} : parseJson(body as string, 'request body'));
    } catch (err) {
      done(err as Error);
    }
  });
  app.addContentTypeParser('*', { parseAs: 'string' }, asParams);
  app.addHook('onRequest', async (req, reply) => {
    reply.header('twilio-request-id', req.id);
  });
  // The path and query of every route, however registered (products, agent, web chat, pages), before anything reads them.
  app.addHook('onRequest', async (req) => {
    // HTTP/0.9 has no headers, so no credentials and no Host: nothing here answers it (not even the pages).
    if (req.raw.httpVersion !== '1.1' && req.raw.httpVersion !== '1.0') throw invalidParameter(`Invalid request: HTTP/${req.raw.httpVersion} is not supported`);
    if (!req.headers.host && req.raw.httpVersion === '1.1') throw invalidParameter('Invalid request: an HTTP/1.1 request must have a Host header');
    for (const [name, value] of Object.entries((req.params ?? {}) as Record<string, string>)) refuseNul(value, `path parameter ${name}`);
    (req.raw as RawRequest)[QUERY] = formParams(searchOf(req.url), 'query');
  });

  // Every route, however registered (products, public routes, pages, probes): what a 405 is decided from.
  const routes = new RouteTable();
  app.addHook('onRoute', (route) => routes.add(route.method, route.url ?? route.path));
  app.decorateRequest('accountSid', '');
  for (const product of options.products) app.register(productPlugin(product, options.accounts), { prefix: `/${product.name}` });

  app.setNotFoundHandler(async (req, reply) => {
    const path = req.url.split('?')[0];
    const allowed = routes.methodsFor(path);
    // No route for the path, or one for this very method that found nothing there (an unknown page file).
    if (allowed.length === 0 || allowed.includes(req.method)) return sendError(reply, notFound(stripProduct(path)));
    reply.header('allow', allowed.join(', '));
    return sendError(reply, methodNotAllowed(req.method, stripProduct(path)));
  });

  app.setErrorHandler(async (error: Error & { statusCode?: number; code?: string }, req, reply) => {
    if (error instanceof TwilioError) return sendError(reply, error);
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendError(reply, payloadTooLarge());
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500)
      return sendError(reply, new TwilioError(20001, 400, error.message));
    req.log.error(error);
    return sendError(reply, internal());
  });

  return app;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The account the request's credentials authenticate (a product's routes only; '' elsewhere). */
    accountSid: string;
  }
}

/**
 * A Twilio product as a Fastify plugin, registered under its prefix: its own onRequest hook
 * authenticates every request before the body is read, and its routes see the account on the request.
 */
function productPlugin(product: Product, accounts: Accounts): FastifyPluginAsync {
  const plugin: FastifyPluginAsync = async (scope) => {
    scope.addHook('onRequest', async (req) => {
      req.accountSid = await accounts.authenticate(req.headers.authorization);
    });
    for (const route of product.routes) scope.route({ method: route.method, url: route.path, handler: (req, reply) => handle(product, route, req, reply) });
  };
  // Named in Fastify's plugin tree (printPlugins).
  Object.defineProperty(plugin, 'name', { value: `${product.name} product` });
  return plugin;
}

async function handle(product: Product, route: Route, req: FastifyRequest, reply: FastifyReply) {
  const raw = req.raw as RawRequest;
  const path = req.url.split('?')[0].slice(product.name.length + 1);
  const hostRouted = raw[HOST_ROUTED];
  const forwarded = headerValue(req.headers['x-forwarded-proto']);
  // Host-routed requests came for twilio.com names: answer with the URLs Twilio itself would give.
  const scheme = forwarded ?? (hostRouted ? 'https' : 'http');
  const base = hostRouted ? `${scheme}://${hostRouted}` : `${scheme}://${req.headers.host}/${product.name}`;
  const body = req.body instanceof URLSearchParams ? req.body : new URLSearchParams();
  const ctx: Ctx = {
    method: req.method,
    path,
    params: req.params as Record<string, string>,
    body: new Params(body, 'post body'),
    json: req.body instanceof URLSearchParams ? undefined : req.body,
    query: new Params(raw[QUERY] ?? new URLSearchParams(), 'query'),
    header: (name) => headerValue(req.headers[name.toLowerCase()]),
    accountSid: req.accountSid,
    base,
  };
  const result = await route.handler(ctx);
  reply.code(result.status ?? 200);
  if (result.headers) reply.headers(result.headers);
  if (result.body === undefined) return reply.send();
  return reply.type('application/json').send(JSON.stringify(result.body));
}

/**
 * The routes' paths as patterns, to tell a wrong method (405, with Allow) from an unknown path
 * (404). A wildcard route (a page's files, CORS preflights) says nothing about which resources
 * exist under it, so it never turns a 404 into a 405.
 */
class RouteTable {
  private readonly entries: { method: string; pattern: RegExp }[] = [];

  add(method: string | string[], url: string): void {
    if (url.includes('*')) return;
    const pattern = new RegExp('^' + url.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z0-9_]+/g, '[^/]+') + '/?$');
    for (const m of Array.isArray(method) ? method : [method]) this.entries.push({ method: m, pattern });
  }

  methodsFor(path: string): string[] {
    return [...new Set(this.entries.filter((e) => e.pattern.test(path)).map((e) => e.method))].sort();
  }
}

function sendError(reply: FastifyReply, err: TwilioError) {
  return reply
    .code(err.status)
    .type('application/json')
    .send(JSON.stringify({ code: err.code, message: err.message, more_info: err.moreInfo, status: err.status }));
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function stripProduct(path: string): string {
  return path.replace(/^\/(taskrouter|flex-api|conversations|switchyard)(?=\/)/, '');
}

const BAD_ESCAPE = /%(?![0-9A-Fa-f]{2})/;

/**
 * Form decoding that refuses what URLSearchParams would quietly keep: a '%' not followed by two
 * hex digits, and NUL characters (core's rule for all input).
 */
export function formParams(text: string, where: 'body' | 'query'): URLSearchParams {
  if (BAD_ESCAPE.test(text)) throw invalidParameter(`The request ${where} has a malformed percent-encoding`);
  const params = new URLSearchParams(text);
  for (const [k, v] of params) {
    refuseNul(k, `request ${where}`);
    refuseNul(v, `${k} parameter`);
  }
  return params;
}

function searchOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? '' : url.slice(q + 1);
}
