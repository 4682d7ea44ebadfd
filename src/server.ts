import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { Accounts, type Credentials } from './accounts/accounts.ts';
import { AdjustableClock, systemClock, type Clock } from './core/clock.ts';
import { switchyardProduct } from './switchyard/product.ts';
import { Twin } from './switchyard/twin.ts';
import type { SeedDocument } from './switchyard/seed/document.ts';
import { ExplainService } from './taskrouter/service/explain.ts';
import { buildApp } from './http/app.ts';
import { createLogger, type LogLevel } from './ops/logger.ts';
import { operate, type Ops } from './ops/index.ts';
import { within } from './ops/shutdown.ts';
import type { Database } from './store/database.ts';
import { openDatabase, type StoreConfig } from './store/open.ts';
import type { ConnectionLimits } from './http/connections.ts';
import { taskRouterProduct } from './taskrouter/product.ts';
import { taskRouterServices, type TaskRouter } from './taskrouter/services.ts';
import { Deliveries, EventDeliverer, type CallbackOptions } from './taskrouter/engine/delivery.ts';
import { AssignmentCallbacks } from './taskrouter/engine/assignment-callback.ts';
import { Outbound } from './outbound/http.ts';
import { conversationsProduct } from './conversations/product.ts';
import { conversationsServices, type ConversationsApi } from './conversations/services.ts';
import { ensureBuiltinRoles } from './conversations/service/deps.ts';
import { ConversationDeliverer, type ConversationDeliveryOptions } from './conversations/webhooks/deliverer.ts';
import { AdapterChain, HttpDeliveryAdapter, type DeliveryAdapter } from './conversations/gateway/outbound.ts';
import type { Channel, ChannelFactory } from './channels/channel.ts';
import { studioRouting } from './channels/send-to-flex.ts';
import { gbmAdapter } from './channels/gbm.ts';
import { inboundGateway } from './conversations/gateway/inbound.ts';
import { ConversationsSdk, type SdkOptions } from './conversations/sdk/index.ts';
import { flexProduct } from './flex/product.ts';
import { servePages } from './web/static.ts';
import { TokenMinter } from './accounts/tokens.ts';
import { flexServices, type Flex } from './flex/services.ts';
import type { OrphanPolicy } from './flex/service/deps.ts';
import { EventBridge, type EventBridgeOptions } from './eventbridge/index.ts';
import { agentServices } from './agent/index.ts';
import { supervisorRoutes } from './supervisor/index.ts';
import { WidgetService } from './webchat/widgets.ts';
import { SessionService } from './webchat/sessions.ts';
import { webchatRoutes } from './webchat/http.ts';
import type { PublicApi } from './http/public-api.ts';
import { DEFAULT_RATE_LIMITS, type RateLimits } from './http/rate-limit.ts';
import { DEFAULT_SOCKETS_PER_IDENTITY } from './http/websocket-limits.ts';

export interface ServerConfig extends StoreConfig {
  clock?: Clock;
  /** Credentials to make exist at start (TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN ...). */
  account?: Credentials;
  /** Fire timers on their own (default), or only when `taskRouter.engine.tick()` is called (tests). */
  timers?: 'auto' | 'manual';
  /** Serve /switchyard/v1/Clock, which moves this server's clock (off by default). */
  clockControl?: boolean;
  /** Serve the twin's admin API: /switchyard/v1/Reset and /switchyard/v1/Seed (off by default). */
  admin?: boolean;
  /** The seed SWITCHYARD_SEED names, applied at start by main.ts (switchyard/seed/start.ts). */
  seed?: { file: string; document: SeedDocument };
  /** Timeouts and retries of event and assignment callbacks (Twilio's by default). */
  callbacks?: CallbackOptions;
  /** Timeouts and retries of Conversations webhooks and outbound messages (5 s, 10 attempts by default). */
  conversationDeliveries?: ConversationDeliveryOptions;
  /** Requests the senders (callbacks, webhooks, outbound messages) keep open at once to one origin; more wait (default 8). */
  requestsPerOrigin?: number;
  /** The Conversations outbound delivery adapter (default: the HTTP adapter configured by SWITCHYARD_OUTBOUND_URL(S)); null: none. */
  outbound?: DeliveryAdapter | null;
  /** Channel gateways (email, Messenger, WhatsApp Cloud API): their adapters are tried before `outbound`. */
  channels?: ChannelFactory[];
  /** What becomes of an interaction channel left with no task and no agent (default: close it). */
  orphans?: OrphanPolicy;
  /** The event bridge of the official worker SDK (heartbeat and poll intervals). */
  eventBridge?: EventBridgeOptions;
  /** The official Conversations SDK's twilsock endpoint and live data (poll and token-check intervals). */
  sdk?: SdkOptions;
  /** Rate limits of the public endpoints (sign-in, token renewal, web chat sessions); the rest keep DEFAULT_RATE_LIMITS. */
  rateLimits?: Partial<RateLimits>;
  /** Open WebSockets one identity may hold on each endpoint of a node (default 10). */
  socketsPerIdentity?: number;
  /** Fastify's trustProxy: whose X-Forwarded-For names the client's address (default: nobody's). */
  trustProxy?: boolean | string;
  /** Timeouts of slow clients (headers 10 s, whole request 30 s, idle keep-alive 5 s) and connections per client address (128). */
  http?: ConnectionLimits;
  /** After every routing change, compare the engine's memory with the store and refuse to commit a difference (tests; costs a reload per change). */
  verifyRoutingState?: boolean;
  /** The log level (LOG_LEVEL); default warn: a server inside tests reports only what went wrong. */
  logLevel?: LogLevel;
  /** A logger to use instead of the server's own (src/ops/logger.ts). */
  logger?: FastifyBaseLogger;
  /** The bearer token GET /metrics asks for (SWITCHYARD_METRICS_TOKEN); unset: /metrics is open. */
  metricsToken?: string;
}

export interface Server {
  app: FastifyInstance;
  db: Database;
  accounts: Accounts;
  taskRouter: TaskRouter;
  /** Conversations v1; `conversations.tick()` fires its state timers (timers: 'manual'). */
  conversations: ConversationsApi;
  clock: Clock;
  /** Event and assignment callbacks: sent on their own, or (timers: 'manual') when `deliveries.flush()` is called. */
  deliveries: Deliveries;
  /** Conversations post-event webhooks and outbound messages: sent on their own, or (timers: 'manual') on `flush()`. */
  conversationDeliveries: ConversationDeliverer;
  /** The official Conversations SDK: twilsock (/tsock/v3/wsconnect), its client API, Sync and media. */
  sdk: ConversationsSdk;
  /** Flex Interactions; `flex.poll()` catches up on setups cut short and on other nodes' changes (timers: 'manual'). */
  flex: Flex;
  /** Mints access tokens for the pages (agents' worker SDK and chat, web chat customers). */
  tokens: TokenMinter;
  /** The official worker SDK's event bridge (/event-bridge/v1/wschannels: WebSocket and POST envelope). */
  eventBridge: EventBridge;
  /** The CI twin: clock control, resets and seeds (also served over HTTP when enabled). */
  twin: Twin;
  /** Health checks (/health/live, /health/ready), Prometheus metrics (/metrics). */
  ops: Ops;
  /**
   * Stops: not ready any more, no new connections, WebSockets closed with 1001 (go elsewhere),
   * requests in flight answered, then timers and deliveries finished and the store closed. Past
   * `graceMs` (default: no limit), connections still open are cut and deliveries under way handed
   * back (sent later by whichever node runs).
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

/** Wires the adapters around the core: database → services → HTTP. */
export async function createServer(config: ServerConfig = {}): Promise<Server> {
  // A clock that can be moved whenever something may move it: the clock API, the admin API's seeds, the start seed.
  const clock = config.clock ?? (config.clockControl || config.admin || config.seed?.document.clock ? new AdjustableClock() : systemClock);
  // One logger for the app and every background part (each a child naming itself), made before the store opens.
  const logger = config.logger ?? createLogger({ level: config.logLevel ?? 'warn' });
  // The store opens before the app: it reports to the logger until then, to the app's logger after.
  let storeLog: Pick<FastifyBaseLogger, 'error'> = logger;
  const db = await openDatabase({ ...config, log: config.log ?? { error: (obj, msg) => storeLog.error({ component: 'store', ...obj }, msg) } });
  const accounts = new Accounts(db, clock);
  if (config.account) await accounts.ensure(config.account);
  const taskRouter = taskRouterServices({ db, clock }, { verifyRoutingState: config.verifyRoutingState });
  const explain = new ExplainService({ db, clock, engine: taskRouter.engine });
  const conversations = conversationsServices({ db, clock });
  await ensureBuiltinRoles(db, clock.now());
  const flex = flexServices({ db, clock, taskRouter, conversations, orphans: config.orphans, log: logger.child({ component: 'interactions' }) });
  const tokens = new TokenMinter(db, clock);
  const agent = agentServices({ db, clock, tokens, taskRouter, conversations, flex });
  const widgets = new WidgetService(db, clock);
  const twin = new Twin({ db, clock, taskRouter, credentials: agent.credentials, widgets, tickers: [conversations], clockControl: config.clockControl ?? false });
  const products = [
    taskRouterProduct(taskRouter),
    conversationsProduct(conversations),
    flexProduct(flex),
    switchyardProduct({ explain, widgets, routes: [...agent.adminRoutes(), ...twin.routes(config.admin ?? false)] }),
  ];
  const app = buildApp({ accounts, products, trustProxy: config.trustProxy, http: config.http, logger });
  storeLog = app.log;
  taskRouter.engine.log = app.log.child({ component: 'timers' });
  const ops = operate(app, {
    db,
    clock,
    timers: config.timers === 'manual' ? null : taskRouter.engine,
    sockets: () => ({ twilsock: sdk.endpoint.all.size, event_bridge: eventBridge.connections.all().length }),
    metricsToken: config.metricsToken,
  });
  servePages(app);
  const publicApi: PublicApi = {
    clock,
    limits: { ...DEFAULT_RATE_LIMITS, ...config.rateLimits },
    allowsOrigin: (origin, widgetSid) => widgets.allowsOrigin(origin, widgetSid),
  };
  agent.register(app, publicApi);
  supervisorRoutes(app, publicApi, { db, clock, tokens, credentials: agent.credentials, taskRouter, conversations, flex }, { log: app.log.child({ component: 'supervisor' }) });
  inboundGateway(app, conversations, studioRouting({ db, flex, log: app.log.child({ component: 'channels' }) }));
  webchatRoutes(app, publicApi, new SessionService({ clock, conversations, flex, tokens, widgets }), widgets);
  const socketsPerIdentity = config.socketsPerIdentity ?? DEFAULT_SOCKETS_PER_IDENTITY;
  const sdk = new ConversationsSdk(app, conversations, clock, { socketsPerIdentity, auto: config.timers !== 'manual', ...config.sdk });
  conversations.onChange(() => sdk.wake());
  const eventBridge = new EventBridge(app, db, clock, taskRouter, { socketsPerIdentity: config.socketsPerIdentity, ...config.eventBridge });
  taskRouter.engine.bus.on('committed', () => eventBridge.wake());
  if (config.timers !== 'manual') taskRouter.engine.start();
  if (config.timers !== 'manual') conversations.timers.start();
  if (config.timers !== 'manual') flex.start();
  // One per server: every sender shares each destination's share.
  const outbound = new Outbound({ perOrigin: config.requestsPerOrigin, onFailure: (f) => ops.deliveryFailed(f) });
  const deliveries = new Deliveries(
    new EventDeliverer(db, clock, config.callbacks, outbound.as('event_callback')),
    new AssignmentCallbacks(db, clock, taskRouter.engine, config.callbacks, outbound.as('assignment_callback')),
  );
  // A commit wakes the senders only when it queued something; polling covers other nodes.
  taskRouter.engine.bus.on('committed', ({ queued }) => {
    if (queued.eventCallbacks || queued.assignmentCallbacks) deliveries.wake();
  });
  if (config.timers !== 'manual') deliveries.start();
  const channels: Channel[] = (config.channels ?? []).map((make) =>
    make({ app, db, clock, conversations, flex, log: app.log.child({ component: 'channels' }) }),
  );
  const base = config.outbound === undefined ? HttpDeliveryAdapter.fromEnv() : config.outbound;
  // gbm first: Google retired it, so its messages fail at once rather than reach an SMS provider's catch-all URL.
  const adapters = [gbmAdapter, ...channels.flatMap((c) => (c.adapter ? [c.adapter] : [])), ...(base ? [base] : [])];
  const conversationDeliveries = new ConversationDeliverer(
    db,
    clock,
    conversations,
    adapters.length === 1 ? adapters[0] : new AdapterChain(adapters),
    config.conversationDeliveries,
    // Every Conversations webhook carries EventType; an outbound message (To, From, Body) never does.
    outbound.as((req) => (req.params.has('EventType') ? 'conversations_webhook' : 'outbound_message')),
  );
  conversations.onChange(() => conversationDeliveries.wake());
  if (config.timers !== 'manual') conversationDeliveries.start();
  await Promise.all(channels.map((c) => c.start?.()));
  return {
    app,
    db,
    accounts,
    taskRouter,
    conversations,
    clock,
    deliveries,
    conversationDeliveries,
    sdk,
    eventBridge,
    twin,
    flex,
    tokens,
    ops,
    async close(options = {}) {
      const deadline = options.graceMs === undefined ? null : Date.now() + options.graceMs;
      // Not ready (proxies stop sending), then no new connections; idle keep-alive ones close now,
      // busy ones once their request is answered. WebSockets are told to go elsewhere meanwhile.
      ops.health.stopping = true;
      const http = app.close();
      await Promise.all([sdk.close(), eventBridge.close()]);
      await within(http, deadline, () => app.server.closeAllConnections());
      await Promise.all(channels.map((c) => c.close?.()));
      // Then the background: the timers' look under way finishes; deliveries under way get what is left of the grace.
      await flex.stop();
      await taskRouter.engine.stop();
      conversations.timers.stop();
      // Only with a grace period (a signal): close() without one (tests, the embedded server) stops at once.
      if (deadline !== null)
        await within(Promise.all([deliveries.events.idle(), deliveries.assignments.idle()]), deadline, () => {
          deliveries.events.abort();
          deliveries.assignments.abort();
        });
      await deliveries.stop();
      await conversationDeliveries.stop();
      await db.close();
    },
  };
}
