import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
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
import { Superseded } from './superseded.ts';
import { routeUpgrade } from '../http/upgrades.ts';
import { goAway, refuseUpgrade, SocketEndpoint } from '../http/websocket-limits.ts';

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
 *
 * The flags as the SDK documents them: setWorkerOfflineIfDisconnected is true unless it says
 * false (the SDK leaves it out when not set); closeExistingSessions=true closes the worker's
 * sockets opened with other tokens, once. The SDK reconnects a closed socket by itself, with the
 * same token and flag: that socket (superseded.ts) is held open without `init`, so it neither
 * closes the newer session nor becomes a session again (no `ready`, no connect activity, no
 * pushes).
 */
export class SocketGateway {
  private readonly endpoint: SocketEndpoint;
  private closing = false;
  /** Who waits for a worker's last socket to close (and its follow-up to finish). */
  private readonly waiters = new Map<string, (() => void)[]>();
  /** Offline moves under way, by worker. */
  private readonly followUps = new Map<string, Promise<void>>();
  private readonly superseded: Superseded;
  /** Superseded sessions come back, held open (heartbeats only) until they close. */
  private readonly held = new Set<{ ws: WebSocket; heartbeat: NodeJS.Timeout }>();
  private readonly log: FastifyBaseLogger;
  /** Sockets opened so far (Connection.opened). */
  private opened = 0;

  constructor(
    app: FastifyInstance,
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly tr: TaskRouter,
    private readonly connections: Connections,
    private readonly pusher: EventPusher,
    private readonly settings: GatewaySettings,
  ) {
    this.log = app.log.child({ component: 'event-bridge' });
    this.superseded = new Superseded(clock);
    this.endpoint = new SocketEndpoint({ maxFrameBytes: EVENT_BRIDGE_MAX_FRAME, perIdentity: settings.socketsPerIdentity });
    routeUpgrade(app, EVENT_BRIDGE_PATH, (req, socket, head) => this.upgrade(req, socket, head));
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const token = url.searchParams.get('token') ?? '';
    let session: WorkerSession;
    try {
      session = await authenticateWorker(this.db, this.clock, token);
    } catch (err) {
      return refuseUpgrade(socket, err instanceof TwilioError ? err : new TwilioError(20500, 500, 'An internal server error occurred'));
    }
    const tokenId = token.split('.')[2];
    if (this.superseded.comingBack(session.workerSid, tokenId)) {
      if (this.closing) return void socket.destroy();
      this.endpoint.accept(session.workerSid, req, socket, head, (ws) => this.hold(ws));
      return;
    }
    // Follow the workspace's events before the socket can hear `init`: whatever commits after the
    // SDK's first reads arrives as a push.
    let since: number;
    try {
      since = await this.pusher.follow(session.workspaceSid);
    } catch {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
      return;
    }
    if (this.closing) {
      this.pusher.unfollow(session.workspaceSid);
      socket.destroy();
      return;
    }
    // The SDK sends "true" or "false", or leaves the flag out: anything else is as if left out.
    const flag = (name: string, absent: boolean) => {
      const v = url.searchParams.get(name)?.toLowerCase();
      return v === 'true' ? true : v === 'false' ? false : absent;
    };
    // A handshake refused (bad headers, or the worker's share of sockets open) never opens: the
    // workspace is not followed for it.
    let opened = false;
    socket.once('close', () => {
      if (!opened) this.pusher.unfollow(session.workspaceSid);
    });
    const closeExisting = flag('closeExistingSessions', false);
    const offlineIfDisconnected = flag('setWorkerOfflineIfDisconnected', true);
    this.endpoint.accept(
      session.workerSid,
      req,
      socket,
      head,
      (ws) => {
        opened = true;
        this.open(ws, session, tokenId, closeExisting, offlineIfDisconnected, since);
      },
      closeExisting,
    );
  }

  private open(ws: WebSocket, session: WorkerSession, tokenId: string, closeExisting: boolean, offlineIfDisconnected: boolean, since: number): void {
    const heartbeat = this.heartbeat(ws);
    const c: Connection = { ws, session, offlineIfDisconnected, heartbeat, tokenId, opened: ++this.opened, since };
    const others = this.connections.of(session.workerSid).filter((o) => o.tokenId !== tokenId);
    // Registered before the others close, so the worker never looks disconnected in between.
    this.connections.add(c);
    ws.on('close', () => this.closed(c));
    if (closeExisting) {
      for (const o of others) {
        this.superseded.add(session.workerSid, o.tokenId);
        o.replaced = true;
        o.ws.close(4001, 'Closed by a newer session of the same Worker (closeExistingSessions)');
      }
    }
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

  private heartbeat(ws: WebSocket): NodeJS.Timeout {
    const timer = setInterval(() => {
      if (ws.readyState === ws.OPEN) ws.send(' ');
    }, this.settings.heartbeatMs);
    timer.unref();
    return timer;
  }

  /** A superseded session reconnecting: open, with heartbeats so the SDK keeps it rather than retrying, and nothing else. */
  private hold(ws: WebSocket): void {
    const h = { ws, heartbeat: this.heartbeat(ws) };
    this.held.add(h);
    ws.on('close', () => {
      clearInterval(h.heartbeat);
      this.held.delete(h);
    });
  }

  private closed(c: Connection): void {
    clearInterval(c.heartbeat);
    this.connections.remove(c);
    this.pusher.unfollow(c.session.workspaceSid);
    const workerSid = c.session.workerSid;
    const done = () => {
      if (this.connections.has(workerSid) || this.followUps.has(workerSid)) return;
      for (const resolve of this.waiters.get(workerSid) ?? []) resolve();
      this.waiters.delete(workerSid);
    };
    // Each session that asked for it (the SDK's default) takes its worker offline when it ends,
    // whatever other sockets the worker has open, as Twilio does (an SDK instance dropped without
    // disconnect() keeps its socket open). Not one replaced by closeExistingSessions, and not when
    // this node shuts down (its workers reconnect to another node).
    if (!c.offlineIfDisconnected || c.replaced || this.closing) return done();
    // Not if the session came back meanwhile: the SDK reconnects by itself after a drop, with the
    // same token (another socket of that token already open is another session).
    const closedAt = this.opened;
    const cameBack = () => this.connections.of(workerSid).some((o) => o.tokenId === c.tokenId && o.opened > closedAt);
    const followUp = setWorkerOffline(this.db, this.tr, c.session, cameBack)
      .catch((err) => {
        // A worker deleted meanwhile (a TwilioError) has nowhere to go; anything else is worth a line.
        if (!(err instanceof TwilioError)) this.log.error({ err, workerSid }, 'could not move a disconnected worker offline');
      })
      .finally(() => {
        if (this.followUps.get(workerSid) === followUp) this.followUps.delete(workerSid);
        done();
      });
    this.followUps.set(workerSid, followUp);
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
    await Promise.all(
      [...this.connections.all(), ...this.held].map((c) => {
        clearInterval(c.heartbeat);
        return goAway(c.ws);
      }),
    );
    await this.endpoint.close();
  }
}
