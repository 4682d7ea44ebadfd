import type { FastifyInstance } from 'fastify';
import type { Clock } from '../core/clock.ts';
import type { DeliveryFailure } from '../outbound/http.ts';
import type { Database } from '../store/database.ts';
import { Health, healthRoutes } from './health.ts';
import { withoutSecrets, type Log } from './logger.ts';
import { Metrics, metricsRoutes } from './metrics.ts';

export interface OpsOptions {
  db: Database;
  clock: Clock;
  /** The routing engine's timer loop; null when timers are fired by hand (timers: 'manual'). */
  timers: { lastLookAt: number | null } | null;
  sockets(): Record<'twilsock' | 'event_bridge', number>;
  /** The bearer token /metrics asks for; unset: open. */
  metricsToken?: string;
}

export interface Ops {
  health: Health;
  metrics: Metrics;
  /** Hears of every failed outbound send (Outbound's onFailure): counted, and logged (info). */
  deliveryFailed(failure: DeliveryFailure): void;
}

/** Health checks, metrics and the reports of failed deliveries, on the app's port. */
export function operate(app: FastifyInstance, options: OpsOptions): Ops {
  const health = new Health({ db: options.db, timers: options.timers, startedAt: Date.now() });
  const metrics = new Metrics({ db: options.db, clock: options.clock, log: app.log.child({ component: 'metrics' }), sockets: options.sockets });
  healthRoutes(app, health);
  metricsRoutes(app, metrics, options.metricsToken);
  const deliveries: Log = app.log.child({ component: 'deliveries' });
  return {
    health,
    metrics,
    deliveryFailed(f) {
      metrics.deliveryFailed(f.kind);
      // Info, not warn: a receiver that is down fails every retry, and /metrics counts them; servers inside tests log warnings only.
      deliveries.info({ kind: f.kind, url: safeUrl(f.url), status: f.status, error: f.error }, 'a delivery failed; it is retried (or given up after its last attempt)');
    },
  };
}

/** A receiver's URL as a log may show it: no user or password, no secret-looking query values. */
function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return withoutSecrets(u.toString());
  } catch {
    return '(not a URL)';
  }
}
