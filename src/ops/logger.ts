import { pino, type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * What background work needs of a logger: pino's shape (an object first, then the message), so the
 * server's own logger, or a child of it with context ({ component: 'timers' }), fits.
 */
export interface Log {
  error(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Log;
}

/** The fallback of parts built without the server's logger (unit tests, scripts): stderr, as before there was one. */
export const consoleLog: Log = {
  error: (obj, msg) => console.error(`Switchyard: ${msg ?? ''}`, obj),
  warn: (obj, msg) => console.warn(`Switchyard: ${msg ?? ''}`, obj),
  info: () => undefined,
  debug: () => undefined,
  child: () => consoleLog,
};

/** Query parameters whose values are never written to a log (access tokens in WebSocket URLs, signatures). */
const SECRET_PARAM = /token|password|secret|signature|auth|key/i;
const CENSOR = '[Redacted]';

/** A request target with the values of secret-looking query parameters replaced. */
export function withoutSecrets(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const parts = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      let decoded = name;
      try {
        decoded = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {}
      return eq >= 0 && SECRET_PARAM.test(decoded) ? `${name}=${CENSOR}` : pair;
    });
  return `${url.slice(0, q)}?${parts.join('&')}`;
}

/**
 * Secrets that could reach a log line through an object logged as a whole: credentials in headers,
 * and fields named like tokens, secrets and passwords one or two levels down. Request bodies are
 * never logged.
 */
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-twilio-signature"]',
  'headers.authorization',
  'headers.cookie',
  ...['authToken', 'auth_token', 'apiSecret', 'api_secret', 'password', 'token', 'accessToken', 'access_token', 'secret'].flatMap((k) => [k, `*.${k}`]),
];

interface RequestLike {
  method?: string;
  url?: string;
  host?: string;
  hostname?: string;
  ip?: string;
  socket?: { remoteAddress?: string };
  routeOptions?: { url?: string };
}

/** A request in a log line: what it asked for, never its headers or body; the query without its secrets. */
export function serializeRequest(req: RequestLike): Record<string, unknown> {
  return {
    method: req.method,
    url: withoutSecrets(req.url ?? ''),
    host: req.host ?? req.hostname,
    remoteAddress: req.ip ?? req.socket?.remoteAddress,
  };
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Human-readable lines instead of JSON (default: when stdout is a terminal). */
  pretty?: boolean;
  /** Where the lines go (default: stdout). */
  destination?: DestinationStream;
}

/**
 * The server's one logger (Fastify's, and every background part's through a child): JSON lines on
 * stdout, one object per line; coloured, readable lines when stdout is a terminal. Written
 * synchronously, so the last lines before an exit are not lost.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const usePretty = options.pretty ?? (options.destination === undefined && process.stdout.isTTY === true);
  const stream = options.destination ?? (usePretty ? pretty({ sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }) : pino.destination({ dest: 1, sync: true }));
  return pino(
    {
      level: options.level ?? 'info',
      redact: { paths: REDACT, censor: CENSOR },
      serializers: { req: serializeRequest, err: pino.stdSerializers.err },
    },
    stream,
  );
}
