import type { FastifyInstance } from 'fastify';
import type { Clock } from '../core/clock.ts';
import type { Database } from '../store/database.ts';
import type { TaskRouter } from '../taskrouter/services.ts';
import { Connections } from './connections.ts';
import { registerEnvelope } from './envelope.ts';
import { EVENT_BRIDGE_PATH, SocketGateway, type GatewaySettings } from './gateway.ts';
import { EventPusher } from './pusher.ts';
import { PendingReplies } from './replies.ts';
import { EnvelopeRoutes } from './routes.ts';
import { TransferRoutes } from './transfers.ts';
import { Views } from './views.ts';

export { EVENT_BRIDGE_PATH };

export interface EventBridgeOptions {
  /** How often each socket gets a whitespace heartbeat (the SDK gives up after 30 s of silence). Default 10 s. */
  heartbeatMs?: number;
  /** How often the events table is read without a local commit, for changes made on other nodes. Default 1 s. */
  pollMs?: number;
  /** Open sockets per worker on each node (default DEFAULT_SOCKETS_PER_WORKER). */
  socketsPerIdentity?: number;
  /** How long pushes trail the commit and the replies under way (default PUSH_DELAY_MS). */
  pushDelayMs?: number;
}

/**
 * Open sockets per worker on each node unless configured: each Worker object of the SDK keeps its
 * socket until disconnect(), which applications (Twilio's own SDK suite, 54 at once for one
 * worker) often never call; the share bounds what one token can hold, well above that.
 */
export const DEFAULT_SOCKETS_PER_WORKER = 100;

/**
 * Twilio's event bridge, for the official worker SDK (twilio-taskrouter 2.x) pointed at this
 * server with { ebServer: 'http(s)://HOST/event-bridge/v1/wschannels', wsServer: 'ws(s)://HOST/event-bridge/v1/wschannels' }:
 * the WebSocket that pushes the worker's events (gateway.ts, pusher.ts) and the POST envelope
 * that carries its REST calls (envelope.ts, routes.ts), both over the TaskRouter services.
 * Each node pushes to its own sockets; its poll picks up what other nodes committed.
 */
export class EventBridge {
  readonly connections = new Connections();
  private readonly pusher: EventPusher;
  private readonly gateway: SocketGateway;
  private readonly settings: GatewaySettings;
  private readonly timer: NodeJS.Timeout;

  constructor(app: FastifyInstance, db: Database, clock: Clock, tr: TaskRouter, options: EventBridgeOptions = {}) {
    const views = new Views(tr, db);
    this.settings = { heartbeatMs: options.heartbeatMs ?? 10_000, socketsPerIdentity: options.socketsPerIdentity ?? DEFAULT_SOCKETS_PER_WORKER };
    const replies = new PendingReplies();
    this.pusher = new EventPusher(db, tr, views, this.connections, replies, app.log.child({ component: 'event-bridge' }), options.pushDelayMs);
    this.gateway = new SocketGateway(app, db, clock, tr, this.connections, this.pusher, this.settings);
    registerEnvelope(app, db, clock, new EnvelopeRoutes(tr, db, views, new TransferRoutes(tr, views)), replies);
    this.timer = setInterval(() => this.wake(), options.pollMs ?? 1_000);
    this.timer.unref();
  }

  /** The heartbeat interval for sockets opened from now on (tests shorten it instead of waiting). */
  set heartbeatMs(ms: number) {
    this.settings.heartbeatMs = ms;
  }

  /** Something committed on this node (engine.onChange): push what is new. */
  wake(): void {
    this.pusher.wake();
  }

  /** Resolves when the worker has no socket left on this node and what follows (going offline) is done. */
  disconnected(workerSid: string): Promise<void> {
    return this.gateway.disconnected(workerSid);
  }

  /** Waits for pushes under way. */
  idle(): Promise<void> {
    return this.pusher.idle();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.gateway.close();
    await this.pusher.idle();
  }
}
