import type { FastifyInstance } from 'fastify';
import type { Database } from '../store/database.ts';
import { LATEST_MIGRATION } from '../store/migrations.ts';

/** How long the store has to answer the readiness query: a probe must answer well within a proxy's timeout (2 s in deploy/Caddyfile). */
export const STORE_CHECK_TIMEOUT_MS = 1500;
/** The timer loop looks at least every second; this long without a finished look means it is stuck (a hung connection). */
const TIMERS_STALE_MS = 15_000;

type Check = { status: 'ok' | 'failing'; [detail: string]: unknown };

export interface Readiness {
  status: 'ok' | 'unavailable' | 'stopping';
  checks: { store: Check; migrations: Check; timers: Check };
}

export interface HealthOptions {
  db: Database;
  /** The routing engine's timer loop: null when timers are fired by hand (tests' `timers: 'manual'`). */
  timers: { lastLookAt: number | null } | null;
  /** When the loop was started (a loop that has not looked yet is given TIMERS_STALE_MS from then). */
  startedAt: number;
}

/**
 * Liveness and readiness. Live: the process answers. Ready: the store answers a cheap query in
 * time, its schema has every migration this code knows, and the routing engine's timer loop has
 * looked recently; while shutting down, not ready, so proxies stop sending new work.
 */
export class Health {
  stopping = false;
  /** The store query under way: probes share it, so a hanging store does not pile up connections. */
  private probe: Promise<{ applied: number }> | null = null;

  constructor(private readonly options: HealthOptions) {}

  async readiness(): Promise<Readiness> {
    const [store, migrations] = await this.storeChecks();
    const timers = this.timersCheck();
    const ok = store.status === 'ok' && migrations.status === 'ok' && timers.status === 'ok';
    return { status: this.stopping ? 'stopping' : ok ? 'ok' : 'unavailable', checks: { store, migrations, timers } };
  }

  private async storeChecks(): Promise<[Check, Check]> {
    const started = Date.now();
    this.probe ??= this.options.db
      .get<{ id: number | string | null }>('SELECT MAX(id) AS id FROM schema_migrations')
      .then((row) => ({ applied: Number(row?.id ?? 0) }))
      .finally(() => (this.probe = null));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${STORE_CHECK_TIMEOUT_MS} ms`), { code: 'TIMEOUT' })), STORE_CHECK_TIMEOUT_MS);
    });
    try {
      const { applied } = await Promise.race([this.probe, timeout]);
      const migrations: Check =
        applied >= LATEST_MIGRATION ? { status: 'ok', applied } : { status: 'failing', applied, expected: LATEST_MIGRATION, error: 'the store lacks migrations this code needs' };
      return [{ status: 'ok', ms: Date.now() - started }, migrations];
    } catch (err) {
      // The error's code and first line only: a connection error never carries the password, but keep it short anyway.
      const e = err as { code?: string; message?: string };
      const error = `${String(e.message ?? err).split('\n')[0]}${e.code ? ` (${e.code})` : ''}`;
      return [{ status: 'failing', ms: Date.now() - started, error }, { status: 'failing', error: 'unknown: the store did not answer' }];
    } finally {
      clearTimeout(timer);
    }
  }

  private timersCheck(): Check {
    const loop = this.options.timers;
    if (!loop) return { status: 'ok', mode: 'manual' };
    const since = loop.lastLookAt ?? this.options.startedAt;
    const ago = Date.now() - since;
    if (ago <= TIMERS_STALE_MS) return { status: 'ok', last_look_ms_ago: loop.lastLookAt === null ? null : ago };
    return { status: 'failing', last_look_ms_ago: loop.lastLookAt === null ? null : ago, error: `the timer loop has not finished a look for ${ago} ms` };
  }
}

/**
 * GET /health/live, /health/ready and /health (the same as ready). Not authenticated: probes
 * (load balancers, orchestrators) carry no Twilio credentials, and the answers name no resource.
 */
export function healthRoutes(app: FastifyInstance, health: Health): void {
  app.get('/health/live', async () => ({ status: 'ok' }));
  const ready = async (_req: unknown, reply: import('fastify').FastifyReply) => {
    const r = await health.readiness();
    return reply.code(r.status === 'ok' ? 200 : 503).send(r);
  };
  app.get('/health/ready', ready);
  app.get('/health', ready);
}
