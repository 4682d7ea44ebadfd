import assert from 'node:assert/strict';
import { createServer as createNetServer, type Socket } from 'node:net';
import { describe, test, type TestContext } from 'node:test';
import { recordEvent } from '../../src/conversations/events.ts';
import { HttpDeliveryAdapter } from '../../src/conversations/gateway/outbound.ts';
import { EventDeliverer } from '../../src/taskrouter/engine/delivery.ts';
import { backends, startReceiver, startServer, type Receiver, type TestServer } from '../support/server.ts';

/** Fewer than the dead streams, so that a shared dead origin has streams waiting for its share. */
const PER_ORIGIN = 4;
/** Long enough that no dead request times out during a test: the healthy stream's bound must not depend on it. */
const LONG = 60_000;
/** What the senders put in flight before this fix, whatever the destinations (its global cap). */
const OLD_GLOBAL_CAP = 32;

/** An endpoint that accepts connections, reads the request and never answers. */
interface DeadEndpoint {
  url: string;
  requests: number;
  open: number;
  maxOpen: number;
}

/** `n` dead endpoints (each its own origin), counting the requests they got, together and each. */
async function deadEndpoints(n: number) {
  const sockets = new Set<Socket>();
  const servers: ReturnType<typeof createNetServer>[] = [];
  const waiting: { count: number; resolve: () => void }[] = [];
  let total = 0;
  const endpoints: DeadEndpoint[] = [];
  for (let i = 0; i < n; i++) {
    const e: DeadEndpoint = { url: '', requests: 0, open: 0, maxOpen: 0 };
    const server = createNetServer((socket) => {
      sockets.add(socket);
      e.maxOpen = Math.max(e.maxOpen, ++e.open);
      socket.on('close', () => {
        e.open--;
        sockets.delete(socket);
      });
      socket.on('error', () => undefined);
      socket.once('data', () => {
        e.requests++;
        total++;
        for (const w of waiting.filter((x) => total >= x.count)) {
          waiting.splice(waiting.indexOf(w), 1);
          w.resolve();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const address = server.address();
    e.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    servers.push(server);
    endpoints.push(e);
  }
  return {
    endpoints,
    get total() {
      return total;
    },
    /** Resolves once the endpoints together have received `count` requests. */
    reached(count: number, ms: number): Promise<void> {
      const arrived = total >= count ? Promise.resolve() : new Promise<void>((resolve) => waiting.push({ count, resolve }));
      return within(arrived, ms, `${count} requests at the dead endpoints (got ${total})`);
    },
    async close() {
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    },
  };
}

/** A bounded wait for something that must happen. */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `act`, then waits for the receiver's next request; returns it with the milliseconds since `act` began. */
async function timed(act: () => Promise<unknown>, rx: Receiver) {
  const started = Date.now();
  await act();
  const request = await within(rx.next(), 3_000, 'the healthy stream (bound: 1 s)');
  return { request, ms: Date.now() - started };
}

/** `fn(0..n-1)`, ten at a time. */
async function times(n: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < n; i += 10) await Promise.all(Array.from({ length: Math.min(10, n - i) }, (_, k) => fn(i + k)));
}

function healthyWithin1s(ctx: TestContext, ms: number) {
  ctx.diagnostic(`healthy stream: ${ms} ms`);
  assert.ok(ms < 1_000, `the healthy stream's first request took ${ms} ms (bound: 1 s)`);
}

for (const backend of backends()) {
  describe(`outbound senders: one dead receiver slows only its own stream (${backend.name})`, () => {
    /** A server whose senders run on their own, with dead requests that outlast every test. */
    const start = (extra: Parameters<typeof startServer>[1] = {}) =>
      startServer(backend, {
        timers: 'auto',
        requestsPerOrigin: PER_ORIGIN,
        callbacks: { eventTimeoutMs: LONG, assignmentTimeoutMs: LONG },
        conversationDeliveries: { timeoutMs: LONG },
        ...extra,
      });

    async function withServer(dead: Awaited<ReturnType<typeof deadEndpoints>>, t: TestServer, healthy: Receiver, body: () => Promise<void>) {
      try {
        await body();
      } finally {
        await t.close();
        await healthy.close();
        await dead.close();
      }
    }

    test('event callbacks: 100 workspaces on 100 dead endpoints, a healthy workspace gets its callback within 1 s', async (ctx) => {
      const dead = await deadEndpoints(100);
      const healthy = await startReceiver();
      const t = await start();
      await withServer(dead, t, healthy, async () => {
        const tr = t.client.taskrouter.v1;
        // A new workspace's own events (workspace.created, its activities...) are its first callbacks.
        await times(100, (i) => tr.workspaces.create({ friendlyName: `dead ${i}`, eventCallbackUrl: `${dead.endpoints[i].url}/events` }));
        await dead.reached(OLD_GLOBAL_CAP, 10_000);
        let sid = '';
        const { request, ms } = await timed(async () => (sid = (await tr.workspaces.create({ friendlyName: 'healthy', eventCallbackUrl: `${healthy.url}/events` })).sid), healthy);
        assert.equal(request.params.WorkspaceSid, sid);
        healthyWithin1s(ctx, ms);
        await dead.reached(100, 5_000);
        assert.ok(dead.endpoints.every((e) => e.requests === 1), 'every dead stream is tried once, each on its own');
      });
    });

    test('event callbacks: 100 workspaces sharing one dead origin get a bounded share of it; a healthy workspace gets its callback within 1 s', async (ctx) => {
      const dead = await deadEndpoints(1);
      const [origin] = dead.endpoints;
      const healthy = await startReceiver();
      const t = await start();
      await withServer(dead, t, healthy, async () => {
        const tr = t.client.taskrouter.v1;
        await times(100, (i) => tr.workspaces.create({ friendlyName: `dead ${i}`, eventCallbackUrl: `${origin.url}/ws${i}` }));
        await dead.reached(PER_ORIGIN, 10_000);
        let sid = '';
        const { request, ms } = await timed(async () => (sid = (await tr.workspaces.create({ friendlyName: 'healthy', eventCallbackUrl: `${healthy.url}/events` })).sid), healthy);
        assert.equal(request.params.WorkspaceSid, sid);
        healthyWithin1s(ctx, ms);
        assert.ok(origin.maxOpen <= PER_ORIGIN, `${origin.maxOpen} connections at once to the dead origin (share: ${PER_ORIGIN})`);
        assert.equal(origin.requests, PER_ORIGIN, 'the other dead streams wait for their origin');
      });
    });

    test('assignment callbacks: 100 reservations on a dead origin, a healthy workflow gets its callback within 1 s', async (ctx) => {
      const dead = await deadEndpoints(1);
      const healthy = await startReceiver(() => ({ status: 200, body: '{}', contentType: 'application/json' }));
      const t = await start();
      await withServer(dead, t, healthy, async () => {
        const w = t.client.taskrouter.v1.workspaces((await t.client.taskrouter.v1.workspaces.create({ friendlyName: 'assign' })).sid);
        const available = (await w.activities.list({ friendlyName: 'Available' }))[0];
        const queue = await w.taskQueues.create({ friendlyName: 'All', targetWorkers: '1 == 1' });
        const config = JSON.stringify({ task_routing: { default_filter: { queue: queue.sid } } });
        const deadFlow = await w.workflows.create({ friendlyName: 'dead', configuration: config, assignmentCallbackUrl: `${dead.endpoints[0].url}/assign` });
        await times(100, (i) => w.workers.create({ friendlyName: `agent${i}`, activitySid: available.sid }));
        await times(100, () => w.tasks.create({ workflowSid: deadFlow.sid }));
        await dead.reached(PER_ORIGIN, 10_000);
        const healthyFlow = await w.workflows.create({ friendlyName: 'healthy', configuration: config, assignmentCallbackUrl: `${healthy.url}/assign` });
        await w.workers.create({ friendlyName: 'alice', activitySid: available.sid });
        let taskSid = '';
        const { request, ms } = await timed(async () => (taskSid = (await w.tasks.create({ workflowSid: healthyFlow.sid })).sid), healthy);
        assert.equal(request.params.TaskSid, taskSid);
        healthyWithin1s(ctx, ms);
        assert.ok(dead.endpoints[0].maxOpen <= PER_ORIGIN, `${dead.endpoints[0].maxOpen} connections at once to the dead origin`);
      });
    });

    test('Conversations post-event webhooks: 100 accounts on 100 dead endpoints, a healthy account gets its webhook within 1 s', async (ctx) => {
      const dead = await deadEndpoints(100);
      const healthy = await startReceiver();
      const t = await start();
      await withServer(dead, t, healthy, async () => {
        const ON = { xTwilioWebhookEnabled: 'true' } as const;
        const configured = async (url: string) => {
          const { client } = await t.newAccount();
          await client.conversations.v1.configuration.webhooks().update({ postWebhookUrl: url, filters: ['onConversationAdded'] });
          return client.conversations.v1;
        };
        await times(100, async (i) => (await configured(`${dead.endpoints[i].url}/hook`)).conversations.create({ friendlyName: `dead ${i}`, ...ON }));
        await dead.reached(OLD_GLOBAL_CAP, 10_000);
        const cv = await configured(`${healthy.url}/hook`);
        let sid = '';
        const { request, ms } = await timed(async () => (sid = (await cv.conversations.create({ friendlyName: 'healthy', ...ON })).sid), healthy);
        assert.equal(request.params.EventType, 'onConversationAdded');
        assert.equal(request.params.ConversationSid, sid);
        healthyWithin1s(ctx, ms);
        await dead.reached(100, 5_000);
      });
    });

    test('outbound SMS: 100 conversations whose provider origin is dead, a healthy number\'s message goes out within 1 s', async (ctx) => {
      const dead = await deadEndpoints(1);
      const healthy = await startReceiver(() => ({ status: 201, body: JSON.stringify({ sid: 'SM' + 'e'.repeat(32), status: 'sent' }) }));
      const proxy = (i: number) => `+1555700${String(i).padStart(4, '0')}`;
      const urls: Record<string, string> = { '+15557999999': `${healthy.url}/sms` };
      for (let i = 0; i < 100; i++) urls[proxy(i)] = `${dead.endpoints[0].url}/sms/${i}`;
      const t = await start({ outbound: new HttpDeliveryAdapter({ urls }) });
      await withServer(dead, t, healthy, async () => {
        const cv = t.client.conversations.v1;
        const smsConversation = async (proxyAddress: string, address: string) => {
          const c = await cv.conversations.create({});
          await cv.conversations(c.sid).participants.create({ 'messagingBinding.address': address, 'messagingBinding.proxyAddress': proxyAddress });
          return cv.conversations(c.sid);
        };
        await times(100, async (i) => (await smsConversation(proxy(i), `+1555800${String(i).padStart(4, '0')}`)).messages.create({ author: 'agent', body: `dead ${i}` }));
        await dead.reached(PER_ORIGIN, 10_000);
        const c = await smsConversation('+15557999999', '+15558999999');
        const { request, ms } = await timed(() => c.messages.create({ author: 'agent', body: 'healthy' }), healthy);
        assert.equal(request.params.Body, 'healthy');
        healthyWithin1s(ctx, ms);
        assert.ok(dead.endpoints[0].maxOpen <= PER_ORIGIN, `${dead.endpoints[0].maxOpen} connections at once to the dead origin`);
      });
    });

    test('a callback that waited for its origin\'s share while its claim ran out, and was sent by another node meanwhile, is not sent again', async () => {
      // Manual timers: node 1 is pumped by hand; one request at a time per origin.
      const t = await startServer(backend, { requestsPerOrigin: 1, callbacks: { eventTimeoutMs: 500 } });
      const rx = await startReceiver((_, index) => (index === 0 ? 'hang' : { status: 204 }));
      try {
        const tr = t.client.taskrouter.v1;
        for (const path of ['a', 'b']) {
          const ws = await tr.workspaces.create({ friendlyName: path, eventCallbackUrl: `${rx.url}/${path}`, eventsFilter: 'worker.created' });
          await tr.workspaces(ws.sid).workers.create({ friendlyName: 'w' });
        }
        // Node 1 claims both heads: the first request hangs, the other waits for the origin's only slot.
        await t.server.deliveries.events.pump();
        await within(rx.next(), 5_000, 'the first callback');
        // Both claims run out; another node takes both over and delivers them.
        t.clock.advance(2 * 500 + 30_000 + 1);
        const other = new EventDeliverer(t.server.db, t.server.clock, { eventTimeoutMs: 500 });
        await other.flush();
        // Node 1's hanging request times out; the waiting one gets the slot and must find its claim gone.
        await t.server.deliveries.flush();
        const sent = new Map<string, number>();
        for (const q of rx.requests) sent.set(q.params.Sid, (sent.get(q.params.Sid) ?? 0) + 1);
        assert.equal(sent.size, 2);
        assert.deepEqual([...sent.values()].sort(), [1, 2], 'the hanging one again by the other node (at least once); the waiting one once');
        assert.equal(Number((await t.server.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM deliveries'))!.n), 0);
      } finally {
        await t.close();
        await rx.close();
      }
    });

    // PostgreSQL only: SQLite runs one transaction at a time, so events always commit in seq order.
    if (backend.name === 'postgres')
      test('Conversations fan-out: an event that commits after a later one is still sent', async () => {
        // Found by the fairness tests above: under concurrent writes some dead endpoints never got their webhook.
        const t = await startServer(backend);
        const rx = await startReceiver();
        try {
          const cv = t.client.conversations.v1;
          await cv.configuration.webhooks().update({ postWebhookUrl: `${rx.url}/hook`, filters: ['onConversationAdded', 'onConversationUpdated'] });
          const first = await cv.conversations.create({ friendlyName: 'first' });
          // A transaction takes the next seq for an event and is still open...
          let commit!: () => void;
          let inserted!: () => void;
          const open = new Promise<void>((resolve) => (inserted = resolve));
          const held = t.server.db.transaction(async (tx) => {
            await recordEvent(tx, t.clock.now(), { accountSid: t.account.accountSid, conversationSid: first.sid, type: 'onConversationUpdated', resourceSid: first.sid, source: 'api', webhooksEnabled: true, data: {} });
            inserted();
            await new Promise<void>((resolve) => (commit = resolve));
          });
          await open;
          // ...while a later event commits, and the fan-out runs.
          const second = await cv.conversations.create({ friendlyName: 'second', xTwilioWebhookEnabled: 'true' });
          const flushing = t.server.conversationDeliveries.flush();
          let settled = false;
          const waitingForWriters = (async () => {
            for (let i = 0; i < 200 && !settled; i++) {
              if (await t.server.db.get(`SELECT 1 AS x FROM pg_locks WHERE NOT granted AND relation = 'conversation_events'::regclass`)) return;
              await new Promise((resolve) => setTimeout(resolve, 25));
            }
            if (!settled) throw new Error('the fan-out neither finished nor waited for the open transaction within 5 s');
          })();
          await Promise.race([flushing, waitingForWriters]);
          settled = true;
          commit();
          await held;
          await flushing;
          await t.server.conversationDeliveries.flush();
          const got = rx.requests.map((r) => `${r.params.EventType} ${r.params.ConversationSid}`);
          assert.deepEqual(got.sort(), [`onConversationAdded ${second.sid}`, `onConversationUpdated ${first.sid}`].sort());
        } finally {
          await t.close();
          await rx.close();
        }
      });
  });
}
