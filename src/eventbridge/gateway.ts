import type { FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { Clock } from '../core/clock.ts';
import { TwilioError } from '../core/errors.ts';
import type { Database } from '../store/database.ts';
import type { TaskRouter } from '../taskrouter/services.ts';
import type { Connection, Connections } from './connections.ts';
import { setWorkerOffline } from './offline.ts';
import type { EventPusher } from './pusher.ts';
import { authenticateWorker, type WorkerSession } from './session.ts';
import { routeUpgrade } from '../http/upgrades.ts';
import { refuseUpgrade, SocketEndpoint } from '../http/websocket-limits.ts';

export const EVENT_BRIDGE_PATH = '/event-bridge/v1/wschannels';

/** setTimeout's limit: the SDK arms a timer with token_lifetime, which must not overflow it. */
const MAX_TIMER_MS = 2_147_483_647;
/** The SDK sends nothing on its socket: a client frame is never more than a stray few bytes. */
export const EVENT_BRIDGE_MAX_FRAME = 4 * 1024;

/** How the socket endpoint is tuned; `heartbeatMs` is read when each socket opens. */
export interface GatewaySettings {
  heartbeatMs: number;
  /** Open sockets per worker on this node. */
  socketsPerIdentity: number;
}

/**
 * The SDK's WebSocket: ws(s)://HOST/event-bridge/v1/wschannels?token=JWT&closeExistingSessions=…
 * &setWorkerOfflineIfDisconnected=…. A token that does not verify gets HTTP 401 and no socket.
 * The server speaks first and only: `init`, then pushed events and whitespace heartbeats (the
 * SDK sends nothing; its updateToken() only keeps the new token for its next POSTs and
 * reconnects, so there is no frame to handle).
 */
export class SocketGateway {
  private readonly endpoint: SocketEndpoint;
  private closing = false;
  /** Who waits for a worker's last socket to close (and its follow-up to finish). */
  private readonly waiters = new Map<string, (() => void)[]>();
  /** Offline moves under way, by worker. */
  private readonly followUps = new Map<string, Promise<void>>();

  constructor(
    app: FastifyInstance,
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly tr: TaskRouter,
    private readonly connections: Connections,
    private readonly pusher: EventPusher,
    private readonly settings: GatewaySettings,
  ) {
    this.endpoint = new SocketEndpoint({ maxFrameBytes: EVENT_BRIDGE_MAX_FRAME, perIdentity: settings.socketsPerIdentity });
    routeUpgrade(app, EVENT_BRIDGE_PATH, (req, socket, head) => this.upgrade(req, socket, head));
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let session: WorkerSession;
    try {
      session = await authenticateWorker(this.db, this.clock, url.searchParams.get('token') ?? '');
    } catch (err) {
      return refuseUpgrade(socket, err instanceof TwilioError ? err : new TwilioError(20500, 500, 'An internal server error occurred'));
    }
    // Follow the workspace's events before the socket can hear `init`: whatever commits after the
    // SDK's first reads arrives as a push.
    try {
      await this.pusher.follow(session.workspaceSid);
    } catch {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
      return;
    }
    if (this.closing) {
      this.pusher.unfollow(session.workspaceSid);
      socket.destroy();
      return;
    }
    const flag = (name: string) => url.searchParams.get(name)?.toLowerCase() === 'true';
    // A handshake refused (bad headers, or the worker's share of sockets open) never opens: the
    // workspace is not followed for it.
    let opened = false;
    socket.once('close', () => {
      if (!opened) this.pusher.unfollow(session.workspaceSid);
    });
    const closeExisting = flag('closeExistingSessions');
    this.endpoint.accept(
      session.workerSid,
      req,
      socket,
      head,
      (ws) => {
        opened = true;
        this.open(ws, session, closeExisting, flag('setWorkerOfflineIfDisconnected'));
      },
      closeExisting,
    );
  }

  private open(ws: WebSocket, session: WorkerSession, closeExisting: boolean, offlineIfDisconnected: boolean): void {
    const heartbeat = setInterval(() => {
      if (ws.readyState === ws.OPEN) ws.send(' ');
    }, this.settings.heartbeatMs);
    heartbeat.unref();
    const c: Connection = { ws, session, offlineIfDisconnected, heartbeat };
    const others = this.connections.of(session.workerSid);
    // Registered before the others close, so the worker never looks disconnected in between.
    this.connections.add(c);
    ws.on('close', () => this.closed(c));
    if (closeExisting) for (const o of others) o.ws.close(4001, 'Closed by a newer session of the same Worker (closeExistingSessions)');
    ws.send(
      JSON.stringify({
        event_type: 'init',
        payload: {
          channel_id: session.workerSid,
          account_sid: session.accountSid,
          workspace_sid: session.workspaceSid,
          token_lifetime: Math.min(MAX_TIMER_MS, Math.max(0, session.expiresAt - this.clock.now())),
        },
      }),
    );
  }

  private closed(c: Connection): void {
    clearInterval(c.heartbeat);
    const last = this.connections.remove(c);
    this.pusher.unfollow(c.session.workspaceSid);
    if (!last) return;
    const done = () => {
      for (const resolve of this.waiters.get(c.session.workerSid) ?? []) resolve();
      this.waiters.delete(c.session.workerSid);
    };
    // A node shutting down leaves its workers as they are: they reconnect to another node.
    if (!c.offlineIfDisconnected || this.closing) return done();
    // Not if the worker came back meanwhile (the SDK reconnects by itself after a drop).
    const followUp = setWorkerOffline(this.db, this.tr, c.session, () => this.connections.has(c.session.workerSid))
      .catch((err) => {
        // A worker deleted meanwhile (a TwilioError) has nowhere to go; anything else is worth a line.
        if (!(err instanceof TwilioError)) console.error(`Switchyard: event bridge: could not move ${c.session.workerSid} offline:`, err);
      })
      .finally(() => {
        if (this.followUps.get(c.session.workerSid) === followUp) this.followUps.delete(c.session.workerSid);
        done();
      });
    this.followUps.set(c.session.workerSid, followUp);
  }

  /** Resolves once the worker has no socket on this node (at once if it has none). */
  disconnected(workerSid: string): Promise<void> {
    const followUp = this.followUps.get(workerSid);
    if (!this.connections.has(workerSid)) return followUp ?? Promise.resolve();
    return new Promise((resolve) => {
      const list = this.waiters.get(workerSid) ?? [];
      list.push(resolve);
      this.waiters.set(workerSid, list);
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.followUps.values());
    for (const c of this.connections.all()) {
      clearInterval(c.heartbeat);
      c.ws.terminate();
    }
    await this.endpoint.close();
  }
}
