import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../core/clock.ts';
import { tooManyRequests } from '../core/errors.ts';

/** At most `max` requests per `windowMs` (fixed windows on the server's clock); `max` 0: no limit. */
export interface RateRule {
  max: number;
  windowMs: number;
}

/** The public endpoints' limits (the routes that take no account credentials). */
export interface RateLimits {
  /** POST /switchyard/v1/Agent/Sessions, per client address. */
  signInPerAddress: RateRule;
  /** Failed sign-ins per username (per account); once spent, the username is refused, right password or not, until the window ends. */
  signInFailuresPerUser: RateRule;
  /** POST /switchyard/v1/Agent/Tokens, per client address. */
  agentTokensPerAddress: RateRule;
  /** POST /webchat/v1/Sessions, per client address. */
  sessionsPerAddress: RateRule;
  /** POST /webchat/v1/Sessions, per widget. */
  sessionsPerWidget: RateRule;
  /** POST /webchat/v1/Sessions/Token, per client address. */
  sessionTokensPerAddress: RateRule;
}

const MINUTE = 60_000;

export const DEFAULT_RATE_LIMITS: RateLimits = {
  // A call center's agents may all sign in from one NAT address at the start of a shift.
  signInPerAddress: { max: 60, windowMs: MINUTE },
  signInFailuresPerUser: { max: 5, windowMs: 15 * MINUTE },
  agentTokensPerAddress: { max: 120, windowMs: MINUTE },
  sessionsPerAddress: { max: 25, windowMs: 10 * MINUTE },
  sessionsPerWidget: { max: 120, windowMs: MINUTE },
  sessionTokensPerAddress: { max: 60, windowMs: MINUTE },
};

/** The environment variable that sets each limit, as MAX/WINDOW (e.g. 25/10m) or "off". */
export const RATE_LIMIT_VARIABLES: Record<keyof RateLimits, string> = {
  signInPerAddress: 'SWITCHYARD_RATE_SIGN_IN_PER_ADDRESS',
  signInFailuresPerUser: 'SWITCHYARD_RATE_SIGN_IN_FAILURES_PER_USER',
  agentTokensPerAddress: 'SWITCHYARD_RATE_AGENT_TOKENS_PER_ADDRESS',
  sessionsPerAddress: 'SWITCHYARD_RATE_SESSIONS_PER_ADDRESS',
  sessionsPerWidget: 'SWITCHYARD_RATE_SESSIONS_PER_WIDGET',
  sessionTokensPerAddress: 'SWITCHYARD_RATE_SESSION_TOKENS_PER_ADDRESS',
};

const UNITS: Record<string, number> = { s: 1000, m: MINUTE, h: 60 * MINUTE };

/** "MAX/WINDOW" with WINDOW in s, m or h (e.g. 60/1m, 5/15m), or "off"; undefined for anything else. */
export function parseRateRule(text: string): RateRule | undefined {
  if (text.trim().toLowerCase() === 'off') return { max: 0, windowMs: MINUTE };
  const m = /^\s*(\d{1,6})\s*\/\s*(\d{1,5})\s*([smh])\s*$/.exec(text);
  if (!m || Number(m[2]) === 0) return undefined;
  return { max: Number(m[1]), windowMs: Number(m[2]) * UNITS[m[3]] };
}

type Hook = (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
type Check = ReturnType<FastifyInstance['createRateLimit']>;

/**
 * The limits of one scope of public routes, through @fastify/rate-limit's manual limiters
 * (`createRateLimit`): a route may need two limits at once (per address and per widget), and the
 * failed sign-ins count only failures, which its `increment: false` read is for. The counts live
 * in a store on the server's clock, so windows pass when the clock says (tests move a ManualClock).
 */
export class Limiter {
  private constructor(
    private readonly scope: FastifyInstance,
    private readonly rules: RateLimits,
  ) {}

  /** Registers the plugin in `scope` (a Fastify context of public routes) and returns its limiter. */
  static async register(scope: FastifyInstance, clock: Clock, rules: RateLimits): Promise<Limiter> {
    await scope.register(rateLimit, { global: false, store: clockStore(clock) });
    return new Limiter(scope, rules);
  }

  /** A hook that counts each request against `rule` for the client's address (IPv6 by /64). */
  perAddress(rule: keyof RateLimits, what: string): Hook {
    return this.per(rule, what, (req) => normalizeIP(req.ip));
  }

  /** A hook that counts each request against `rule` for its key; a request without a key is not counted. */
  per(rule: keyof RateLimits, what: string, key: (req: FastifyRequest) => string | undefined): Hook {
    const check = this.check(rule, key);
    if (!check) return async () => undefined;
    return async (req, reply) => {
      const r = await check(req);
      if (!r.isAllowed && r.isExceeded) refuse(reply, r.ttlInSeconds, what);
    };
  }

  /**
   * Failures counted per key: `refuseIfSpent` (a hook) refuses once `max` failures are counted in
   * the window, whatever the request says; `fail` counts one.
   */
  failures(rule: keyof RateLimits, what: string, key: (req: FastifyRequest) => string | undefined): { refuseIfSpent: Hook; fail(req: FastifyRequest): Promise<void> } {
    const check = this.check(rule, key);
    return {
      refuseIfSpent: async (req, reply) => {
        const r = await check?.(req, { increment: false });
        if (r && !r.isAllowed && r.remaining === 0) refuse(reply, r.ttlInSeconds, what);
      },
      fail: async (req) => {
        await check?.(req);
      },
    };
  }

  private check(rule: keyof RateLimits, key: (req: FastifyRequest) => string | undefined): Check | undefined {
    const { max, windowMs } = this.rules[rule];
    if (max === 0) return undefined;
    return this.scope.createRateLimit({
      max,
      timeWindow: windowMs,
      // One store for every rule: the rule's name keeps their counts apart.
      keyGenerator: (req) => {
        const k = key(req);
        return k === undefined ? '' : `${rule}:${k}`;
      },
      allowList: (_req, k) => k === '',
    });
  }
}

function refuse(reply: FastifyReply, seconds: number, what: string): never {
  reply.header('retry-after', String(Math.max(1, seconds)));
  throw tooManyRequests(`Too Many Requests: too many ${what}; retry after ${Math.max(1, seconds)} seconds`);
}

/**
 * @fastify/rate-limit's store contract (incr, read, child) over fixed windows on `clock`. In
 * memory, per node: expired windows are dropped once a minute, and nothing is evicted early (an
 * LRU would let a flood of new keys wipe out a locked username's count).
 */
function clockStore(clock: Clock) {
  const windows = new Map<string, { hits: number; resetAt: number }>();
  let nextSweep = 0;
  const live = (key: string, now: number) => {
    const w = windows.get(key);
    return w && w.resetAt > now ? w : undefined;
  };
  type Done = (err: Error | null, result?: { current: number; ttl: number }) => void;
  return class ClockStore {
    incr(key: string, done: Done, timeWindow: number): void {
      const now = clock.now();
      if (now >= nextSweep) {
        for (const [k, w] of windows) if (w.resetAt <= now) windows.delete(k);
        nextSweep = now + MINUTE;
      }
      let w = live(key, now);
      if (!w) windows.set(key, (w = { hits: 0, resetAt: now + timeWindow }));
      w.hits++;
      done(null, { current: w.hits, ttl: w.resetAt - now });
    }

    read(key: string, done: Done): void {
      const now = clock.now();
      const w = live(key, now);
      done(null, w ? { current: w.hits, ttl: w.resetAt - now } : { current: 0, ttl: 0 });
    }

    child(): ClockStore {
      return this;
    }
  };
}
