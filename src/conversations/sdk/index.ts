import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../core/clock.ts';
import { methodNotAllowed, notFound } from '../../core/errors.ts';
import { DEFAULT_SOCKETS_PER_IDENTITY, jsonFrameLimit } from '../../http/websocket-limits.ts';
import { TwilsockEndpoint } from '../../twilsock/endpoint.ts';
import type { TwilsockSession } from '../../twilsock/session.ts';
import type { UpstreamRequest, UpstreamResponse } from '../../twilsock/upstream.ts';
import { MAX_BODY } from '../service/messages.ts';
import type { ConversationsApi } from '../services.ts';
import type { SdkApi } from './api.ts';
import { configurationRoutes } from './client/configuration.ts';
import { MAX_ATTRIBUTES } from './client/common.ts';
import { conversationRoutes } from './client/conversations.ts';
import { messageRoutes } from './client/messages.ts';
import { myConversationRoutes } from './client/my-conversations.ts';
import { participantRoutes } from './client/participants.ts';
import { typingRoutes } from './client/typing.ts';
import { userRoutes } from './client/users.ts';
import { SdkBody, SdkRouter } from './context.ts';
import { mediaRoutes } from './media/routes.ts';
import { authenticate, type SdkPrincipal } from './principal.ts';
import { documentRoutes } from './sync/documents.ts';
import { listRoutes } from './sync/lists.ts';
import { mapRoutes } from './sync/maps.ts';
import { Presence } from './sync/presence.ts';
import { SyncProjector } from './sync/projector.ts';
import { SyncPusher } from './sync/pusher.ts';
import { pruneNotifications } from './sync/store.ts';
import { subscriptionRoutes } from './sync/subscriptions.ts';

export { TWILSOCK_PATH } from '../../twilsock/endpoint.ts';

/**
 * The largest frame the SDK sends: a message with its body and attributes at their longest, every
 * character possibly escaped, inside a JSON body inside a frame whose header carries the token.
 */
export const SDK_MAX_FRAME = jsonFrameLimit(MAX_BODY + MAX_ATTRIBUTES, 32 * 1024);

export interface SdkOptions {
  socketsPerIdentity?: number;
  /** How often other nodes' changes are looked for (the outbox and sdk_events). Default 1 s. */
  pollMs?: number;
  /** Token checks of the twilsock endpoint (tests shorten them). */
  tokenCheckMs?: number;
  /** How long a client has to send init, and to close after the server said goodbye (tests shorten them). */
  initTimeoutMs?: number;
  closeGraceMs?: number;
  /**
   * Whether the projector and the presence upkeep write on their own (default); false under
   * `timers: 'manual'`, where nothing writes unless a request does and tests call flush().
   */
  auto?: boolean;
  /** Events replayed per object at a time (default REPLAY_LIMIT): tests lower it to see a replay come in parts. */
  replayLimit?: number;
  /** Notifications sent ahead of acknowledgements, and waiting at most before a client is closed as too slow (default NOTIFICATION_FLOW). */
  notificationFlow?: { window: number; queue: number };
}

/**
 * The official Conversations SDK (`@twilio/conversations` 3.x), unchanged, against this server:
 * twilsock at /tsock/v3/wsconnect carries its client API (aim: /Client/v2/...) and its Sync (cds:
 * /v3/Documents|Lists|Maps, /v4/Subscriptions); media go over plain HTTP (/mcs/v1/...). Everything
 * it does goes through the Conversations services, and everything that changes a conversation,
 * whoever did it, reaches it as Sync events (projector → sdk_events → pusher).
 */
export class ConversationsSdk {
  readonly endpoint: TwilsockEndpoint<SdkPrincipal>;
  readonly projector: SyncProjector;
  readonly pusher: SyncPusher;
  readonly presence: Presence;
  private readonly routers: Record<string, SdkRouter>;
  private readonly timers: NodeJS.Timeout[] = [];
  private closed = false;
  private readonly auto: boolean;

  constructor(app: FastifyInstance, conversations: ConversationsApi, clock: Clock, options: SdkOptions = {}) {
    const db = conversations.db;
    const log = app.log.child({ component: 'conversations-sdk' });
    const onError = (err: unknown) => log.error({ err }, 'live data could not be pushed');
    const active = () => !this.closed;
    this.pusher = new SyncPusher(db, () => this.endpoint.all, (sid) => members(conversations, sid), onError, active, options.replayLimit);
    this.projector = new SyncProjector(db, clock, () => this.pusher.wake(), onError, active);
    this.presence = new Presence(db, clock, () => this.pusher.wake());
    const api: SdkApi = { db, clock, conversations, pusher: this.pusher, changed: () => this.pusher.wake() };
    this.routers = {
      aim: new SdkRouter([
        ...configurationRoutes(api),
        ...myConversationRoutes(api),
        ...conversationRoutes(api),
        ...participantRoutes(api),
        ...messageRoutes(api),
        ...userRoutes(api),
        ...typingRoutes(api),
      ]),
      cds: new SdkRouter([...documentRoutes(api), ...listRoutes(api), ...mapRoutes(api), ...subscriptionRoutes(api)]),
    };
    this.endpoint = new TwilsockEndpoint<SdkPrincipal>(
      app,
      clock,
      {
        authenticate: (token, previous) => authenticate(conversations, token, previous),
        request: (session, req) => this.request(session, req),
        opened: (session) => this.presence.connected(who(session)).catch(onError),
        closed: (session) => {
          this.pusher.forget(session);
          this.presence.disconnected(who(session)).catch(onError);
        },
      },
      {
        limits: { maxFrameBytes: SDK_MAX_FRAME, perIdentity: options.socketsPerIdentity ?? DEFAULT_SOCKETS_PER_IDENTITY },
        checkEveryMs: options.tokenCheckMs,
        initTimeoutMs: options.initTimeoutMs,
        closeGraceMs: options.closeGraceMs,
        notificationFlow: options.notificationFlow,
      },
    );
    mediaRoutes(app, api);
    this.auto = options.auto ?? true;
    const poll = setInterval(() => this.wake(), options.pollMs ?? 1_000);
    this.timers.push(poll);
    if (this.auto) {
      const renew = setInterval(() => {
        this.presence.renew().catch(onError);
        pruneNotifications(db, clock.now()).catch(onError);
      }, 20_000);
      this.timers.push(renew);
    }
    for (const t of this.timers) t.unref();
    this.wake();
  }

  /** Something committed (here, or found by polling): project it (unless manual) and push what is new (pushing only reads). */
  wake(): void {
    if (this.auto) this.projector.wake();
    this.pusher.wake();
  }

  /** Projects what was committed so far and pushes it, then waits for the pushes (tests; the only projection under manual timers). */
  async flush(): Promise<void> {
    await this.projector.catchUp();
    this.pusher.wake();
    await this.pusher.idle();
  }

  private async request(session: TwilsockSession<SdkPrincipal>, req: UpstreamRequest): Promise<UpstreamResponse> {
    const router = this.routers[req.service];
    const found = router?.match(req.method, req.path);
    if (!found) throw notFound(req.path);
    if (found === 'method') throw methodNotAllowed(req.method, req.path);
    const principal = session.principal as SdkPrincipal;
    return found.route.handler({ principal, session, req, params: found.params, body: SdkBody.of(req), base: `https://${req.host}` });
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await this.endpoint.close();
    await this.presence.close();
    this.closed = true;
    await this.projector.idle();
    await this.pusher.idle();
  }
}

function who(session: TwilsockSession<SdkPrincipal>) {
  const p = session.principal as SdkPrincipal;
  return { accountSid: p.accountSid, serviceSid: p.serviceSid, identity: p.identity };
}

async function members(api: ConversationsApi, conversationSid: string): Promise<Set<string>> {
  const rows = await api.db.all<{ identity: string }>('SELECT identity FROM conversation_participants WHERE conversation_sid = ? AND identity IS NOT NULL', [conversationSid]);
  return new Set(rows.map((r) => r.identity));
}
