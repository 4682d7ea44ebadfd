/**
 * What an agent's tokens can reach, and what the agent can do about it with those same tokens:
 * nothing. A worker token may not change the chat identity of its own worker (contact_uri) nor its
 * name, so token renewal never hands out another agent's or a web chat customer's identity; the
 * agent routes find a task's chat from the server's own records, not from task attributes the agent
 * can write; and a task a worker token creates is routed to that worker only (worker.createTask).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { nextEvent, within, type Client, type Message } from '../support/conversations-sdk.ts';
import { collect, conversationOf, sdkFor, shutdownAll } from '../support/sdk-chat.ts';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { connectWorker, envelope, type SdkWorker } from './event-bridge-support.ts';
import { flexWorkspace, type FlexFixture } from './flex-helpers.ts';

const PASSWORD = 'correct horse battery';
const form = (o: Record<string, string>) => new URLSearchParams(o).toString();

/** The JWT's payload, unchecked (the server's verifiers are what check it). */
const decode = (token: string): any => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));

function expect403(res: { status: number; body: any }, message: RegExp) {
  assert.equal(res.status, 403, JSON.stringify(res.body));
  assert.equal(res.body.code, 20403);
  assert.match(res.body.message, message);
}

for (const backend of backends()) {
  describe(`agent identity: a worker token cannot make its agent someone else (${backend.name})`, () => {
    let t: TestServer;
    const clients: Client[] = [];
    const workers: SdkWorker[] = [];
    before(async () => {
      t = await startServer(backend);
      // Tokens are checked against the server clock; the SDK runs on real timers.
      t.clock.set(Date.now());
    });
    after(async () => {
      await shutdownAll(clients);
      for (const w of workers) w.disconnect();
      await t.close();
    });

    const signIn = async (username: string) => {
      const res = await t.http('POST', '/switchyard/v1/Agent/Sessions', { body: form({ AccountSid: t.account.accountSid, Username: username, Password: PASSWORD }), auth: null });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body;
    };
    const agentCall = (method: string, path: string, token: string) =>
      t.http(method, `/switchyard/v1/Agent${path}`, { auth: null, headers: { authorization: `Bearer ${token}` } });
    const renew = async (token: string) => {
      const res = await agentCall('POST', '/Tokens', token);
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body;
    };
    const messages = async (conversationSid: string) =>
      (await t.client.conversations.v1.conversations(conversationSid).messages.list()).map((m) => [m.author, m.body]);
    /** The Conversations SDK as the holder of this chat token, with every message it is told of. */
    const open = async (token: string) => {
      const client = await sdkFor(t, token, clients);
      return { client, heard: collect<Message>(client, 'messageAdded') };
    };
    /** The SDK will not open a conversation its identity is not in, so it has nothing to write there with. */
    const refusedIn = async (client: Client, conversationSid: string) =>
      assert.rejects(within(client.getConversationBySid(conversationSid), 'getConversationBySid'), (err: Error) => !/no answer within/.test(err.message));

    /**
     * bob (signed in) is chatting with a web chat customer, who has told him a secret; mallory (signed
     * in, offline while the chat was routed) is another agent of the workspace.
     */
    async function scene() {
      const f: FlexFixture = await flexWorkspace(t, ['bob', 'mallory']);
      await f.w.workers(f.agents.mallory).update({ activitySid: f.act.offline });
      // Usernames are unique in the account; every scene has a workspace of its own.
      const username = (name: string) => `${name}@${f.wsSid.slice(-8)}`;
      for (const name of ['bob', 'mallory']) {
        const body = form({ Username: username(name), Password: PASSWORD });
        const set = await t.http('POST', `/switchyard/v1/Workspaces/${f.wsSid}/Workers/${f.agents[name]}/Credentials`, { body });
        assert.equal(set.status, 201, JSON.stringify(set.body));
      }
      const bob = await signIn(username('bob'));
      const mallory = await signIn(username('mallory'));
      const widget = await t.http('POST', '/switchyard/v1/WebChat/Widgets', { body: form({ WorkspaceSid: f.wsSid, WorkflowSid: f.workflowSid }) });
      assert.equal(widget.status, 201, JSON.stringify(widget.body));
      const started = await t.http('POST', '/webchat/v1/Sessions', { body: form({ Widget: widget.body.sid, Name: 'Ada' }), auth: null });
      assert.equal(started.status, 201, JSON.stringify(started.body));
      const customer = started.body as { identity: string; conversation_sid: string; interaction_sid: string; token: string };
      const [task] = await f.w.tasks.list({ evaluateTaskAttributes: `conversationSid == "${customer.conversation_sid}"` });
      const [offer] = await f.pending(task.sid);
      assert.equal(offer.workerSid, f.agents.bob);
      await f.w.tasks(task.sid).reservations(offer.sid).update({ reservationStatus: 'accepted' });
      await t.client.conversations.v1.conversations(customer.conversation_sid).messages.create({ author: customer.identity, body: 'my card is 4242' });
      const attrs = JSON.parse(task.attributes);
      return { f, bob, mallory, customer, taskSid: task.sid, channelSid: attrs.flexInteractionChannelSid as string };
    }

    /** The worker SDK's own call, through the envelope, as mallory's token. */
    const updateSelf = (f: FlexFixture, token: string, params: Record<string, string>) =>
      envelope(t, { url: `Workspaces/${f.wsSid}/Workers/${f.agents.mallory}`, method: 'POST', params, token });

    test("contact_uri set to another agent's identity: refused; renewal keeps the agent's own chat identity; bob's chat stays closed to mallory", async () => {
      const { f, bob, mallory, customer, taskSid } = await scene();
      const before = (await f.w.workers(f.agents.mallory).fetch()).attributes;

      expect403(await updateSelf(f, mallory.worker_token, { Attributes: JSON.stringify({ contact_uri: 'client:bob' }) }), /identity/);
      expect403(await updateSelf(f, mallory.worker_token, { FriendlyName: 'bob-too' }), /FriendlyName/);
      const worker = await f.w.workers(f.agents.mallory).fetch();
      assert.equal(worker.attributes, before, 'nothing changed');
      assert.equal(worker.friendlyName, 'mallory');

      const renewed = await renew(mallory.worker_token);
      assert.equal(renewed.identity, 'mallory');
      assert.equal(decode(renewed.chat_token).grants.identity, 'mallory');
      assert.equal(decode(renewed.worker_token).grants.identity, 'mallory');

      // Not on bob's chat: mallory's SDK cannot open it to write there, the agent routes will not read it.
      const sdk = await open(renewed.chat_token);
      assert.equal(sdk.client.user.identity, 'mallory');
      await refusedIn(sdk.client, customer.conversation_sid);
      // Nor is what is said there pushed to her: once bob's SDK has the customer's next message, every push of it is done.
      const bobSdk = await open(bob.chat_token);
      const bobChat = await conversationOf(t, bobSdk.client, customer.conversation_sid);
      const heardByBob = nextEvent<Message>(bobChat, 'messageAdded', (m) => m.body === 'are you there?');
      await t.client.conversations.v1.conversations(customer.conversation_sid).messages.create({ author: customer.identity, body: 'are you there?' });
      await t.server.sdk.flush();
      await heardByBob;
      await refusedIn(sdk.client, customer.conversation_sid);
      assert.deepEqual(sdk.heard, [], 'no message of that chat reached mallory');
      expect403(await agentCall('GET', `/Tasks/${taskSid}/Messages`, renewed.worker_token), /not assigned/);
      assert.deepEqual(await messages(customer.conversation_sid), [
        [customer.identity, 'my card is 4242'],
        [customer.identity, 'are you there?'],
      ]);

      // What the SDK may still change about itself: anything that leaves its identity as it is.
      const kept = await updateSelf(f, mallory.worker_token, { Attributes: JSON.stringify({ contact_uri: 'client:mallory', languages: ['en'] }) });
      assert.equal(kept.status, 200, JSON.stringify(kept.body));
      assert.deepEqual(JSON.parse(kept.body.payload.attributes), { contact_uri: 'client:mallory', languages: ['en'] });
      assert.equal((await updateSelf(f, mallory.worker_token, { FriendlyName: 'mallory' })).status, 200, 'its own name, unchanged');
      // An administrator may change it, with account credentials, as on Twilio; renewal follows.
      await f.w.workers(f.agents.mallory).update({ attributes: JSON.stringify({ contact_uri: 'client:mallory.k' }) });
      assert.equal((await renew(mallory.worker_token)).identity, 'mallory.k');
    });

    test("contact_uri set to a web chat customer's identity: refused; no customer token, renewal or conversation for the agent", async () => {
      const { f, mallory, customer } = await scene();
      expect403(await updateSelf(f, mallory.worker_token, { Attributes: JSON.stringify({ contact_uri: `client:${customer.identity}` }) }), /identity/);

      const renewed = await renew(mallory.worker_token);
      assert.equal(renewed.identity, 'mallory');
      assert.equal(decode(renewed.chat_token).grants.identity, 'mallory');
      // The customer's token renewal takes the customer's token only; mallory's SDK cannot open the customer's chat.
      const renewal = await t.http('POST', '/webchat/v1/Sessions/Token', { auth: `Bearer ${renewed.chat_token}` });
      assert.equal(renewal.status, 401, JSON.stringify(renewal.body));
      const sdk = await open(renewed.chat_token);
      await refusedIn(sdk.client, customer.conversation_sid);
      assert.deepEqual(sdk.heard, []);
      assert.deepEqual(await messages(customer.conversation_sid), [[customer.identity, 'my card is 4242']]);

      // Even set by an administrator, a customer's identity is no agent's: no tokens for it.
      await f.w.workers(f.agents.mallory).update({ attributes: JSON.stringify({ contact_uri: `client:${customer.identity}` }) });
      expect403(await agentCall('POST', '/Tokens', mallory.worker_token), /reserved for web chat customers/);
    });

    test("a task the agent makes with another chat's Flex attributes reaches neither that chat's transcript nor its End chat", async () => {
      const { f, mallory, customer, channelSid } = await scene();
      await f.w.workers(f.agents.mallory).update({ activitySid: f.act.available });
      const created = await envelope(t, {
        url: `Workspaces/${f.wsSid}/Tasks`,
        method: 'POST',
        params: {
          WorkflowSid: f.workflowSid,
          TaskQueueSid: f.queueSid,
          RoutingTarget: f.agents.mallory,
          TaskChannelUniqueName: 'chat',
          Attributes: JSON.stringify({ flexInteractionSid: customer.interaction_sid, flexInteractionChannelSid: channelSid, conversationSid: customer.conversation_sid }),
        },
        token: mallory.worker_token,
      });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      const own = created.body.payload.sid as string;
      const [offer] = await f.pending(own);
      assert.equal(offer.workerSid, f.agents.mallory);
      const accepted = await envelope(t, {
        url: `Workspaces/${f.wsSid}/Workers/${f.agents.mallory}/Reservations/${offer.sid}`,
        method: 'POST',
        params: { ReservationStatus: 'accepted' },
        token: mallory.worker_token,
      });
      assert.equal(accepted.status, 200, JSON.stringify(accepted.body));

      for (const [method, path] of [['GET', 'Messages'], ['POST', 'EndChat']]) {
        const res = await agentCall(method, `/Tasks/${own}/${path}`, mallory.worker_token);
        assert.equal(res.status, 400, `${path}: ${JSON.stringify(res.body)}`);
        assert.match(res.body.message, /not a Flex Interactions task/);
      }
      assert.equal((await t.client.flexApi.v1.interaction(customer.interaction_sid).channels(channelSid).fetch()).status, 'active', "bob's chat goes on");
    });

    test('worker.createTask() through the official SDK is routed to the worker; any other task is 403 and nothing is made', async () => {
      const { f, mallory } = await scene();
      await f.w.workers(f.agents.mallory).update({ activitySid: f.act.available });
      const { worker } = await connectWorker(t.baseUrl, mallory.worker_token, mallory.event_bridge);
      workers.push(worker);
      const sid = await worker.createTask('+15550001111', '+15550002222', f.workflowSid, f.queueSid, { attributes: { purpose: 'callback' } });
      const task = await f.w.tasks(sid).fetch();
      assert.equal(task.routingTarget, f.agents.mallory);
      assert.deepEqual(JSON.parse(task.attributes), { purpose: 'callback', outbound_to: '+15550001111', from: '+15550002222' });
      assert.deepEqual((await f.pending(sid)).map((r) => r.workerSid), [f.agents.mallory]);

      const count = async () => (await f.w.tasks.list()).length;
      const before = await count();
      const base = { WorkflowSid: f.workflowSid, TaskQueueSid: f.queueSid, Attributes: '{"outbound_to":"+15550003333"}' };
      for (const params of [base, { ...base, RoutingTarget: f.agents.bob }, { ...base, RoutingTarget: f.queueSid }, { ...base, RoutingTarget: f.workflowSid }]) {
        const res = await envelope(t, { url: `Workspaces/${f.wsSid}/Tasks`, method: 'POST', params, token: mallory.worker_token });
        expect403(res, new RegExp(`only create Tasks routed to itself \\(RoutingTarget=${f.agents.mallory}\\)`));
      }
      assert.equal(await count(), before, 'no task was made');
    });
  });
}
