import type { OrphanPolicy } from './flex/service/deps.ts';
import type { ServerConfig } from './server.ts';
import { isIP } from 'node:net';
import { parseRateRule, RATE_LIMIT_VARIABLES, type RateLimits } from './http/rate-limit.ts';
import { withDefaults, type ConnectionLimits } from './http/connections.ts';

const ORPHAN_POLICIES: OrphanPolicy[] = ['close', 'inactive', 'keep'];

/** SWITCHYARD_ORPHAN_POLICY: a wrong value stops the server at start rather than being ignored. */
function orphanPolicy(value: string | undefined): OrphanPolicy | undefined {
  if (!value) return undefined;
  if (!(ORPHAN_POLICIES as string[]).includes(value)) throw new Error(`SWITCHYARD_ORPHAN_POLICY must be one of ${ORPHAN_POLICIES.join(', ')}; got '${value}'`);
  return value as OrphanPolicy;
}

/** A positive integer setting, or undefined when unset; anything else stops the server at start. */
function positiveInt(name: string, value: string | undefined): number | undefined {
  if (!value) return undefined;
  if (!/^[1-9][0-9]{0,5}$/.test(value)) throw new Error(`${name} must be a positive integer; got '${value}'`);
  return Number(value);
}

/** SWITCHYARD_RATE_*: each limit as MAX/WINDOW or off; unset ones keep their defaults. */
function rateLimits(env: NodeJS.ProcessEnv): Partial<RateLimits> {
  const out: Partial<RateLimits> = {};
  for (const [key, name] of Object.entries(RATE_LIMIT_VARIABLES) as [keyof RateLimits, string][]) {
    if (!env[name]) continue;
    const rule = parseRateRule(env[name]);
    if (!rule) throw new Error(`${name} must be MAX/WINDOW (e.g. 25/10m; WINDOW in s, m or h) or off; got '${env[name]}'`);
    out[key] = rule;
  }
  return out;
}

/** The timeouts of slow clients, in milliseconds, and the connections one address may hold (0: no limit). */
function connectionLimits(env: NodeJS.ProcessEnv): ConnectionLimits {
  const perAddress = env.SWITCHYARD_MAX_CONNECTIONS_PER_ADDRESS;
  if (perAddress && !/^(0|[1-9][0-9]{0,5})$/.test(perAddress))
    throw new Error(`SWITCHYARD_MAX_CONNECTIONS_PER_ADDRESS must be 0 (no limit) or a positive integer; got '${perAddress}'`);
  const limits: ConnectionLimits = {
    headersTimeoutMs: positiveInt('SWITCHYARD_HEADERS_TIMEOUT_MS', env.SWITCHYARD_HEADERS_TIMEOUT_MS),
    requestTimeoutMs: positiveInt('SWITCHYARD_REQUEST_TIMEOUT_MS', env.SWITCHYARD_REQUEST_TIMEOUT_MS),
    keepAliveTimeoutMs: positiveInt('SWITCHYARD_KEEP_ALIVE_TIMEOUT_MS', env.SWITCHYARD_KEEP_ALIVE_TIMEOUT_MS),
    maxConnectionsPerAddress: perAddress ? Number(perAddress) : undefined,
  };
  const { headersTimeoutMs: headers, requestTimeoutMs: request } = withDefaults(limits);
  if (headers > request) throw new Error(`SWITCHYARD_HEADERS_TIMEOUT_MS (${headers}) must not exceed SWITCHYARD_REQUEST_TIMEOUT_MS (${request}): the headers are part of the request`);
  return limits;
}

/** SWITCHYARD_TRUST_PROXY: true (any peer), or the proxies' addresses and CIDRs, comma-separated. */
function trustProxy(value: string | undefined): boolean | string | undefined {
  if (!value || value === 'false') return undefined;
  if (value === 'true') return true;
  for (const item of value.split(',').map((v) => v.trim())) {
    const [address, bits, ...rest] = item.split('/');
    const max = isIP(address) === 4 ? 32 : 128;
    if (!isIP(address) || rest.length > 0 || (bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= max)))
      throw new Error(`SWITCHYARD_TRUST_PROXY must be true, or the proxies' addresses/CIDRs separated by commas; got '${value}'`);
  }
  return value;
}

/** The server's configuration, read from the environment once at start. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ServerConfig & { port: number; host: string } {
  const { TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_API_KEY, TWILIO_API_SECRET } = env;
  return {
    port: Number(env.PORT ?? 3000),
    host: env.HOST ?? '0.0.0.0',
    databaseUrl: env.DATABASE_URL || undefined,
    sqliteFile: env.SQLITE_FILE || undefined,
    schema: env.DATABASE_SCHEMA || undefined,
    clockControl: env.SWITCHYARD_CLOCK_CONTROL === '1' || env.SWITCHYARD_CLOCK_CONTROL === 'true',
    orphans: orphanPolicy(env.SWITCHYARD_ORPHAN_POLICY),
    rateLimits: rateLimits(env),
    socketsPerIdentity: positiveInt('SWITCHYARD_SOCKETS_PER_IDENTITY', env.SWITCHYARD_SOCKETS_PER_IDENTITY),
    trustProxy: trustProxy(env.SWITCHYARD_TRUST_PROXY),
    requestsPerOrigin: positiveInt('SWITCHYARD_REQUESTS_PER_ORIGIN', env.SWITCHYARD_REQUESTS_PER_ORIGIN),
    http: connectionLimits(env),
    account:
      TWILIO_ACCOUNT_SID && TWILIO_AUTH_TOKEN
        ? { accountSid: TWILIO_ACCOUNT_SID, authToken: TWILIO_AUTH_TOKEN, apiKey: TWILIO_API_KEY, apiSecret: TWILIO_API_SECRET }
        : undefined,
  };
}
