import type { Server, ServerOptions } from 'node:http';
import type { Socket } from 'node:net';

/** How long clients may take and how many connections one may hold (ServerConfig.http). */
export interface ConnectionLimits {
  /** To receive a request's headers (default 10 s). */
  headersTimeoutMs?: number;
  /** To receive a whole request, body included (default 30 s); not the time to answer it. */
  requestTimeoutMs?: number;
  /** How long an idle keep-alive connection stays open (default 5 s). */
  keepAliveTimeoutMs?: number;
  /** Connections one client address (an IPv6 client: its /64) may hold open at once; 0: no limit (default 128). */
  maxConnectionsPerAddress?: number;
}

const CONNECTION_DEFAULTS: Required<ConnectionLimits> = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnectionsPerAddress: 128,
};

/** Each limit as given, else its default. */
export function withDefaults(limits: ConnectionLimits = {}): Required<ConnectionLimits> {
  const d = CONNECTION_DEFAULTS;
  return {
    headersTimeoutMs: limits.headersTimeoutMs ?? d.headersTimeoutMs,
    requestTimeoutMs: limits.requestTimeoutMs ?? d.requestTimeoutMs,
    keepAliveTimeoutMs: limits.keepAliveTimeoutMs ?? d.keepAliveTimeoutMs,
    maxConnectionsPerAddress: limits.maxConnectionsPerAddress ?? d.maxConnectionsPerAddress,
  };
}

/** Fastify's options for the timeouts, and Node's for the one Fastify does not name. */
export function timeoutOptions(limits?: ConnectionLimits): { requestTimeout: number; keepAliveTimeout: number; http: ServerOptions } {
  const { headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs } = withDefaults(limits);
  return {
    requestTimeout: requestTimeoutMs,
    keepAliveTimeout: keepAliveTimeoutMs,
    http: {
      headersTimeout: headersTimeoutMs,
      requestTimeout: requestTimeoutMs,
      // Node looks for expired headers and requests only this often (30 s unless told): a tenth
      // of the shorter timeout, at most a second, keeps them close to what was configured.
      connectionsCheckingInterval: Math.ceil(Math.min(1000, headersTimeoutMs / 10, requestTimeoutMs / 10)),
      // Node would answer a missing Host itself, with an empty body: the app refuses it in Twilio's words.
      requireHostHeader: false,
    },
  };
}

/**
 * Timeouts end slow connections only after a while; meanwhile each holds a file descriptor. So one
 * client address may hold at most `max` connections at once, and any beyond that is closed as
 * soon as it is accepted, before it costs more than its descriptor for that instant.
 */
export function limitConnectionsPerAddress(server: Server, limits?: ConnectionLimits): void {
  const max = withDefaults(limits).maxConnectionsPerAddress;
  if (max <= 0) return;
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    if (!socket.remoteAddress) return socket.destroy();
    const key = clientKey(socket.remoteAddress);
    const n = (open.get(key) ?? 0) + 1;
    if (n > max) return socket.destroy();
    open.set(key, n);
    socket.once('close', () => {
      const left = open.get(key)! - 1;
      if (left === 0) open.delete(key);
      else open.set(key, left);
    });
  });
}

/** An IPv4 address as it is; an IPv6 one by its /64, since a single client usually holds a whole /64. */
export function clientKey(address: string): string {
  if (!address.includes(':')) return address;
  if (/^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address)) return address.slice(7);
  const [head, tail] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':') + '::/64';
}
