import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { channels as channelTable, interactions as interactionTable } from '../../src/flex/model.ts';
import { planInteraction } from '../../src/flex/plan.ts';
import { STALE_SETUP_MS } from '../../src/flex/service/setup.ts';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { customerConversation, flexRowCounts, flexWorkspace, members, recordingClient, routedTask, type FlexFixture } from './flex-helpers.ts';
import { expectError } from './routing-helpers.ts';

/**
 * The Interactions resource (POST/GET/POST /v1/Interactions[/{Sid}]) and its channels, through the
 * official client: every create example of Twilio's Interactions page with the documented
 * response shape, each initiated_by on each messaging channel type, the asynchronous setup (a
 * channel that fails, a channel left in `setup` by a stopped process) and account isolation.
 */

/** The keys of the page's example response, and of its routing.properties (a TaskRouter task as Flex shows it). */
const TOP_KEYS = ['sid', 'channel', 'routing', 'interaction_context_sid', 'webhook_ttid', 'url', 'links'];
const PROPERTY_KEYS = [
  'date_updated', 'task_queue_entered_date', 'workflow_name', 'age_in_queue', 'task_channel_unique_name', 'assignment_status',
  'queue_name', 'assignmentCounter', 'priority', 'sid', 'workflow_sid', 'routing_target', 'reason', 'attributes',
  'task_channel_sid', 'age', 'workspace_sid', 'account_sid', 'timeout', 'date_created', 'addons', 'queue_sid',
];
/** Keys Flex puts in every first task's attributes (the page's example attributes). */
const ATTRIBUTE_KEYS = [
  'flexInteractionSid', 'flexInteractionChannelSid', 'flexChannelInviteSid', 'conversationSid', 'channelType', 'customers',
  'conversations', 'customerName', 'customerAddress', 'initiatedBy', 'direction',
];
const sorted = (a: Iterable<string>) => [...a].sort();
const sid = (prefix: string) => new RegExp(`^${prefix}[0-9a-f]{32}$`);

interface Expected {
  account: string;
  workspace: string;
  type: string;
  initiatedBy: 'customer' | 'agent' | 'api';
  customerAddress: string;
  customerName?: string;
  /** The conversation the channel must be bound to (customer-initiated, or api with media_channel_sid). */
  conversationSid?: string;
  /** The caller's own attributes, which must be in the task as given. */
  caller?: Record<string, unknown>;
  interactionContextSid?: string | null;
  webhookTtid?: string | null;
}

/**
 * Checks a raw interaction body against the page's documented shape and the facts of this
 * interaction; returns the task (properties, with attributes parsed) and the conversation.
 */
function assertInteraction(t: TestServer, body: any, e: Expected) {
  assert.deepEqual(sorted(Object.keys(body)), sorted(TOP_KEYS), 'the top-level keys of the documented response');
  assert.match(body.sid, sid('KD'));
  assert.deepEqual(sorted(Object.keys(body.channel)), ['sid', 'type']);
  assert.equal(body.channel.type, e.type);
  assert.match(body.channel.sid, sid('UO'));
  assert.equal(body.interaction_context_sid, e.interactionContextSid ?? null);
  assert.equal(body.webhook_ttid, e.webhookTtid ?? null);
  assert.equal(body.url, `${t.baseUrl}/flex-api/v1/Interactions/${body.sid}`);
  assert.deepEqual(body.links, { channels: `${body.url}/Channels` });

  assert.ok(body.routing, 'routing: the task of a channel set up');
  assert.deepEqual(sorted(Object.keys(body.routing)), ['properties', 'reservation']);
  assert.equal(body.routing.reservation, null);
  const p = body.routing.properties;
  assert.deepEqual(sorted(Object.keys(p)), sorted(PROPERTY_KEYS), 'routing.properties has exactly the keys of the page');
  const nowSeconds = Math.floor(t.clock.now() / 1000);
  for (const k of ['date_created', 'date_updated', 'task_queue_entered_date']) {
    assert.ok(Number.isInteger(p[k]), `${k} is an integer (epoch seconds): ${p[k]}`);
    assert.ok(p[k] <= nowSeconds && p[k] > nowSeconds - 3600, `${k} is epoch seconds of the test clock: ${p[k]} vs ${nowSeconds}`);
  }
  for (const k of ['age', 'age_in_queue', 'priority', 'timeout', 'assignmentCounter']) assert.ok(Number.isInteger(p[k]) && p[k] >= 0, `${k}: ${p[k]}`);
  assert.match(p.sid, sid('WT'));
  assert.equal(p.account_sid, e.account);
  assert.equal(p.workspace_sid, e.workspace);
  assert.match(p.queue_sid, sid('WQ'));
  assert.equal(typeof p.queue_name, 'string');
  assert.match(p.task_channel_sid, sid('TC'));
  assert.equal(typeof p.task_channel_unique_name, 'string');
  assert.ok(['pending', 'reserved', 'assigned'].includes(p.assignment_status), p.assignment_status);
  assert.equal(typeof p.reason, 'string');
  assert.equal(typeof p.addons, 'string');
  assert.doesNotThrow(() => JSON.parse(p.addons));
  assert.equal(typeof p.attributes, 'string', 'attributes is a JSON string, as on the page');

  const a = JSON.parse(p.attributes);
  for (const k of ATTRIBUTE_KEYS) assert.ok(k in a, `attributes.${k}`);
  assert.equal(a.flexInteractionSid, body.sid);
  assert.equal(a.flexInteractionChannelSid, body.channel.sid);
  assert.match(a.flexChannelInviteSid, sid('KG'));
  assert.match(a.conversationSid, sid('CH'));
  if (e.conversationSid) assert.equal(a.conversationSid, e.conversationSid);
  assert.equal(a.channelType, e.type);
  assert.equal(a.initiatedBy, e.initiatedBy);
  assert.equal(a.direction, e.initiatedBy === 'agent' ? 'outbound' : 'inbound');
  assert.equal(a.customerAddress, e.customerAddress);
  if (e.customerName) assert.equal(a.customerName, e.customerName);
  assert.equal(typeof a.customerName, 'string');
  assert.ok(a.customers && typeof a.customers === 'object', 'customers is an object');
  assert.deepEqual(a.conversations, {
    ...(a.conversations ?? {}),
    initiated_by: e.initiatedBy,
    conversation_id: body.sid,
    media: [{ type: 'ChatTranscript', sid: a.conversationSid }],
  });
  for (const [k, v] of Object.entries(e.caller ?? {})) assert.deepEqual(a[k], v, `the caller's attribute ${k}, as given`);
  return { task: { ...p, attrs: a } as Record<string, any>, conversationSid: a.conversationSid as string };
}

/** An official client of a fresh account, and a TestServer view of it for the fixtures. */
async function freshAccount(t: TestServer) {
  const other = await t.newAccount();
  const view: TestServer = { ...t, client: other.client, account: other.account };
  return { view, account: other.account, recording: recordingClient(t, other.account) };
}

let phone = 0;
/** A phone number no other test of the file uses (bindings are unique per account). */
const nextPhone = () => `+1555${String(2000000 + ++phone).padStart(7, '0')}`;

for (const backend of backends()) {
  describe(`flex: the Interactions page's create examples (${backend.name})`, () => {
    let t: TestServer;
    before(async () => (t = await startServer(backend)));
    after(() => t.close());

    test("the abbreviated `channel: {}` example is refused with 400/20001 and creates nothing", async () => {
      await flexWorkspace(t);
      const before = await flexRowCounts(t);
      await expectError(t.client.flexApi.v1.interaction.create({ channel: {} }), 400, 20001, /Channel\.type/);
      assert.deepEqual(await flexRowCounts(t), before);
    });

    test('the abbreviated customer-initiated example (no media_channel_sid, no Routing) is refused with 400/20001 and creates nothing', async () => {
      await flexWorkspace(t);
      const before = await flexRowCounts(t);
      await expectError(t.client.flexApi.v1.interaction.create({ channel: { type: 'sms', initiated_by: 'customer' } }), 400, 20001);
      assert.deepEqual(await flexRowCounts(t), before);
    });

    test("the spec's own request example (the same customer channel, Routing {}) is refused with 400/20001 and creates nothing", async () => {
      await flexWorkspace(t);
      const before = await flexRowCounts(t);
      const request = t.client.flexApi.v1.interaction.create({
        channel: { type: 'sms', initiated_by: 'customer' },
        routing: {},
        interactionContextSid: 'HQ' + 'a'.repeat(32),
        webhookTtid: 'flex_interactionwebhook_00000000000000000000000000',
      });
      await expectError(request, 400, 20001, /Routing\.properties|media_channel_sid/);
      assert.deepEqual(await flexRowCounts(t), before);
    });

    test('the customer-initiated example, completed with the media_channel_sid the page requires and Routing', async () => {
      const { view, account, recording } = await freshAccount(t);
      const f = await flexWorkspace(view, ['alice']);
      const { conversationSid } = await customerConversation(view, { address: '+13115552368', proxy: '+192555512345', name: 'customer name' });
      await recording.client.flexApi.v1.interaction.create({
        channel: { type: 'sms', initiated_by: 'customer', properties: { media_channel_sid: conversationSid } },
        routing: { properties: { workspace_sid: f.wsSid, workflow_sid: f.workflowSid, task_channel_unique_name: 'sms' } },
      });
      const { status, body } = recording.last();
      assert.equal(status, 200, 'create answers 200, as the page documents');
      const { task } = assertInteraction(t, body, {
        account: account.accountSid, workspace: f.wsSid, type: 'sms', initiatedBy: 'customer',
        customerAddress: '+13115552368', customerName: 'customer name', conversationSid,
      });
      assert.deepEqual(task.attrs.customers, { phone: '+13115552368', name: 'customer name' });
      assert.equal(task.task_channel_unique_name, 'sms');
      assert.equal(task.workflow_sid, f.workflowSid);
      assert.equal(task.queue_sid, f.queueSid);
      assert.equal(task.queue_name, 'Support');
      assert.deepEqual(await members(view, conversationSid), ['+13115552368']);
    });

    test('the outbound (agent-initiated) SMS example, with the SIDs of a real workspace', async () => {
      const { view, account, recording } = await freshAccount(t);
      const f = await flexWorkspace(view, ['alice', 'bob']);
      const attributes = { customerName: 'silly name', customerAddress: '+13115552368' };
      await recording.client.flexApi.v1.interaction.create({
        channel: { type: 'sms', initiated_by: 'agent', participants: [{ address: '+13115552368', proxy_address: '+192555512345' }] },
        routing: {
          properties: {
            workspace_sid: f.wsSid, workflow_sid: f.workflowSid, queue_sid: f.queueSid, worker_sid: f.agents.bob,
            task_channel_unique_name: 'sms', attributes,
          },
        },
      });
      const { status, body } = recording.last();
      assert.equal(status, 200);
      const { task, conversationSid } = assertInteraction(t, body, {
        account: account.accountSid, workspace: f.wsSid, type: 'sms', initiatedBy: 'agent',
        customerAddress: '+13115552368', customerName: 'silly name', caller: attributes,
      });
      assert.equal(task.routing_target, f.agents.bob, "routed to the agent who started it");
      assert.deepEqual((await f.pending(task.sid)).map((r) => r.workerSid), [f.agents.bob], 'offered to bob, not to alice (idle longer)');
      assert.equal(task.queue_sid, f.queueSid);
      assert.equal(task.task_channel_unique_name, 'sms');
      assert.deepEqual(await members(view, conversationSid), ['+13115552368', 'bob'], 'a new conversation with the customer and the agent');
    });

    test('the API-initiated SMS example, with the SIDs of a real workspace', async () => {
      const { view, account, recording } = await freshAccount(t);
      const f = await flexWorkspace(view, ['alice']);
      const attributes = { from: 'testname', customerName: 'testcustomer', customerAddress: '+13115552368' };
      await recording.client.flexApi.v1.interaction.create({
        channel: { type: 'sms', initiated_by: 'api', participants: [{ address: '+13115552368', proxy_address: '+192555512345' }] },
        routing: { properties: { workspace_sid: f.wsSid, workflow_sid: f.workflowSid, task_channel_unique_name: 'sms', attributes } },
      });
      const { status, body } = recording.last();
      assert.equal(status, 200);
      const { task, conversationSid } = assertInteraction(t, body, {
        account: account.accountSid, workspace: f.wsSid, type: 'sms', initiatedBy: 'api',
        customerAddress: '+13115552368', customerName: 'testcustomer', caller: attributes,
      });
      assert.equal(task.workflow_sid, f.workflowSid);
      assert.equal(task.workflow_name, (await f.w.workflows(f.workflowSid).fetch()).friendlyName);
      assert.equal(task.routing_target, null, 'an inbound task: the workflow picks the agent');
      assert.deepEqual(await members(view, conversationSid), ['+13115552368']);
    });
  });
}

type ChannelType = 'sms' | 'whatsapp' | 'chat' | 'email';
type InitiatedBy = 'customer' | 'agent' | 'api';

/** A new customer on a channel type: as a participant of the request, as a conversation member, as the task names them. */
interface Customer {
  /** Channel.participants[] entry. */
  participant: Record<string, unknown>;
  /** What customerConversation needs to put them in a conversation (customer-initiated). */
  conversation: { address?: string; proxy?: string; identity?: string; name?: string };
  /** customerAddress in the task, and their identity/address in the conversation. */
  address: string;
  /** The key of task attributes `customers` that holds the address. */
  customersKey: string;
}

let serial = 0;
const SPECS: Record<ChannelType, { customer(): Customer; properties?: Record<string, string> }> = {
  sms: {
    customer() {
      const address = nextPhone();
      return { participant: { address, proxy_address: '+15550009999', name: 'Ada' }, conversation: { address, proxy: '+15550009999', name: 'Ada' }, address, customersKey: 'phone' };
    },
  },
  whatsapp: {
    customer() {
      const address = `whatsapp:${nextPhone()}`;
      return {
        participant: { address, proxy_address: 'whatsapp:+15550009998', name: 'Ada' },
        conversation: { address, proxy: 'whatsapp:+15550009998', name: 'Ada' },
        address,
        customersKey: 'phone',
      };
    },
  },
  chat: {
    customer() {
      const identity = `ada-${++serial}`;
      return { participant: { identity, name: 'Ada' }, conversation: { identity, name: 'Ada' }, address: identity, customersKey: 'identity' };
    },
  },
  email: {
    customer() {
      const address = `ada${++serial}@example.com`;
      return { participant: { level: 'to', name: 'Ada', address }, conversation: { address, name: 'Ada' }, address, customersKey: 'email' };
    },
    properties: { from: 'support@acme.example', from_name: 'Acme Support' },
  },
};

for (const backend of backends()) {
  describe(`flex: each initiated_by on each channel type (${backend.name})`, () => {
    let t: TestServer;
    let rec: ReturnType<typeof recordingClient>;
    before(async () => {
      t = await startServer(backend);
      rec = recordingClient(t);
    });
    after(() => t.close());

    for (const type of ['sms', 'whatsapp', 'chat', 'email'] as const) {
      for (const by of ['customer', 'agent', 'api'] as const) {
        test(`${type}, initiated by ${by}: channel active, conversation and task right, fetch and update`, async () => {
          const spec = SPECS[type];
          const f = await flexWorkspace(t, ['alice']);
          // Named otherwise than its identity: the agent joins as client:bob says, not by name.
          f.agents.bob = (await f.worker('Robert Agent', { contact_uri: 'client:bob' })).sid;
          const flex = rec.client.flexApi.v1;
          const cv = t.client.conversations.v1;
          const customer = spec.customer();
          const existing = new Set((await cv.conversations.list()).map((c) => c.sid));
          const media = by === 'customer' ? (await customerConversation(t, customer.conversation)).conversationSid : undefined;

          const channel: Record<string, unknown> = { type, initiated_by: by };
          if (by === 'customer') channel.properties = { media_channel_sid: media };
          else {
            channel.participants = [customer.participant];
            if (spec.properties) channel.properties = spec.properties;
          }
          const caller = { caseNumber: `case-${type}-${by}`, priorityCustomer: true };
          const routing = f.routing({ ...(by === 'agent' ? { queue_sid: f.queueSid, worker_sid: f.agents.bob } : {}), attributes: caller });
          const hq = 'HQ' + (++serial).toString(16).padStart(32, '0');
          const ttid = `flex_interactionwebhook_${type}${by}`;
          const created = await flex.interaction.create({ channel, routing, interactionContextSid: hq, webhookTtid: ttid });
          const { status, body } = rec.last();
          assert.equal(status, 200);
          await flex.interaction(created.sid).fetch();
          assert.deepEqual(rec.last().body, body, 'the create is answered with what a fetch reads');
          assert.equal(created.interactionContextSid, hq, 'InteractionContextSid is echoed');
          assert.equal(created.webhookTtid, ttid, 'WebhookTtid is echoed');
          const { task, conversationSid } = assertInteraction(t, body, {
            account: t.account.accountSid, workspace: f.wsSid, type, initiatedBy: by, customerAddress: customer.address,
            customerName: 'Ada', conversationSid: media, caller, interactionContextSid: hq, webhookTtid: ttid,
          });
          assert.deepEqual(task.attrs.customers, { [customer.customersKey]: customer.address, name: 'Ada' });

          // The channel is set up: fetched, it is active.
          const ch = await flex.interaction(created.sid).channels(body.channel.sid).fetch();
          assert.equal(ch.status, 'active');
          assert.equal(ch.type, type);
          assert.equal(ch.interactionSid, created.sid);
          assert.equal(ch.errorCode, null);
          assert.equal(ch.errorMessage, null);

          // The conversation: the customer's own (customer), else a new one; who is in it.
          if (by === 'customer') assert.equal(conversationSid, media);
          else assert.ok(!existing.has(conversationSid), 'a new conversation');
          assert.equal((await cv.conversations(conversationSid).fetch()).state, 'active');
          const expectedMembers = by === 'agent' ? [customer.address, 'bob'].sort() : [customer.address];
          assert.deepEqual(await members(t, conversationSid), expectedMembers);
          const parts = await flex.interaction(created.sid).channels(ch.sid).participants.list();
          assert.deepEqual(parts.map((p) => p.type).sort(), by === 'agent' ? ['agent', 'customer'] : ['customer']);
          if (type === 'email' && by !== 'customer') {
            const conversation = await cv.conversations(conversationSid).fetch();
            assert.deepEqual(conversation.bindings, { email: { address: 'support@acme.example', name: 'Acme Support' } }, 'from and from_name');
            const [p] = await cv.conversations(conversationSid).participants.list();
            assert.deepEqual(p.messagingBinding, { ...(p.messagingBinding as object), address: customer.address });
            assert.deepEqual(JSON.parse(p.attributes), { friendlyName: 'Ada', level: 'to' }, "the participant's name and level");
          }

          // The task: an agent's goes to that agent, outbound; the others are routed by the workflow.
          const offers = await f.pending(task.sid);
          if (by === 'agent') {
            assert.equal(task.routing_target, f.agents.bob);
            assert.equal(task.queue_sid, f.queueSid);
            assert.deepEqual(offers.map((r) => r.workerSid), [f.agents.bob]);
            const agent = parts.find((p) => p.type === 'agent')!;
            assert.deepEqual(agent.routingProperties, { workspace_sid: f.wsSid, task_sid: task.sid, worker_sid: f.agents.bob });
          } else {
            assert.equal(task.routing_target, null);
            assert.equal(task.workflow_sid, f.workflowSid);
            assert.deepEqual(offers.map((r) => r.workerSid), [f.agents.alice], 'alice has been idle longest');
          }

          // Fetch returns the same interaction; WebhookTtid is the one thing update changes.
          await flex.interaction(created.sid).fetch();
          assert.deepEqual(rec.last().body, body);
          const updated = await flex.interaction(created.sid).update({ webhookTtid: 'flex_interactionwebhook_updated' });
          assert.equal(updated.webhookTtid, 'flex_interactionwebhook_updated');
          assert.deepEqual(rec.last().body, { ...body, webhook_ttid: 'flex_interactionwebhook_updated' });
          assert.equal((await flex.interaction(created.sid).fetch()).webhookTtid, 'flex_interactionwebhook_updated');
          assert.equal(rec.last().body.interaction_context_sid, hq);
        });
      }
    }

    test('api with media_channel_sid binds to that conversation and adds the participants to it', async () => {
      const f = await flexWorkspace(t, ['alice']);
      const first = SPECS.chat.customer();
      const second = SPECS.chat.customer();
      const { conversationSid } = await customerConversation(t, first.conversation);
      const created = await rec.client.flexApi.v1.interaction.create({
        channel: { type: 'chat', initiated_by: 'api', properties: { media_channel_sid: conversationSid }, participants: [second.participant] },
        routing: f.routing(),
      });
      const { task } = assertInteraction(t, rec.last().body, {
        account: t.account.accountSid, workspace: f.wsSid, type: 'chat', initiatedBy: 'api', customerAddress: first.address, conversationSid,
      });
      assert.equal(task.attrs.conversationSid, conversationSid);
      assert.deepEqual(await members(t, conversationSid), [first.address, second.address].sort());
      const parts = await rec.client.flexApi.v1.interaction(created.sid).channels((created.channel as { sid: string }).sid).participants.list();
      assert.deepEqual(parts.map((p) => p.type), ['customer', 'customer']);
    });
  });
}

for (const backend of backends()) {
  describe(`flex: asynchronous channel setup (${backend.name})`, () => {
    let t: TestServer;
    let rec: ReturnType<typeof recordingClient>;
    before(async () => {
      t = await startServer(backend);
      rec = recordingClient(t);
    });
    after(() => t.close());

    /**
     * Creates an interaction whose media cannot be set up: create still answers 200 (the request
     * was accepted) with routing null, and the getters show the channel `failed` with the reason.
     * Nothing of the media or routing stays.
     */
    async function expectFailedSetup(f: FlexFixture, channel: Record<string, unknown>, code: number, message: RegExp) {
      const before = await flexRowCounts(t);
      const flex = rec.client.flexApi.v1;
      const created = await flex.interaction.create({ channel, routing: f.routing() });
      const { status, body } = rec.last();
      assert.equal(status, 200, 'the request was accepted');
      assert.deepEqual(sorted(Object.keys(body)), sorted(TOP_KEYS));
      assert.equal(body.routing, null, 'no task');
      const channelSid = body.channel.sid;
      const ch = await flex.interaction(created.sid).channels(channelSid).fetch();
      assert.equal(ch.status, 'failed');
      assert.equal(ch.errorCode, code);
      assert.match(ch.errorMessage ?? '', message);
      const listed = await flex.interaction(created.sid).channels.list();
      assert.deepEqual(listed.map((c) => [c.sid, c.status, c.errorCode, c.errorMessage]), [[channelSid, 'failed', code, ch.errorMessage]]);
      assert.equal((await flex.interaction(created.sid).fetch()).routing, null);
      const after = await flexRowCounts(t);
      assert.deepEqual(after, { ...before, interactions: before.interactions + 1, interaction_channels: before.interaction_channels + 1 }, 'only the interaction and its channel stay');
      assert.equal(await f.w.tasks.list().then((ts) => ts.length), 0, 'no task in the workspace');
      // A failed channel can only be closed.
      assert.equal((await flex.interaction(created.sid).channels(channelSid).update({ status: 'closed' })).status, 'closed');
      return created;
    }

    test("api sms whose address and proxy address are bound in another open conversation: failed, 50416", async () => {
      const f = await flexWorkspace(t);
      const address = nextPhone();
      const { conversationSid } = await customerConversation(t, { address, proxy: '+15550009999' });
      await expectFailedSetup(f, { type: 'sms', initiated_by: 'api', participants: [{ address, proxy_address: '+15550009999' }] }, 50416, new RegExp(conversationSid));
      assert.deepEqual(await members(t, conversationSid), [address], 'the other conversation is untouched');
    });

    test('customer with a closed conversation: failed, 19025', async () => {
      const f = await flexWorkspace(t);
      const { conversationSid } = await customerConversation(t, { address: nextPhone(), proxy: '+15550009999' });
      await t.client.conversations.v1.conversations(conversationSid).update({ state: 'closed' });
      await expectFailedSetup(f, { type: 'sms', initiated_by: 'customer', properties: { media_channel_sid: conversationSid } }, 19025, /closed/);
    });

    test('customer with a conversation nobody is in: failed, 19025', async () => {
      const f = await flexWorkspace(t);
      const c = await t.client.conversations.v1.conversations.create({ friendlyName: 'empty' });
      await expectFailedSetup(f, { type: 'chat', initiated_by: 'customer', properties: { media_channel_sid: c.sid } }, 19025, /customer/);
      assert.deepEqual(await members(t, c.sid), []);
    });

    test('a channel left in setup by a process that stopped is visible as setup, and a later poll finishes it', async () => {
      const f = await flexWorkspace(t);
      const address = nextPhone();
      // A channel left in setup (what an earlier version committed before setting it up); the process stopped there.
      const request = planInteraction(
        { type: 'sms', initiated_by: 'api', participants: [{ address, proxy_address: '+15550009999', name: 'Ada' }] },
        f.routing({ attributes: { recovered: true } }),
      );
      assert.equal(request.kind, 'new');
      const now = t.clock.now();
      const kd = 'KD' + 'c'.repeat(32);
      const uo = 'UO' + 'c'.repeat(32);
      await t.server.db.transaction(async (tx) => {
        await interactionTable.insert(tx, { sid: kd, account_sid: t.account.accountSid, channel_sid: uo, interaction_context_sid: null, webhook_ttid: null, date_created: now, date_updated: now });
        await channelTable.insert(tx, {
          sid: uo, account_sid: t.account.accountSid, interaction_sid: kd, type: 'sms', initiated_by: 'api', status: 'setup',
          error_code: null, error_message: null, conversation_sid: null, workspace_sid: f.wsSid,
          setup: JSON.stringify(request.kind === 'new' ? request.plan : null), date_created: now, date_updated: now,
        });
      });
      const flex = rec.client.flexApi.v1;
      const conversationsBefore = (await flexRowCounts(t)).conversations;

      // The getters show it being set up.
      await flex.interaction(kd).fetch();
      assert.deepEqual(rec.last().body, {
        sid: kd, channel: { type: 'sms', sid: uo }, routing: null, interaction_context_sid: null, webhook_ttid: null,
        url: `${t.baseUrl}/flex-api/v1/Interactions/${kd}`, links: { channels: `${t.baseUrl}/flex-api/v1/Interactions/${kd}/Channels` },
      });
      assert.equal((await flex.interaction(kd).channels(uo).fetch()).status, 'setup');
      assert.deepEqual((await flex.interaction(kd).channels.list()).map((c) => c.status), ['setup']);

      // Not yet stale: another node may still be setting it up.
      t.clock.advance(STALE_SETUP_MS - 1);
      await t.server.flex.poll();
      assert.equal((await flex.interaction(kd).channels(uo).fetch()).status, 'setup');
      assert.equal((await flexRowCounts(t)).conversations, conversationsBefore);

      // Stale: the poll takes it over and finishes it.
      t.clock.advance(1);
      await t.server.flex.poll();
      const ch = await flex.interaction(kd).channels(uo).fetch();
      assert.equal(ch.status, 'active');
      await flex.interaction(kd).fetch();
      const { task, conversationSid } = assertInteraction(t, rec.last().body, {
        account: t.account.accountSid, workspace: f.wsSid, type: 'sms', initiatedBy: 'api', customerAddress: address, customerName: 'Ada',
        caller: { recovered: true },
      });
      assert.equal(task.attrs.flexInteractionSid, kd);
      assert.deepEqual(await members(t, conversationSid), [address]);
      assert.deepEqual((await f.pending(task.sid)).map((r) => r.workerSid), [f.agents.alice]);

      // Finished once: another poll changes nothing.
      const counts = await flexRowCounts(t);
      t.clock.advance(STALE_SETUP_MS);
      await t.server.flex.poll();
      assert.deepEqual(await flexRowCounts(t), counts);
    });
  });

  describe(`flex: channel list and fetch, and account isolation (${backend.name})`, () => {
    let t: TestServer;
    let rec: ReturnType<typeof recordingClient>;
    before(async () => {
      t = await startServer(backend);
      rec = recordingClient(t);
    });
    after(() => t.close());

    test("an interaction's one channel, listed and fetched; another account gets 404 for both", async () => {
      const f = await flexWorkspace(t);
      const customer = SPECS.sms.customer();
      const flex = rec.client.flexApi.v1;
      const created = await flex.interaction.create({ channel: { type: 'sms', initiated_by: 'api', participants: [customer.participant] }, routing: f.routing() });
      const channelSid = (created.channel as { sid: string }).sid;

      const listed = await flex.interaction(created.sid).channels.list();
      const page = rec.last().body;
      assert.deepEqual(sorted(Object.keys(page)), ['channels', 'meta']);
      assert.equal(page.meta.key, 'channels');
      assert.equal(listed.length, 1);
      await flex.interaction(created.sid).channels(channelSid).fetch();
      const fetched = rec.last().body;
      assert.deepEqual(page.channels, [fetched], 'the list shows the channel as fetch does');
      const url = `${t.baseUrl}/flex-api/v1/Interactions/${created.sid}/Channels/${channelSid}`;
      assert.deepEqual(fetched, {
        sid: channelSid, interaction_sid: created.sid, type: 'sms', status: 'active', error_code: null, error_message: null, url,
        links: { participants: `${url}/Participants`, invites: `${url}/Invites`, transfers: `${url}/Transfers` },
      });

      // A channel SID under the wrong interaction is not found.
      const second = await flex.interaction.create({ channel: { type: 'sms', initiated_by: 'api', participants: [SPECS.sms.customer().participant] }, routing: f.routing() });
      await expectError(flex.interaction(second.sid).channels(channelSid).fetch(), 404, 20404);

      const other = await t.newAccount();
      const theirs = other.client.flexApi.v1;
      const before = await flexRowCounts(t);
      await expectError(theirs.interaction(created.sid).fetch(), 404, 20404);
      await expectError(theirs.interaction(created.sid).update({ webhookTtid: 'flex_interactionwebhook_stolen' }), 404, 20404);
      await expectError(theirs.interaction(created.sid).channels.list(), 404, 20404);
      await expectError(theirs.interaction(created.sid).channels(channelSid).fetch(), 404, 20404);
      await expectError(theirs.interaction(created.sid).channels(channelSid).update({ status: 'closed' }), 404, 20404);
      await expectError(theirs.interaction(created.sid).channels(channelSid).participants.list(), 404, 20404);
      await expectError(theirs.interaction(created.sid).channels(channelSid).invites.list(), 404, 20404);
      // Binding to our channel or our conversation from their account is refused too.
      await expectError(theirs.interaction.create({ channel: { sid: channelSid } }), 400, 20001);
      assert.deepEqual(await flexRowCounts(t), before);
      assert.equal((await flex.interaction(created.sid).fetch()).webhookTtid, null, 'unchanged');
      assert.equal((await flex.interaction(created.sid).channels(channelSid).fetch()).status, 'active', 'unchanged');
    });
  });
}
