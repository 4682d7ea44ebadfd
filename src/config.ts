import type { OrphanPolicy } from './flex/service/deps.ts';
import type { ServerConfig } from './server.ts';
import { statSync } from 'node:fs';
import { isIP } from 'node:net';
import { BOOLEANS, EnvReader, isHttpUrl, redactUrl, secretShown, shown } from './config/env-reader.ts';
import { parseRateRule, RATE_LIMIT_VARIABLES, type RateLimits } from './http/rate-limit.ts';
import { withDefaults, type ConnectionLimits } from './http/connections.ts';
import { HttpDeliveryAdapter } from './conversations/gateway/outbound.ts';
import { seedFile } from './switchyard/seed/start.ts';
import { LOG_LEVELS, type LogLevel } from './ops/logger.ts';
import { EMAIL_VARIABLES, emailChannelFromEnv } from './channels/email/config.ts';
import { META_VARIABLES, metaChannelFromEnv } from './channels/meta/config.ts';

export { redactUrl };

export type Config = ServerConfig & {
  port: number;
  host: string;
  /** How long a SIGTERM/SIGINT waits for requests in flight and deliveries under way (main.ts). */
  shutdownGraceMs?: number;
};

/** Every problem of the environment at once, one line each: fixing them one start at a time is slow. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

const ORPHAN_POLICIES: OrphanPolicy[] = ['close', 'inactive', 'keep'];
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
// Passed unquoted in search_path, so a plain identifier (PostgreSQL folds it to lower case, as CREATE SCHEMA does).
const SCHEMA = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
function listenAddress(r: EnvReader): { port: number; host: string } {
  const port = r.int('PORT', 1, 65535) ?? 3000;
  const host = r.value('HOST');
  if (host !== undefined && !isIP(host) && !HOSTNAME.test(host)) r.refuse('HOST', 'an IP address or a host name (e.g. 0.0.0.0, ::, 127.0.0.1, localhost)', shown(host));
  return { port, host: host ?? '0.0.0.0' };
}

/** DATABASE_URL, DATABASE_SCHEMA and SQLITE_FILE; the two stores' variables are not mixed. */
function store(r: EnvReader): Pick<ServerConfig, 'databaseUrl' | 'schema' | 'sqliteFile'> {
  const url = r.value('DATABASE_URL');
  const schema = r.value('DATABASE_SCHEMA');
  const file = r.value('SQLITE_FILE');
  if (url !== undefined) {
    let ok = false;
    try {
      const u = new URL(url);
      // socket:/path?db=... is pg's form for a Unix socket; postgres:///db?host=/run/postgresql another.
      ok = u.protocol === 'socket:' || ((u.protocol === 'postgres:' || u.protocol === 'postgresql:') && (u.hostname !== '' || u.searchParams.has('host')));
    } catch {}
    if (!ok) r.refuse('DATABASE_URL', 'a PostgreSQL connection string, postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE', shown(redactUrl(url)));
    if (file !== undefined) r.problems.push(`SQLITE_FILE is for the SQLite store, which DATABASE_URL replaces: unset one of them (SQLITE_FILE is ${shown(file)})`);
  } else if (schema !== undefined) {
    r.problems.push(`DATABASE_SCHEMA is for PostgreSQL: set DATABASE_URL too, or unset it (DATABASE_SCHEMA is ${shown(schema)})`);
  }
  if (schema !== undefined && !SCHEMA.test(schema)) r.refuse('DATABASE_SCHEMA', 'a PostgreSQL schema name (a letter or _, then letters, digits or _; at most 63)', shown(schema));
  if (file !== undefined && file !== ':memory:') {
    const stat = statSync(file, { throwIfNoEntry: false });
    if (stat && !stat.isFile()) r.refuse('SQLITE_FILE', 'the path of a file (created if missing) or :memory:', `${shown(file)}, which is a directory or other non-file`);
  }
  return { databaseUrl: url, schema, sqliteFile: file };
}

/** TWILIO_*: the account to make exist, each secret with what it belongs to. */
function account(r: EnvReader): ServerConfig['account'] {
  const accountSid = r.sid('TWILIO_ACCOUNT_SID', 'AC');
  const authToken = r.secret('TWILIO_AUTH_TOKEN');
  const apiKey = r.sid('TWILIO_API_KEY', 'SK');
  const apiSecret = r.secret('TWILIO_API_SECRET');
  const given = (name: string) => r.value(name) !== undefined;
  const pair = (a: string, b: string, why: string) => {
    if (given(a) && !given(b)) r.problems.push(`${a} is set but ${b} is not: ${why}`);
  };
  pair('TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'set both (the account and its auth token), or neither for the development account');
  pair('TWILIO_AUTH_TOKEN', 'TWILIO_ACCOUNT_SID', 'set both (the account and its auth token), or neither for the development account');
  pair('TWILIO_API_KEY', 'TWILIO_API_SECRET', 'set both (the API key and its secret), or neither');
  pair('TWILIO_API_SECRET', 'TWILIO_API_KEY', 'set both (the API key and its secret), or neither');
  if (given('TWILIO_API_KEY') && !given('TWILIO_ACCOUNT_SID')) r.problems.push('TWILIO_API_KEY is set but TWILIO_ACCOUNT_SID is not: an API key belongs to the account they name');
  return accountSid && authToken ? { accountSid, authToken, apiKey, apiSecret } : undefined;
}

/** SWITCHYARD_OUTBOUND_URL(S): where outbound SMS/WhatsApp messages go, for every proxy address or per address. */
function outbound(r: EnvReader): HttpDeliveryAdapter {
  const url = r.httpUrl('SWITCHYARD_OUTBOUND_URL', r.value('SWITCHYARD_OUTBOUND_URL'));
  const text = r.value('SWITCHYARD_OUTBOUND_URLS');
  let urls: Record<string, string> | undefined;
  if (text !== undefined) {
    const expected = 'a JSON object of proxy address → http(s) URL, e.g. {"+15550001111": "https://sms.example/send"}';
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {}
    const entries = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? Object.entries(parsed) : undefined;
    if (!entries) r.refuse('SWITCHYARD_OUTBOUND_URLS', expected, shown(redactUrl(text)));
    else {
      const bad = entries.find(([, v]) => typeof v !== 'string' || !isHttpUrl(v));
      if (bad) r.refuse('SWITCHYARD_OUTBOUND_URLS', expected, `${shown(bad[0])}: ${shown(redactUrl(String(bad[1])))}`);
      else urls = Object.fromEntries(entries) as Record<string, string>;
    }
  }
  return new HttpDeliveryAdapter({ url, urls });
}

function orphanPolicy(r: EnvReader): OrphanPolicy | undefined {
  const v = r.value('SWITCHYARD_ORPHAN_POLICY');
  if (v === undefined || (ORPHAN_POLICIES as string[]).includes(v)) return v as OrphanPolicy | undefined;
  return r.refuse('SWITCHYARD_ORPHAN_POLICY', `one of ${ORPHAN_POLICIES.join(', ')}`, shown(v));
}

/** SWITCHYARD_RATE_*: each limit as MAX/WINDOW or off; unset ones keep their defaults. */
function rateLimits(r: EnvReader): Partial<RateLimits> {
  const out: Partial<RateLimits> = {};
  for (const [key, name] of Object.entries(RATE_LIMIT_VARIABLES) as [keyof RateLimits, string][]) {
    const v = r.value(name);
    if (v === undefined) continue;
    const rule = parseRateRule(v);
    if (rule) out[key] = rule;
    else r.refuse(name, 'MAX/WINDOW (e.g. 25/10m; WINDOW in s, m or h) or off', shown(v));
  }
  return out;
}

/** The timeouts of slow clients, in milliseconds, and the connections one address may hold (0: no limit). */
function connectionLimits(r: EnvReader): ConnectionLimits {
  const limits: ConnectionLimits = {
    headersTimeoutMs: r.positiveInt('SWITCHYARD_HEADERS_TIMEOUT_MS'),
    requestTimeoutMs: r.positiveInt('SWITCHYARD_REQUEST_TIMEOUT_MS'),
    keepAliveTimeoutMs: r.positiveInt('SWITCHYARD_KEEP_ALIVE_TIMEOUT_MS'),
    maxConnectionsPerAddress: r.int('SWITCHYARD_MAX_CONNECTIONS_PER_ADDRESS', 0, 999_999, '0 (no limit) or a positive integer (up to 999999)'),
  };
  const { headersTimeoutMs: headers, requestTimeoutMs: request } = withDefaults(limits);
  if (headers > request) r.problems.push(`SWITCHYARD_HEADERS_TIMEOUT_MS (${headers}) must not exceed SWITCHYARD_REQUEST_TIMEOUT_MS (${request}): the headers are part of the request`);
  return limits;
}

/** SWITCHYARD_TRUST_PROXY: true (any peer), or the proxies' addresses and CIDRs, comma-separated. */
function trustProxy(r: EnvReader): boolean | string | undefined {
  const value = r.value('SWITCHYARD_TRUST_PROXY');
  if (value === undefined) return undefined;
  const b = BOOLEANS[value.toLowerCase()];
  if (b !== undefined) return b || undefined;
  for (const item of value.split(',').map((v) => v.trim())) {
    const [address, bits, ...rest] = item.split('/');
    const max = isIP(address) === 4 ? 32 : 128;
    if (!isIP(address) || rest.length > 0 || (bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= max)))
      return r.refuse('SWITCHYARD_TRUST_PROXY', "true, false, or the proxies' addresses/CIDRs separated by commas", shown(value));
  }
  return value;
}

/** LOG_LEVEL: pino's level names, in any case. */
function logLevel(r: EnvReader): LogLevel | undefined {
  const v = r.value('LOG_LEVEL');
  if (v === undefined || (LOG_LEVELS as readonly string[]).includes(v.toLowerCase())) return v?.toLowerCase() as LogLevel | undefined;
  return r.refuse('LOG_LEVEL', `one of ${LOG_LEVELS.join(', ')}`, shown(v));
}

/** SWITCHYARD_METRICS_TOKEN: the bearer token /metrics asks for (unset: /metrics is open). */
function metricsToken(r: EnvReader): string | undefined {
  const v = r.value('SWITCHYARD_METRICS_TOKEN');
  if (v === undefined || /^[\x21-\x7e]{16,256}$/.test(v)) return v;
  return r.refuse('SWITCHYARD_METRICS_TOKEN', 'printable text without spaces, 16 to 256 characters', secretShown(v));
}

/**
 * The server's configuration, read from the environment once at start. Every variable is checked,
 * and a ConfigError lists every problem: a wrong value never falls back to a default unnoticed.
 */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): Config {
  const r = new EnvReader(env);
  const config: Config = {
    ...listenAddress(r),
    ...store(r),
    clockControl: r.bool('SWITCHYARD_CLOCK_CONTROL') ?? false,
    admin: r.bool('SWITCHYARD_ADMIN') ?? false,
    seed: seedFile(r.value('SWITCHYARD_SEED'), (line) => r.problems.push(line)),
    orphans: orphanPolicy(r),
    rateLimits: rateLimits(r),
    socketsPerIdentity: r.positiveInt('SWITCHYARD_SOCKETS_PER_IDENTITY'),
    trustProxy: trustProxy(r),
    requestsPerOrigin: r.positiveInt('SWITCHYARD_REQUESTS_PER_ORIGIN'),
    http: connectionLimits(r),
    outbound: outbound(r),
    channels: [emailChannelFromEnv(r), metaChannelFromEnv(r)].filter((c) => c !== undefined),
    account: account(r),
    logLevel: logLevel(r),
    shutdownGraceMs: r.int('SWITCHYARD_SHUTDOWN_GRACE_MS', 0, 999_999, 'an integer from 0 to 999999 (milliseconds)'),
    metricsToken: metricsToken(r),
  };
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  // A seed may turn the clock API on, as the variable does.
  if (config.seed?.document.clock?.control) config.clockControl = true;
  return config;
}

/** The SWITCHYARD_* variables read above (and by the scripts), to tell a misspelt one from a setting. */
const KNOWN = new Set([
  'SWITCHYARD_CLOCK_CONTROL',
  'SWITCHYARD_ADMIN',
  'SWITCHYARD_SEED',
  'SWITCHYARD_ORPHAN_POLICY',
  'SWITCHYARD_SOCKETS_PER_IDENTITY',
  'SWITCHYARD_TRUST_PROXY',
  'SWITCHYARD_REQUESTS_PER_ORIGIN',
  'SWITCHYARD_HEADERS_TIMEOUT_MS',
  'SWITCHYARD_REQUEST_TIMEOUT_MS',
  'SWITCHYARD_KEEP_ALIVE_TIMEOUT_MS',
  'SWITCHYARD_MAX_CONNECTIONS_PER_ADDRESS',
  'SWITCHYARD_OUTBOUND_URL',
  'SWITCHYARD_OUTBOUND_URLS',
  'SWITCHYARD_OPENAPI_DIR',
  'SWITCHYARD_SHUTDOWN_GRACE_MS',
  'SWITCHYARD_METRICS_TOKEN',
  ...Object.values(RATE_LIMIT_VARIABLES),
  ...EMAIL_VARIABLES,
  ...META_VARIABLES,
]);

/** SWITCHYARD_* variables that are set but mean nothing here: most likely a misspelt setting. */
export function unknownVariables(env: NodeJS.ProcessEnv = process.env): string[] {
  return Object.keys(env).filter((name) => name.startsWith('SWITCHYARD_') && !KNOWN.has(name)).sort();
}

/**
 * The configuration, or (for `npm start` and the scripts) each problem on its own line on stderr and
 * exit status 2: a stack trace would only hide the line that says what to fix.
 */
export function configOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  for (const name of unknownVariables(env)) console.error(`warning: ${name} is not a Switchyard setting and is ignored (misspelt?)`);
  try {
    return configFromEnv(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const line of err.problems) console.error(line);
    const n = err.problems.length;
    console.error(`${n} configuration problem${n === 1 ? '' : 's'}; nothing was started. The variables are listed in README.md, Configuration.`);
    process.exit(2);
  }
}
