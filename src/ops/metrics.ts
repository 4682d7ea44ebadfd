import type { FastifyInstance } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Clock } from '../core/clock.ts';
import { TwilioError } from '../core/errors.ts';
import type { DeliveryKind } from '../outbound/http.ts';
import type { Database } from '../store/database.ts';
import type { Log } from './logger.ts';
import { ReservationTail } from './reservation-tail.ts';

export const DELIVERY_KINDS: DeliveryKind[] = ['event_callback', 'assignment_callback', 'conversations_webhook', 'outbound_message'];

let processRegistry: Registry | undefined;
/**
 * Process metrics (CPU, memory, event-loop lag, GC...) belong to the process, not to a server: one
 * registry for however many servers a process holds (tests hold many; each would start its own
 * event-loop monitor).
 */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** What /metrics reads of the parts it cannot see itself. */
export interface MetricsSources {
  db: Database;
  clock: Clock;
  log: Log;
  /** Open WebSockets on this node, by endpoint. */
  sockets(): Record<'twilsock' | 'event_bridge', number>;
}

/**
 * The server's Prometheus metrics. Counted as things happen: HTTP requests (by route pattern, not
 * raw URL, so SIDs do not make new series) and delivery failures. Read from the store on each
 * scrape: tasks by queue and status (one grouped query), outbox backlogs, and reservations (the
 * events rows written since the last scrape, see ReservationTail).
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status_code'>;
  private readonly durations: Histogram<'method' | 'route' | 'status_code'>;
  private readonly deliveryFailures: Counter<'kind'>;
  private readonly tasks: Gauge<'task_queue_sid' | 'assignment_status'>;
  private readonly backlog: Gauge<'kind'>;
  private readonly reservations: Counter<'status'>;
  private readonly latency: Histogram;
  private readonly sockets: Gauge<'endpoint'>;
  private readonly pool: Gauge<'state'>;
  private readonly storeUp: Gauge;
  private readonly tail: ReservationTail;
  /** The store reads of the scrape under way: concurrent scrapes share them. */
  private collecting: Promise<void> | null = null;

  constructor(private readonly sources: MetricsSources) {
    processMetrics();
    const registers = [this.registry];
    this.requests = new Counter({ name: 'switchyard_http_requests_total', help: 'HTTP requests answered, by route pattern and status', labelNames: ['method', 'route', 'status_code'], registers });
    this.durations = new Histogram({
      name: 'switchyard_http_request_duration_seconds',
      help: 'Time from a request received to its answer sent, by route pattern and status',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.deliveryFailures = new Counter({
      name: 'switchyard_delivery_failures_total',
      help: 'Sends that failed (no answer, a non-2xx answer, or an unusable assignment instruction), by kind; each is retried or, after the last attempt, given up',
      labelNames: ['kind'],
      registers,
    });
    this.backlog = new Gauge({ name: 'switchyard_outbox_backlog', help: 'Rows waiting in the outbox to be sent (due or retrying), by kind; the whole store', labelNames: ['kind'], registers });
    for (const kind of DELIVERY_KINDS) {
      this.deliveryFailures.inc({ kind }, 0);
      this.backlog.set({ kind }, 0);
    }
    this.tasks = new Gauge({ name: 'switchyard_tasks', help: 'Tasks by TaskQueue and assignment status; the whole store', labelNames: ['task_queue_sid', 'assignment_status'], registers });
    this.reservations = new Counter({
      name: 'switchyard_reservations_total',
      help: 'Reservations created, accepted and timed out since this process started, from the events the store recorded (the whole store: every node reports the same)',
      labelNames: ['status'],
      registers,
    });
    for (const status of ['created', 'accepted', 'timeout']) this.reservations.inc({ status }, 0);
    this.latency = new Histogram({
      name: 'switchyard_assignment_latency_seconds',
      help: 'Time from a task created to a reservation of it created (each reservation), since this process started; the whole store',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
      registers,
    });
    this.sockets = new Gauge({ name: 'switchyard_websocket_connections', help: 'Open WebSockets on this node, by endpoint', labelNames: ['endpoint'], registers });
    this.pool = new Gauge({ name: 'switchyard_db_pool_clients', help: 'PostgreSQL pool clients of this node: total open, idle, and callers waiting for one', labelNames: ['state'], registers });
    this.storeUp = new Gauge({ name: 'switchyard_store_up', help: '1 when the store answered this scrape\'s queries, else 0 (the store-read metrics keep their last values)', registers });
    this.tail = new ReservationTail(sources.db, sources.clock);
  }

  /** A request answered: counted by its route pattern ('unmatched' for a 404 that matched none). */
  request(method: string, route: string | undefined, status: number, seconds: number): void {
    const labels = { method, route: route ?? 'unmatched', status_code: String(status) };
    this.requests.inc(labels);
    this.durations.observe(labels, seconds);
  }

  deliveryFailed(kind: DeliveryKind): void {
    this.deliveryFailures.inc({ kind });
  }

  /** The text Prometheus scrapes: this process's metrics, then this server's. */
  async text(): Promise<string> {
    this.collecting ??= this.collect().finally(() => (this.collecting = null));
    await this.collecting;
    return (await processMetrics().metrics()) + (await this.registry.metrics());
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private async collect(): Promise<void> {
    const { db } = this.sources;
    for (const [endpoint, n] of Object.entries(this.sources.sockets())) this.sockets.set({ endpoint }, n);
    const pool = (db as Partial<{ poolStats(): { total: number; idle: number; waiting: number } }>).poolStats?.();
    if (pool) for (const state of ['total', 'idle', 'waiting'] as const) this.pool.set({ state }, pool[state]);
    try {
      const tasks = await db.all<{ task_queue_sid: string | null; assignment_status: string; n: number | string }>(
        'SELECT task_queue_sid, assignment_status, COUNT(*) AS n FROM tasks GROUP BY task_queue_sid, assignment_status',
      );
      const count = async (sql: string) => Number((await db.get<{ n: number | string }>(sql))?.n ?? 0);
      const conversations = await db.all<{ kind: string; n: number | string }>('SELECT kind, COUNT(*) AS n FROM conversation_deliveries GROUP BY kind');
      const backlog: Record<DeliveryKind, number> = {
        event_callback: await count('SELECT COUNT(*) AS n FROM deliveries'),
        assignment_callback: await count('SELECT COUNT(*) AS n FROM assignment_callbacks'),
        conversations_webhook: conversations.filter((r) => r.kind !== 'outbound').reduce((a, r) => a + Number(r.n), 0),
        outbound_message: conversations.filter((r) => r.kind === 'outbound').reduce((a, r) => a + Number(r.n), 0),
      };
      const seen = await this.tail.read();
      // Everything read: only now are the metrics changed, so a failed scrape changes none of them.
      this.tasks.reset();
      for (const r of tasks) this.tasks.set({ task_queue_sid: r.task_queue_sid ?? '', assignment_status: r.assignment_status }, Number(r.n));
      for (const kind of DELIVERY_KINDS) this.backlog.set({ kind }, backlog[kind]);
      for (const r of seen) {
        this.reservations.inc({ status: r.status });
        if (r.latencyMs !== null) this.latency.observe(r.latencyMs / 1000);
      }
      this.storeUp.set(1);
    } catch (err) {
      this.storeUp.set(0);
      this.sources.log.warn({ err }, 'metrics: the store did not answer; its metrics keep their last values');
    }
  }
}

/**
 * GET /metrics, and the hook that counts every request. Open unless a token is configured
 * (SWITCHYARD_METRICS_TOKEN): Prometheus then sends it as `Authorization: Bearer TOKEN`.
 */
export function metricsRoutes(app: FastifyInstance, metrics: Metrics, token?: string): void {
  app.addHook('onResponse', async (req, reply) => {
    metrics.request(req.method, req.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
  });
  app.get('/metrics', async (req, reply) => {
    if (token !== undefined && !sameSecret(req.headers.authorization ?? '', `Bearer ${token}`)) {
      const e = new TwilioError(20003, 401, 'Authenticate: /metrics needs Authorization: Bearer and the token of SWITCHYARD_METRICS_TOKEN');
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="metrics"')
        .type('application/json')
        .send(JSON.stringify({ code: e.code, message: e.message, more_info: e.moreInfo, status: e.status }));
    }
    return reply.type(metrics.contentType).send(await metrics.text());
  });
}

/** Compares in constant time (of the digests), so the answer's timing tells nothing of the token. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (v: string) => createHash('sha256').update(v).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
