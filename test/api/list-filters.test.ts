import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { facts, type Product } from '../support/conformance.ts';
import { backends, checkConformance, startServer, type TestServer } from '../support/server.ts';
import { flexWorkspace } from './flex-helpers.ts';

/**
 * Every list operation of the three specs, and every query parameter each documents, driven from
 * the spec (spec/facts.json): a parameter must have its effect. A filter given a value that matches
 * part of the list answers exactly that part; given a value that matches nothing, an empty page (or
 * the documented error); ordering, windows and paging are checked for what they do. A parameter the
 * spec documents with no case here fails the test, so one that nobody handles cannot go unnoticed.
 */

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const PAGING = ['PageSize', 'Page', 'PageToken'];
const PREFIX: Record<Product, string> = { taskrouter: 'taskrouter', conversations: 'conversations', flex: 'flex-api' };

type Item = Record<string, any>;
type Query = Record<string, string | string[]>;
type Reply = { status: number; body: any };

/** Reads a list: one page, or every page (following next_page_url). */
interface Lister {
  page(query: Query): Promise<Reply>;
  all(query?: Query): Promise<Item[]>;
}

/** A value that selects part of the list: the answer is exactly the items `holds` keeps, at least one and (unless `all`) not every one. */
interface Match {
  value: string | string[];
  holds: (item: Item) => boolean;
  all?: true;
}

/** What one query parameter must do. */
interface Case {
  match?: Match | Match[];
  /** A value that selects nothing: an empty page. */
  none?: string | string[];
  /** A value the parameter does not allow: Twilio's error. */
  error?: { value: string; status: number; code: number };
  /** What the parameter does when it does not select (order, time window, shape of the items). */
  check?: (list: Lister) => Promise<void>;
}

interface Op {
  path: string;
  /** The query for the whole list that filters narrow (default: none). */
  whole?: Query;
  /** Cases for every documented parameter but paging's. */
  params: Record<string, Case>;
  /** A list that cannot hold two items (an interaction has one channel). */
  single?: true;
}

/** Operations the server does not serve (Switchyard's scope), with the reason. */
type Entry = Op | { unserved: string };

const zero = (prefix: string) => prefix + '0'.repeat(32);
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const idOf = (item: Item) => String(item.sid ?? item.task_queue_sid ?? item.conversation_sid);
const attrs = (item: Item) => JSON.parse(item.attributes ?? '{}');

/** Sorted by `key` in `dir` (ties allowed), and not every value the same (else the order proves nothing). */
function assertOrdered(items: Item[], key: (i: Item) => string | number, dir: 'asc' | 'desc', what: string) {
  const values = items.map(key);
  assert.ok(new Set(values).size > 1, `${what}: the fixture has different values to order`);
  for (let i = 1; i < values.length; i++)
    assert.ok(dir === 'asc' ? values[i - 1] <= values[i] : values[i - 1] >= values[i], `${what}: ${JSON.stringify(values)}`);
}

/** Ordering=Field:asc|desc for each field, and two fields at once (the second breaks the first's ties). */
function ordering(fields: Record<string, (i: Item) => string | number>): Case {
  return {
    check: async (list) => {
      for (const [field, key] of Object.entries(fields)) {
        assertOrdered(await list.all({ Ordering: `${field}:asc` }), key, 'asc', `Ordering=${field}:asc`);
        assertOrdered(await list.all({ Ordering: `${field}:desc` }), key, 'desc', `Ordering=${field}:desc`);
      }
      const [[first, k1], [second, k2]] = Object.entries(fields);
      const both = await list.all({ Ordering: `${first}:desc,${second}:asc` });
      const expected = [...both].sort((a, b) => (k1(a) < k1(b) ? 1 : k1(a) > k1(b) ? -1 : k2(a) < k2(b) ? -1 : k2(a) > k2(b) ? 1 : 0));
      assert.deepEqual(both.map(idOf), expected.map(idOf), `Ordering=${first}:desc,${second}:asc`);
    },
    error: { value: 'Shoe:asc', status: 400, code: 20001 },
  };
}

const truthy = (value: string, holds: (i: Item) => boolean): Match => ({ value, holds });
/** `true`, `1` and `yes` select the available ones; any other value the unavailable ones (the spec's words). */
const availability: Case = {
  match: [
    truthy('true', (i) => i.available === true),
    truthy('1', (i) => i.available === true),
    truthy('yes', (i) => i.available === true),
    truthy('false', (i) => i.available === false),
    truthy('anything', (i) => i.available === false),
  ],
};

for (const backend of backends()) {
  describe(`list filters: every documented list parameter has its effect (${backend.name})`, () => {
    let t: TestServer;
    let ops: Record<string, Entry>;
    before(async () => {
      t = await startServer(backend);
      ops = await fixture(t);
    });
    after(() => t.close());

    const lister = (product: Product, specPath: string, path: string, whole: Query = {}): Lister => {
      const get = async (url: string): Promise<Reply> => {
        const r = await t.http('GET', url);
        if (r.status === 200) checkConformance({ method: 'GET', uri: t.baseUrl + url }, { statusCode: 200, body: r.body });
        return r;
      };
      const key = facts.products[product].paths[specPath].GET!.listKey!;
      return {
        page: (query) => get(`/${PREFIX[product]}${path}?${qs({ ...whole, ...query })}`),
        async all(query = {}) {
          const out: Item[] = [];
          let url: string | null = `/${PREFIX[product]}${path}?${qs({ ...whole, ...query })}`;
          while (url) {
            const r = await get(url);
            assert.equal(r.status, 200, `GET ${url}: ${JSON.stringify(r.body)}`);
            out.push(...r.body[key]);
            const next: string | null = r.body.meta.next_page_url;
            url = next ? new URL(next).pathname + new URL(next).search : null;
          }
          return out;
        },
      };
    };

    const specLists = () =>
      (Object.keys(facts.products) as Product[]).flatMap((product) =>
        Object.entries(facts.products[product].paths)
          .filter(([, methods]) => methods.GET?.listKey)
          .map(([path, methods]) => ({ product, path, query: Object.keys(methods.GET!.query ?? {}) })),
      );

    test('every list operation of the three specs is covered, and every parameter it documents has a case', () => {
      const missing: string[] = [];
      for (const { product, path, query } of specLists()) {
        const entry = ops[`${product} ${path}`];
        if (!entry) {
          missing.push(`${product} GET ${path}: no entry`);
          continue;
        }
        if ('unserved' in entry) continue;
        for (const q of query) if (!PAGING.includes(q) && !entry.params[q]) missing.push(`${product} GET ${path}: no case for ${q}`);
        for (const q of Object.keys(entry.params)) if (!query.includes(q)) missing.push(`${product} GET ${path}: ${q} is not in the spec`);
      }
      for (const key of Object.keys(ops)) if (!specLists().some((l) => `${l.product} ${l.path}` === key)) missing.push(`${key}: not a list of the specs`);
      assert.deepEqual(missing, []);
    });

    test('operations outside Switchyard are not served (404), so a list added later must bring its cases', async () => {
      for (const { product, path } of specLists()) {
        const entry = ops[`${product} ${path}`];
        if (!entry || !('unserved' in entry)) continue;
        const concrete = path.replace(/\{(\w+)\}/g, (_, name: string) => zero(SID_PREFIX[name] ?? 'XX'));
        const r = await t.http('GET', `/${PREFIX[product]}${concrete}`);
        assert.equal(r.status, 404, `${product} GET ${path} (${entry.unserved})`);
        assert.equal(r.body.code, 20404);
      }
    });

    test('filters select exactly what they name; a value naming nothing is an empty page or its documented error', async () => {
      const failures: string[] = [];
      for (const { product, path } of specLists()) {
        const entry = ops[`${product} ${path}`];
        if (!entry || 'unserved' in entry) continue;
        const list = lister(product, path, entry.path, entry.whole);
        const whole = await list.all();
        for (const [param, c] of Object.entries(entry.params)) {
          const where = `${product} GET ${path} ${param}`;
          try {
            for (const m of c.match === undefined ? [] : Array.isArray(c.match) ? c.match : [c.match]) {
              const got = await list.all({ [param]: m.value });
              const expected = whole.filter(m.holds);
              assert.ok(expected.length > 0, `${where}: the fixture has items ${JSON.stringify(m.value)} selects`);
              if (!m.all) assert.ok(expected.length < whole.length, `${where}: the fixture has items ${JSON.stringify(m.value)} leaves out`);
              assert.deepEqual(got.map(idOf).sort(), expected.map(idOf).sort(), `${where}=${JSON.stringify(m.value)}`);
            }
            if (c.none !== undefined) {
              const r = await list.page({ [param]: c.none });
              assert.equal(r.status, 200, `${where}=${JSON.stringify(c.none)}: ${JSON.stringify(r.body)}`);
              const key = facts.products[product].paths[path].GET!.listKey!;
              assert.deepEqual(r.body[key], [], `${where}=${JSON.stringify(c.none)}: an empty page`);
            }
            if (c.error) {
              const r = await list.page({ [param]: c.error.value });
              assert.equal(r.status, c.error.status, `${where}=${c.error.value}: ${JSON.stringify(r.body)}`);
              assert.equal(r.body.code, c.error.code, `${where}=${c.error.value}`);
            }
            if (c.check) await c.check(list);
          } catch (err) {
            failures.push(`${where}: ${(err as Error).message}`);
          }
        }
      }
      assert.deepEqual(failures, []);
    });

    test('paging: PageSize, Page and PageToken walk every list', async () => {
      const failures: string[] = [];
      for (const { product, path } of specLists()) {
        const entry = ops[`${product} ${path}`];
        if (!entry || 'unserved' in entry) continue;
        const where = `${product} GET ${path}`;
        const key = facts.products[product].paths[path].GET!.listKey!;
        const list = lister(product, path, entry.path, entry.whole);
        try {
          const whole = (await list.all()).map(idOf);
          assert.ok(whole.length >= (entry.single ? 1 : 2), `${where}: the fixture has ${whole.length} items`);
          const first = await list.page({ PageSize: '1' });
          assert.equal(first.status, 200, `${where} PageSize=1: ${JSON.stringify(first.body)}`);
          assert.equal(first.body.meta.page_size, 1, `${where}: PageSize echoed`);
          assert.deepEqual(first.body[key].map(idOf), whole.slice(0, 1), `${where}: PageSize=1, the first item`);
          if (entry.single) {
            assert.equal(first.body.meta.next_page_url, null);
            continue;
          }
          const nextUrl = new URL(first.body.meta.next_page_url);
          const token = nextUrl.searchParams.get('PageToken');
          assert.ok(token, `${where}: the next page's URL carries a PageToken`);
          const second = await list.page({ PageSize: '1', Page: '1', PageToken: token });
          assert.equal(second.body.meta.page, 1, `${where}: Page echoed`);
          assert.deepEqual(second.body[key].map(idOf), whole.slice(1, 2), `${where}: the token's page`);
          const byPage = await list.page({ PageSize: '1', Page: '1' });
          assert.deepEqual(byPage.body[key].map(idOf), whole.slice(1, 2), `${where}: Page=1 without a token`);
          const walked: string[] = [];
          let url: string | null = `/${PREFIX[product]}${entry.path}?${qs({ ...(entry.whole ?? {}), PageSize: '1' })}`;
          while (url) {
            const r = await t.http('GET', url);
            walked.push(...r.body[key].map(idOf));
            url = r.body.meta.next_page_url ? new URL(r.body.meta.next_page_url).pathname + new URL(r.body.meta.next_page_url).search : null;
          }
          assert.deepEqual(walked, whole, `${where}: one item a page, every item once, in order`);
          const beyond = await list.page({ PageSize: '1', Page: String(whole.length) });
          assert.deepEqual(beyond.body[key], [], `${where}: a page beyond the list is empty`);
        } catch (err) {
          failures.push(`${where}: ${(err as Error).message}`);
        }
      }
      assert.deepEqual(failures, []);
    });
  });
}

/** Path parameters by name, for requests to operations that are not served. */
const SID_PREFIX: Record<string, string> = {
  WorkspaceSid: 'WS',
  TaskSid: 'WT',
  WorkerSid: 'WK',
  ChatServiceSid: 'IS',
  ConversationSid: 'CH',
  MessageSid: 'IM',
  UserSid: 'US',
  InteractionSid: 'KD',
  ChannelSid: 'UO',
  ConfigurationSid: 'FJ',
  PluginSid: 'FP',
};

function qs(query: Query): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) for (const x of Array.isArray(v) ? v : [v]) q.append(k, x);
  return q.toString();
}

/** Builds what every list needs (at least two items, and items each filter leaves out), and the cases. */
async function fixture(t: TestServer): Promise<Record<string, Entry>> {
  const tr = t.client.taskrouter.v1;
  const cv = t.client.conversations.v1;
  const unserved = (reason: string) => ({ unserved: reason });

  // ---- Conversations: two conversations two days apart, one closed.
  const c1 = await cv.conversations.create({ friendlyName: 'first' });
  const day0 = t.clock.now();
  const conv = cv.conversations(c1.sid);
  await conv.participants.create({ identity: 'sweep-agent' });
  const sms1 = await conv.participants.create({ 'messagingBinding.address': '+15550100001', 'messagingBinding.proxyAddress': '+15550109999' });
  const sms2 = await conv.participants.create({ 'messagingBinding.address': '+15550100002', 'messagingBinding.proxyAddress': '+15550109999' });
  const m1 = await conv.messages.create({ author: 'sweep-agent', body: 'hello' });
  t.clock.advance(1000);
  await conv.messages.create({ author: 'sweep-agent', body: 'again' });
  for (const [p, status] of [[sms1, 'sent'], [sms2, 'delivered']] as const)
    await t.server.conversations.messages.recordReceipt(t.account.accountSid, c1.sid, m1.sid, { participantSid: p.sid, status });
  for (const u of ['https://example.com/a', 'https://example.com/b'])
    await conv.webhooks.create({ target: 'webhook', 'configuration.url': u, 'configuration.method': 'post', 'configuration.filters': ['onMessageAdded'] });
  await cv.addressConfigurations.create({ type: 'sms', address: '+15550107777' });
  await cv.addressConfigurations.create({ type: 'whatsapp', address: 'whatsapp:+15550108888' });
  t.clock.advance(2 * DAY);
  const c2 = await cv.conversations.create({ friendlyName: 'second' });
  await cv.conversations(c2.sid).participants.create({ identity: 'sweep-agent' });
  await cv.conversations(c2.sid).update({ state: 'closed' });
  const day2 = t.clock.now();
  const chatService = (await conv.fetch()).chatServiceSid;
  // Services, users, credentials and push bindings: two of each (roles: the four built-in ones).
  await cv.services.create({ friendlyName: 'second service' });
  await cv.users.create({ identity: 'sweep-other' });
  const sweepUser = (await cv.users('sweep-agent').fetch()).sid;
  for (const name of ['apn one', 'fcm two']) await cv.credentials.create({ type: name.startsWith('apn') ? 'apn' : 'fcm', friendlyName: name });
  for (const [identity, bindingType, address] of [['sweep-agent', 'apn', 'device-a'], ['sweep-other', 'fcm', 'device-b']] as const)
    await t.server.conversations.bindings.register(t.account.accountSid, chatService, { identity, bindingType, address, endpoint: `${identity}-endpoint` });

  // ---- TaskRouter: two workspaces; in the first, two queues, two workflows, three workers, four tasks.
  t.clock.advance(MINUTE);
  const trStart = t.clock.now();
  const wsA = await tr.workspaces.create({ friendlyName: 'Sweep A' });
  await tr.workspaces.create({ friendlyName: 'Sweep B' });
  const w = tr.workspaces(wsA.sid);
  const activity = Object.fromEntries((await w.activities.list()).map((a) => [a.friendlyName, a.sid]));
  const sales = await w.taskQueues.create({ friendlyName: 'Sales', targetWorkers: "skills HAS 'sales'" });
  t.clock.advance(1000);
  const support = await w.taskQueues.create({ friendlyName: 'Support', targetWorkers: "skills HAS 'support'", maxReservedWorkers: 2 });
  const flow = (name: string, queue: string) =>
    w.workflows.create({ friendlyName: name, configuration: JSON.stringify({ task_routing: { default_filter: { queue } } }) });
  const toSales = await flow('To sales', sales.sid);
  const toSupport = await flow('To support', support.sid);
  const worker = async (name: string, skills: string[], activitySid: string) => {
    const made = await w.workers.create({ friendlyName: name, attributes: JSON.stringify({ skills }), activitySid });
    t.clock.advance(1000);
    return made;
  };
  const alice = await worker('alice', ['sales', 'support'], activity.Available);
  const bob = await worker('bob', ['support'], activity.Available);
  const carol = await worker('carol', ['sales'], activity.Offline);
  // Offered to alice and bob; bob says no.
  const t1 = await w.tasks.create({ workflowSid: toSupport.sid, priority: 5, attributes: JSON.stringify({ type: 'support' }), taskChannel: 'sms' });
  const t1Res = await w.tasks(t1.sid).reservations.list();
  const bobRes = t1Res.find((r) => r.workerSid === bob.sid)!;
  await w.tasks(t1.sid).reservations(bobRes.sid).update({ reservationStatus: 'rejected' });
  t.clock.advance(20 * MINUTE);
  const phase2 = t.clock.now();
  // Assigned to alice; waiting for carol; canceled.
  const t2 = await w.tasks.create({ workflowSid: toSales.sid, priority: 1, attributes: JSON.stringify({ type: 'sales' }), taskChannel: 'voice' });
  const [t2Res] = await w.tasks(t2.sid).reservations.list();
  await w.tasks(t2.sid).reservations(t2Res.sid).update({ reservationStatus: 'accepted' });
  t.clock.advance(1000);
  await w.tasks.create({ workflowSid: toSales.sid, priority: 3, attributes: JSON.stringify({ type: 'sales', vip: true }), taskChannel: 'sms', routingTarget: carol.sid });
  t.clock.advance(1000);
  const t4 = await w.tasks.create({ workflowSid: toSales.sid, priority: 2, attributes: JSON.stringify({ type: 'other' }), taskChannel: 'chat' });
  await w.tasks(t4.sid).update({ assignmentStatus: 'canceled', reason: 'not needed' });
  t.clock.advance(2 * MINUTE);
  const [anEvent] = await w.events.list({ eventType: 'task.created', limit: 1 });

  // ---- Flex: an interaction whose channel has two participants and two invites.
  const f = await flexWorkspace(t, ['dora', 'eve']);
  const created = await t.client.flexApi.v1.interaction.create({
    channel: { type: 'sms', initiated_by: 'api', participants: [{ address: '+15550105555', proxy_address: '+15550106666' }] },
    routing: f.routing({ task_channel_unique_name: 'sms' }),
  });
  const kd = created.sid;
  const uo = (created.channel as { sid: string }).sid;
  const taskSid = (created.routing as { properties: { sid: string } }).properties.sid;
  const [offer] = await f.pending(taskSid);
  await f.w.tasks(taskSid).reservations(offer.sid).update({ reservationStatus: 'accepted' });
  await t.client.flexApi.v1.interaction(kd).channels(uo).invites.create({ routing: { properties: { workspace_sid: f.wsSid, queue_sid: f.queueSid } } });

  const WS = `/v1/Workspaces/${wsA.sid}`;
  const sid = (prefix: string) => ({ none: zero(prefix) });
  const statsOf = (items: Item[], queue: string) => items.find((i) => i.task_queue_sid === queue)!.cumulative;
  const entered = async (list: Lister, query: Query) => {
    const items = await list.all(query);
    return { sales: statsOf(items, sales.sid).tasks_entered, support: statsOf(items, support.sid).tasks_entered };
  };
  const conversationCases = (): Op['params'] => ({
    StartDate: { match: { value: day(day2), holds: (c) => Date.parse(c.date_created) >= Date.parse(day(day2)) }, none: day(day2 + 5 * DAY) },
    EndDate: { match: { value: day(day0), holds: (c) => Date.parse(c.date_created) < Date.parse(day(day0)) + DAY }, none: '2001-01-01' },
    State: { match: { value: 'closed', holds: (c) => c.state === 'closed' }, none: 'initializing', error: { value: 'gone', status: 400, code: 20001 } },
  });
  const participantConversationCases = (): Op['params'] => ({
    Identity: {
      check: async (list) => {
        assert.deepEqual((await list.all({ Identity: 'sweep-agent' })).map((c) => c.conversation_sid).sort(), [c1.sid, c2.sid].sort());
        assert.deepEqual(await list.all({ Identity: 'nobody' }), []);
      },
    },
    Address: {
      check: async (list) => {
        assert.deepEqual((await list.all({ Identity: [], Address: '+15550100002' } as Query)).map((c) => c.conversation_sid), [c1.sid]);
        assert.deepEqual(await list.all({ Identity: [], Address: '+15559999999' } as Query), []);
      },
    },
  });
  const messageCases = (): Op['params'] => ({
    Order: {
      check: async (list) => {
        const asc = (await list.all({ Order: 'asc' })).map((m) => m.index);
        const desc = (await list.all({ Order: 'desc' })).map((m) => m.index);
        assert.deepEqual(asc, [0, 1]);
        assert.deepEqual(desc, [1, 0]);
      },
      error: { value: 'sideways', status: 400, code: 20001 },
    },
  });
  const SVC = `/v1/Services/${chatService}`;
  const ops: Record<string, Entry> = {
    // ---- TaskRouter
    'taskrouter /v1/Workspaces': {
      path: '/v1/Workspaces',
      params: { FriendlyName: { match: { value: 'Sweep A', holds: (i) => i.friendly_name === 'Sweep A' }, none: 'Nobody' } },
    },
    'taskrouter /v1/Workspaces/{WorkspaceSid}/Activities': {
      path: `${WS}/Activities`,
      params: {
        FriendlyName: { match: { value: 'Available', holds: (i) => i.friendly_name === 'Available' }, none: 'Lunch' },
        Available: availability,
      },
    },
    'taskrouter /v1/Workspaces/{WorkspaceSid}/Events': {
      path: `${WS}/Events`,
      whole: { StartDate: iso(trStart) },
      params: {
        EventType: { match: { value: 'task.created', holds: (e) => e.event_type === 'task.created' }, none: 'workflow.skipped' },
        Minutes: {
          check: async (list) => {
            const now = t.clock.now();
            const recent = await list.all({ StartDate: [], Minutes: '10' } as Query);
            assert.ok(recent.length > 0 && recent.every((e) => e.event_date_ms >= now - 10 * MINUTE), 'Minutes=10: the last ten minutes');
            assert.ok(recent.length < (await list.all()).length, 'Minutes=10 leaves older events out');
            assert.deepEqual(await list.all({ StartDate: [], Minutes: '1' } as Query), [], 'Minutes=1: nothing happened in the last minute');
          },
          error: { value: '0', status: 400, code: 20001 },
        },
        StartDate: { match: { value: iso(phase2), holds: (e) => e.event_date_ms >= phase2 }, none: iso(t.clock.now() + DAY) },
        EndDate: { match: { value: iso(phase2 - MINUTE), holds: (e) => e.event_date_ms < phase2 }, none: iso(trStart - DAY), error: { value: 'yesterday', status: 400, code: 20001 } },
        ReservationSid: { match: { value: bobRes.sid, holds: (e) => e.event_data.reservation_sid === bobRes.sid }, ...sid('WR') },
        TaskQueueSid: { match: { value: support.sid, holds: (e) => e.event_data.task_queue_sid === support.sid }, ...sid('WQ') },
        TaskSid: { match: { value: t2.sid, holds: (e) => e.event_data.task_sid === t2.sid }, ...sid('WT') },
        WorkerSid: { match: { value: bob.sid, holds: (e) => e.event_data.worker_sid === bob.sid }, ...sid('WK') },
        WorkflowSid: { match: { value: toSales.sid, holds: (e) => e.event_data.workflow_sid === toSales.sid }, ...sid('WW') },
        TaskChannel: { match: { value: 'voice', holds: (e) => e.event_data.task_channel_unique_name === 'voice' }, ...sid('TC') },
        Sid: { match: { value: anEvent.sid, holds: (e) => e.sid === anEvent.sid }, ...sid('EV') },
      },
    },
    'taskrouter /v1/Workspaces/{WorkspaceSid}/Tasks': {
      path: `${WS}/Tasks`,
      params: {
        Priority: { match: { value: '5', holds: (i) => i.priority === 5 }, none: '99' },
        AssignmentStatus: {
          match: { value: ['pending', 'assigned'], holds: (i) => ['pending', 'assigned'].includes(i.assignment_status) },
          none: 'wrapping',
          error: { value: 'lost', status: 400, code: 20001 },
        },
        WorkflowSid: { match: { value: toSupport.sid, holds: (i) => i.workflow_sid === toSupport.sid }, ...sid('WW') },
        WorkflowName: { match: { value: 'To support', holds: (i) => i.workflow_sid === toSupport.sid }, none: 'Nobody' },
        TaskQueueSid: { match: { value: sales.sid, holds: (i) => i.task_queue_sid === sales.sid }, ...sid('WQ') },
        TaskQueueName: { match: { value: 'Sales', holds: (i) => i.task_queue_sid === sales.sid }, none: 'Nowhere' },
        EvaluateTaskAttributes: { match: { value: "type == 'sales'", holds: (i) => attrs(i).type === 'sales' }, none: "type == 'legal'" },
        RoutingTarget: { match: { value: carol.sid, holds: (i) => i.routing_target === carol.sid }, ...sid('WK') },
        Ordering: ordering({ Priority: (i) => i.priority, DateCreated: (i) => i.date_created, VirtualStartTime: (i) => i.virtual_start_time }),
        HasAddons: { match: { value: 'false', holds: () => true, all: true }, none: 'true' },
      },
    },
    'taskrouter /v1/Workspaces/{WorkspaceSid}/TaskChannels': { path: `${WS}/TaskChannels`, params: {} },
    'taskrouter /v1/Workspaces/{WorkspaceSid}/TaskQueues': {
      path: `${WS}/TaskQueues`,
      params: {
        FriendlyName: { match: { value: 'Sales', holds: (i) => i.sid === sales.sid }, none: 'Nobody' },
        EvaluateWorkerAttributes: { match: { value: JSON.stringify({ skills: ['support'] }), holds: (i) => i.sid === support.sid }, none: JSON.stringify({ skills: ['legal'] }) },
        WorkerSid: { match: { value: bob.sid, holds: (i) => i.sid === support.sid }, ...sid('WK') },
        Ordering: ordering({ FriendlyName: (i) => i.friendly_name, DateCreated: (i) => i.date_created, DateUpdated: (i) => i.date_updated }),
      },
    },
    'taskrouter /v1/Workspaces/{WorkspaceSid}/TaskQueues/Statistics': {
      path: `${WS}/TaskQueues/Statistics`,
      params: {
        FriendlyName: { match: { value: 'Sales', holds: (i) => i.task_queue_sid === sales.sid }, none: 'Nobody' },
        Minutes: {
          check: async (list) => {
            assert.deepEqual(await entered(list, { Minutes: '10' }), { sales: 3, support: 0 });
            assert.deepEqual(await entered(list, { Minutes: '30' }), { sales: 3, support: 1 });
            assert.deepEqual(await entered(list, { Minutes: '1' }), { sales: 0, support: 0 });
          },
        },
        StartDate: {
          check: async (list) => {
            assert.deepEqual(await entered(list, { StartDate: iso(trStart) }), { sales: 3, support: 1 });
            assert.deepEqual(await entered(list, { StartDate: iso(phase2) }), { sales: 3, support: 0 });
          },
        },
        EndDate: {
          check: async (list) => {
            assert.deepEqual(await entered(list, { StartDate: iso(trStart), EndDate: iso(phase2 - MINUTE) }), { sales: 0, support: 1 });
          },
        },
        TaskChannel: {
          check: async (list) => {
            assert.deepEqual(await entered(list, { StartDate: iso(trStart), TaskChannel: 'voice' }), { sales: 1, support: 0 });
            assert.deepEqual(await entered(list, { StartDate: iso(trStart), TaskChannel: 'sms' }), { sales: 1, support: 1 });
            assert.deepEqual(await entered(list, { StartDate: iso(trStart), TaskChannel: 'video' }), { sales: 0, support: 0 });
            const voice = (await w.taskChannels.list()).find((c) => c.uniqueName === 'voice')!;
            assert.deepEqual(await entered(list, { StartDate: iso(trStart), TaskChannel: voice.sid }), { sales: 1, support: 0 }, 'a TaskChannel SID');
          },
        },
        SplitByWaitTime: {
          check: async (list) => {
            const split = statsOf(await list.all({ StartDate: iso(trStart), SplitByWaitTime: '5,30' }), sales.sid).split_by_wait_time;
            assert.deepEqual(Object.keys(split ?? {}).sort(), ['30', '5']);
            assert.equal(statsOf(await list.all({ StartDate: iso(trStart) }), sales.sid).split_by_wait_time ?? null, null);
          },
          error: { value: 'soon', status: 400, code: 20001 },
        },
      },
    },
    'taskrouter /v1/Workspaces/{WorkspaceSid}/Tasks/{TaskSid}/Reservations': {
      path: `${WS}/Tasks/${t1.sid}/Reservations`,
      params: {
        ReservationStatus: { match: { value: 'pending', holds: (r) => r.reservation_status === 'pending' }, none: 'completed', error: { value: 'lost', status: 400, code: 20001 } },
        WorkerSid: { match: { value: bob.sid, holds: (r) => r.worker_sid === bob.sid }, ...sid('WK') },
      },
    },
    'taskrouter /v1/Workspaces/{WorkspaceSid}/Workers': {
      path: `${WS}/Workers`,
      params: {
        ActivityName: { match: { value: 'Offline', holds: (i) => i.activity_name === 'Offline' }, none: 'Lunch' },
        ActivitySid: { match: { value: activity.Offline, holds: (i) => i.activity_sid === activity.Offline }, ...sid('WA'), error: { value: 'WAxxx', status: 400, code: 20001 } },
        Available: availability,
        FriendlyName: { match: { value: 'bob', holds: (i) => i.friendly_name === 'bob' }, none: 'nobody' },
        TargetWorkersExpression: {
          match: [
            { value: "skills HAS 'sales'", holds: (i) => attrs(i).skills.includes('sales') },
            // Besides the attributes, the worker's own fields (the spec's words).
            { value: `sid IN ['${bob.sid}']`, holds: (i) => i.sid === bob.sid },
            { value: "friendly_name == 'carol'", holds: (i) => i.friendly_name === 'carol' },
            { value: `activity_sid == '${activity.Offline}'`, holds: (i) => i.activity_sid === activity.Offline },
            { value: "activity_name == 'Available' AND skills HAS 'support'", holds: (i) => i.activity_name === 'Available' && attrs(i).skills.includes('support') },
          ],
          none: "skills HAS 'legal'",
          error: { value: 'skills HAS', status: 400, code: 20001 },
        },
        TaskQueueName: { match: { value: 'Support', holds: (i) => attrs(i).skills.includes('support') }, none: 'Nowhere' },
        TaskQueueSid: { match: { value: support.sid, holds: (i) => attrs(i).skills.includes('support') }, ...sid('WQ') },
        Ordering: ordering({ DateCreated: (i) => i.date_created, FriendlyName: (i) => i.friendly_name, DateStatusChanged: (i) => i.date_status_changed }),
      },
    },
    'taskrouter /v1/Workspaces/{WorkspaceSid}/Workers/{WorkerSid}/Channels': { path: `${WS}/Workers/${alice.sid}/Channels`, params: {} },
    'taskrouter /v1/Workspaces/{WorkspaceSid}/Workers/{WorkerSid}/Reservations': {
      path: `${WS}/Workers/${alice.sid}/Reservations`,
      params: { ReservationStatus: { match: { value: 'accepted', holds: (r) => r.reservation_status === 'accepted' }, none: 'timeout' } },
    },
    'taskrouter /v1/Workspaces/{WorkspaceSid}/Workflows': {
      path: `${WS}/Workflows`,
      params: { FriendlyName: { match: { value: 'To sales', holds: (i) => i.sid === toSales.sid }, none: 'Nobody' } },
    },

    // ---- Conversations (account level, and the same lists in the conversation service)
    'conversations /v1/Configuration/Addresses': {
      path: '/v1/Configuration/Addresses',
      params: { Type: { match: { value: 'sms', holds: (a) => a.type === 'sms' }, none: 'messenger' } },
    },
    'conversations /v1/Conversations': { path: '/v1/Conversations', params: conversationCases() },
    'conversations /v1/Conversations/{ConversationSid}/Messages': { path: `/v1/Conversations/${c1.sid}/Messages`, params: messageCases() },
    'conversations /v1/Conversations/{ConversationSid}/Messages/{MessageSid}/Receipts': { path: `/v1/Conversations/${c1.sid}/Messages/${m1.sid}/Receipts`, params: {} },
    'conversations /v1/Conversations/{ConversationSid}/Participants': { path: `/v1/Conversations/${c1.sid}/Participants`, params: {} },
    'conversations /v1/Conversations/{ConversationSid}/Webhooks': { path: `/v1/Conversations/${c1.sid}/Webhooks`, params: {} },
    'conversations /v1/ParticipantConversations': { path: '/v1/ParticipantConversations', whole: { Identity: 'sweep-agent' }, params: participantConversationCases() },
    'conversations /v1/Services/{ChatServiceSid}/Conversations': { path: `${SVC}/Conversations`, params: conversationCases() },
    'conversations /v1/Services/{ChatServiceSid}/Conversations/{ConversationSid}/Messages': { path: `${SVC}/Conversations/${c1.sid}/Messages`, params: messageCases() },
    'conversations /v1/Services/{ChatServiceSid}/Conversations/{ConversationSid}/Messages/{MessageSid}/Receipts': {
      path: `${SVC}/Conversations/${c1.sid}/Messages/${m1.sid}/Receipts`,
      params: {},
    },
    'conversations /v1/Services/{ChatServiceSid}/Conversations/{ConversationSid}/Participants': { path: `${SVC}/Conversations/${c1.sid}/Participants`, params: {} },
    'conversations /v1/Services/{ChatServiceSid}/Conversations/{ConversationSid}/Webhooks': { path: `${SVC}/Conversations/${c1.sid}/Webhooks`, params: {} },
    'conversations /v1/Services/{ChatServiceSid}/ParticipantConversations': {
      path: `${SVC}/ParticipantConversations`,
      whole: { Identity: 'sweep-agent' },
      params: participantConversationCases(),
    },
    'conversations /v1/Credentials': { path: '/v1/Credentials', params: {} },
    'conversations /v1/Roles': { path: '/v1/Roles', params: {} },
    'conversations /v1/Services': { path: '/v1/Services', params: {} },
    'conversations /v1/Services/{ChatServiceSid}/Bindings': {
      path: `${SVC}/Bindings`,
      params: {
        BindingType: { match: { value: 'apn', holds: (b) => b.binding_type === 'apn' }, none: 'gcm', error: { value: 'pigeon', status: 400, code: 20001 } },
        Identity: { match: { value: 'sweep-other', holds: (b) => b.identity === 'sweep-other' }, none: 'nobody' },
      },
    },
    'conversations /v1/Services/{ChatServiceSid}/Roles': { path: `${SVC}/Roles`, params: {} },
    'conversations /v1/Services/{ChatServiceSid}/Users': { path: `${SVC}/Users`, params: {} },
    'conversations /v1/Services/{ChatServiceSid}/Users/{UserSid}/Conversations': { path: `${SVC}/Users/${sweepUser}/Conversations`, params: {} },
    'conversations /v1/Users': { path: '/v1/Users', params: {} },
    'conversations /v1/Users/{UserSid}/Conversations': { path: `/v1/Users/${sweepUser}/Conversations`, params: {} },

    // ---- Flex: Interactions; the rest of flex-api is outside Switchyard
    'flex /v1/Interactions/{InteractionSid}/Channels': { path: `/v1/Interactions/${kd}/Channels`, params: {}, single: true },
    'flex /v1/Interactions/{InteractionSid}/Channels/{ChannelSid}/Invites': { path: `/v1/Interactions/${kd}/Channels/${uo}/Invites`, params: {} },
    'flex /v1/Interactions/{InteractionSid}/Channels/{ChannelSid}/Participants': { path: `/v1/Interactions/${kd}/Channels/${uo}/Participants`, params: {} },
    'flex /v1/Channels': unserved('Flex Chat channels (Programmable Chat) are not modelled'),
    'flex /v1/WebChannels': unserved('Flex Chat web channels (Programmable Chat) are not modelled'),
    'flex /v1/FlexFlows': unserved('Flex Flows: inbound routing is the Conversations address configuration'),
    'flex /v1/Insights/QualityManagement/Assessments': unserved('Flex Insights is not modelled'),
    'flex /v1/Insights/QualityManagement/Assessments/Comments': unserved('Flex Insights is not modelled'),
    'flex /v1/Insights/Conversations': unserved('Flex Insights is not modelled'),
    'flex /v1/Insights/QualityManagement/Questionnaires': unserved('Flex Insights is not modelled'),
    'flex /v1/Insights/QualityManagement/Categories': unserved('Flex Insights is not modelled'),
    'flex /v1/Insights/QualityManagement/Questions': unserved('Flex Insights is not modelled'),
    'flex /v1/Insights/Segments': unserved('Flex Insights is not modelled'),
    'flex /v1/PluginService/Plugins': unserved('Flex UI plugins are not hosted'),
    'flex /v1/PluginService/Plugins/{PluginSid}/Versions': unserved('Flex UI plugins are not hosted'),
    'flex /v1/PluginService/Configurations': unserved('Flex UI plugins are not hosted'),
    'flex /v1/PluginService/Configurations/{ConfigurationSid}/Plugins': unserved('Flex UI plugins are not hosted'),
    'flex /v1/PluginService/Releases': unserved('Flex UI plugins are not hosted'),
  };
  return ops;
}
