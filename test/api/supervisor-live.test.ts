/**
 * The supervisor board's server side, part two: what the board shows and how it stays live. Per
 * queue the statistics, per agent their activity and time in it, tasks, capacity used and longest
 * chat; the chats under way; the last hour's chart. Each change is pushed over the board's event
 * stream as it commits (the tests here turn polling down to a minute, so only a push can bring
 * it). A chat is monitored read-only, then joined (barge-in) as Flex's supervisor participant.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { assertTwilioError } from '../support/twilio-error.ts';
import { flexWorkspace, members, routedTask, type FlexFixture } from './flex-helpers.ts';
import { boardServer, call, makeSupervisor, openStream, setPassword, signIn, type BoardServer, type Stream } from './supervisor-helpers.ts';

const PASSWORD = 'supervisor password 1';
/** Polling for other nodes' changes is a minute away here: what arrives sooner was pushed. */
const NO_POLL = { pollMs: 60_000, refreshMs: 600_000, minGapMs: 0 };

for (const backend of backends()) {
  describe(`supervisor: the board, pushed; chats monitored and joined (${backend.name})`, () => {
    let t: TestServer;
    let board: BoardServer;
    const streams: Stream[] = [];
    let teams = 0;
    before(async () => {
      t = await startServer(backend);
      board = await boardServer(t, NO_POLL);
    });
    after(async () => {
      for (const s of streams) s.close();
      await board.close();
      await t.close();
    });
    const open = async (path: string, token: string) => {
      const s = await openStream(board.url, path, token);
      streams.push(s);
      return s;
    };

    /** Agents alice (chat capacity 2, available) and bob (offline), supervisor sam (offline), all signed up; sam signed in. */
    async function team() {
      const n = ++teams;
      const names = { alice: `alice${n}`, bob: `bob${n}`, sam: `sam${n}` };
      const f = await flexWorkspace(t, Object.values(names));
      const agents = { alice: f.agents[names.alice], bob: f.agents[names.bob], sam: f.agents[names.sam] };
      await f.w.workers(agents.alice).workerChannels('chat').update({ capacity: 2 });
      for (const who of [agents.bob, agents.sam]) await f.w.workers(who).update({ activitySid: f.act.offline });
      await setPassword(t, f.wsSid, agents.sam, PASSWORD);
      await makeSupervisor(t, f.wsSid, agents.sam);
      const res = await signIn(board.url, t.account.accountSid, names.sam, PASSWORD);
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return { f, names, agents, token: res.body.token as string };
    }

    /** A chat from a customer (Flex interaction over REST, as an application creates one); its task and conversation. */
    async function chat(f: FlexFixture, customer: string) {
      const identity = `customer-${customer.toLowerCase()}-${f.wsSid.slice(-6)}`;
      const created = await t.client.flexApi.v1.interaction.create({
        channel: { type: 'chat', initiated_by: 'api', participants: [{ identity, name: customer }] },
        routing: f.routing({ task_channel_unique_name: 'chat' }),
      });
      const task = routedTask(created.routing);
      return { taskSid: task.sid as string, conversationSid: task.attrs.conversationSid as string, identity };
    }

    async function accept(f: FlexFixture, taskSid: string) {
      const [offer] = await f.pending(taskSid);
      await f.w.tasks(taskSid).reservations(offer.sid).update({ reservationStatus: 'accepted' });
    }

    test("the board: queue figures, every agent's activity, time in it, tasks, capacity and longest chat, the chats, the hour's chart; only the supervisor's workspace", async () => {
      const { f, names, agents, token } = await team();
      // Another workspace's queue of the same name is not on this board.
      const other = await flexWorkspace(t, [`zed${teams}`]);
      const first = await chat(f, 'Ada');
      await accept(f, first.taskSid);
      const acceptedAt = t.clock.now();
      t.clock.advance(30_000);
      const second = await chat(f, 'Bea');
      t.clock.advance(90_000);

      const res = await call(board.url, 'GET', '/Board', { token });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const b = res.body;
      assert.equal(b.now, t.clock.now());
      assert.deepEqual(b.workspace, { sid: f.wsSid, friendly_name: (await f.w.fetch()).friendlyName });
      assert.deepEqual(b.activities.map((a: any) => a.friendly_name).sort(), ['Available', 'Offline', 'Unavailable']);
      assert.equal(b.queues.length, 1);
      const q = b.queues[0];
      assert.deepEqual(
        [q.sid, q.friendly_name, q.waiting, q.longest_wait, q.assigned, q.wrapping, q.available_workers, q.eligible_workers, q.entered_last_hour],
        [f.queueSid, 'Support', 1, 90, 1, 0, 1, 3, 2],
      );
      assert.ok(!JSON.stringify(b).includes(other.wsSid), "no other workspace's figures");

      const byName = Object.fromEntries(b.agents.map((a: any) => [a.friendly_name, a]));
      assert.deepEqual(Object.keys(byName), [names.alice, names.bob, names.sam], 'agents by name');
      const alice = byName[names.alice];
      assert.deepEqual([alice.activity_name, alice.available], ['Available', true]);
      assert.deepEqual(alice.tasks, { offered: 1, assigned: 1, wrapping: 0 });
      assert.deepEqual(alice.capacity.find((c: any) => c.channel === 'chat'), { channel: 'chat', used: 1, capacity: 2, available: true });
      assert.deepEqual(alice.longest_chat, { task_sid: first.taskSid, since: acceptedAt });
      assert.ok(b.now - alice.activity_since >= 120_000, 'alice has been Available since before the chats');
      const bob = byName[names.bob];
      assert.deepEqual([bob.activity_name, bob.tasks, bob.longest_chat], ['Offline', { offered: 0, assigned: 0, wrapping: 0 }, null]);
      assert.deepEqual(byName[names.sam].roles, ['supervisor']);

      assert.deepEqual(
        b.chats.map((c: any) => [c.task_sid, c.customer, c.channel_type, c.queue_sid, c.worker_sid, c.worker_name, c.since]),
        [[first.taskSid, 'Ada', 'chat', f.queueSid, agents.alice, names.alice, acceptedAt]],
        'the accepted chat only: the offer is not under way yet',
      );
      assert.equal(b.chart.slice_minutes, 5);
      assert.equal(b.chart.starts.length, 12);
      assert.equal(b.chart.starts[11] + 5 * 60_000, b.now, 'the last slice ends now');
      assert.deepEqual(b.chart.series, [{ queue_sid: f.queueSid, friendly_name: 'Support', values: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2] }]);
      assert.ok(second.taskSid);
    });

    test("pushed: the board's stream sends a fresh board after each change, whoever makes it (REST, the board, the engine)", async () => {
      const { f, names, agents, token } = await team();
      const stream = await open('/Board/Stream', token);
      assert.equal(stream.status, 200);
      const agent = (b: any, name: string) => b.agents.find((a: any) => a.friendly_name === name);
      const start = await stream.next('board');
      assert.equal(agent(start, names.bob).activity_name, 'Offline');

      // An administrator over REST.
      await f.w.workers(agents.bob).update({ activitySid: f.act.available });
      await stream.next('board', (b) => agent(b, names.bob).activity_name === 'Available');
      // The supervisor, from the board.
      assert.equal((await call(board.url, 'POST', `/Workers/${agents.bob}`, { token, body: { ActivitySid: f.act.unavailable } })).status, 200);
      await stream.next('board', (b) => agent(b, names.bob).activity_name === 'Unavailable');
      // The engine: a chat is routed and offered to alice.
      const c = await chat(f, 'Cid');
      const offered = await stream.next('board', (b) => agent(b, names.alice).tasks.offered === 1);
      assert.equal(offered.queues[0].waiting, 1);
      await accept(f, c.taskSid);
      // A board is read in several statements: one built while the acceptance committed may show the chat and
      // still count it waiting. The acceptance wakes the board again, so a board with both follows.
      const accepted = await stream.next('board', (b) => b.chats.length === 1 && b.queues[0].waiting === 0);
      assert.equal(accepted.chats[0].task_sid, c.taskSid);
      assert.equal(agent(accepted, names.alice).tasks.assigned, 1);
    });

    test('a supervisor whose role is taken away is sent `closed` and let go; so is one whose token runs out', async () => {
      const { f, agents, token } = await team();
      const stream = await open('/Board/Stream', token);
      await stream.next('board');
      await makeSupervisor(t, f.wsSid, agents.sam, []);
      assert.deepEqual(await stream.next('closed'), { reason: 'not a supervisor' });
      await makeSupervisor(t, f.wsSid, agents.sam);
      const again = await open('/Board/Stream', token);
      await again.next('board');
      t.clock.advance(3600_000);
      // The next change (an administrator's) finds the token expired.
      await f.w.workers(agents.bob).update({ activitySid: f.act.available });
      assert.deepEqual(await again.next('closed'), { reason: 'token expired' });
      t.clock.advance(-3600_000);
    });

    test('monitor, read-only: the chat and its messages, pushed as they come; the supervisor is not in it and cannot write', async () => {
      const { f, names, token } = await team();
      const c = await chat(f, 'Dee');
      await accept(f, c.taskSid);
      const cv = t.client.conversations.v1.conversations(c.conversationSid);
      await cv.messages.create({ author: c.identity, body: 'Hello, my order never came\nIt was order 42' });
      await cv.messages.create({ author: names.alice, body: 'Sorry to hear that' });

      const view = await call(board.url, 'GET', `/Chats/${c.taskSid}`, { token });
      assert.equal(view.status, 200, JSON.stringify(view.body));
      assert.deepEqual(
        [view.body.meta.task_sid, view.body.meta.customer, view.body.meta.channel_type, view.body.meta.conversation_state, view.body.meta.joined],
        [c.taskSid, 'Dee', 'chat', 'active', false],
      );
      assert.deepEqual(view.body.meta.participants.map((p: any) => [p.name, p.kind]).sort(), [['Dee', 'customer'], [names.alice, 'agent']]);
      assert.deepEqual(
        view.body.messages.map((m: any) => [m.index, m.name, m.kind, m.body]),
        [
          [0, 'Dee', 'customer', 'Hello, my order never came\nIt was order 42'],
          [1, names.alice, 'agent', 'Sorry to hear that'],
        ],
      );

      const stream = await open(`/Chats/${c.taskSid}/Stream`, token);
      assert.equal((await stream.next('chat')).joined, false);
      assert.equal((await stream.next('messages')).length, 2);
      await cv.messages.create({ author: c.identity, body: 'Are you there?' });
      assert.deepEqual((await stream.next('messages')).map((m: any) => [m.index, m.body]), [[2, 'Are you there?']]);

      assertTwilioError(await call(board.url, 'POST', `/Chats/${c.taskSid}/Messages`, { token, body: { Body: 'hi' } }), 403, 20403, /monitoring is read-only/);
      assert.ok(!(await members(t, c.conversationSid)).includes(names.sam), 'monitoring adds nobody to the conversation');
    });

    test('barge-in: the supervisor joins as a supervisor participant, writes, everyone sees it; leaves; the chat goes on', async () => {
      const { f, names, token } = await team();
      const c = await chat(f, 'Eve');
      await accept(f, c.taskSid);
      const stream = await open(`/Chats/${c.taskSid}/Stream`, token);
      await stream.next('chat', (m) => !m.joined);

      const joined = await call(board.url, 'POST', `/Chats/${c.taskSid}/Join`, { token });
      assert.equal(joined.status, 201, JSON.stringify(joined.body));
      assert.equal(joined.body.joined, true);
      assert.equal((await call(board.url, 'POST', `/Chats/${c.taskSid}/Join`, { token })).status, 200, 'joining twice is joining once');
      assert.deepEqual(await members(t, c.conversationSid), [c.identity, names.alice, names.sam].sort());
      const interaction = (await f.w.tasks(c.taskSid).fetch()).attributes;
      const { flexInteractionSid, flexInteractionChannelSid } = JSON.parse(interaction);
      const flexParticipants = await t.client.flexApi.v1.interaction(flexInteractionSid).channels(flexInteractionChannelSid).participants.list();
      assert.ok(flexParticipants.some((p) => p.type === 'supervisor'), "Flex's channel has a supervisor participant");
      const inChat = await stream.next('chat', (m) => m.joined);
      assert.deepEqual(inChat.participants.find((p: any) => p.you), { identity: names.sam, address: null, name: names.sam, kind: 'supervisor', you: true });

      const said = await call(board.url, 'POST', `/Chats/${c.taskSid}/Messages`, { token, body: { Body: 'Hi Eve, I am the supervisor: this is on us.' } });
      assert.equal(said.status, 201, JSON.stringify(said.body));
      assert.deepEqual([said.body.author, said.body.kind], [names.sam, 'supervisor']);
      const stored = await t.client.conversations.v1.conversations(c.conversationSid).messages.list();
      assert.deepEqual(stored.map((m) => [m.author, m.body]), [[names.sam, 'Hi Eve, I am the supervisor: this is on us.']]);
      assert.deepEqual((await stream.next('messages')).map((m: any) => [m.name, m.kind]), [[names.sam, 'supervisor']]);
      assertTwilioError(await call(board.url, 'POST', `/Chats/${c.taskSid}/Messages`, { token, body: { Body: '' } }), 400, 20001);
      assertTwilioError(await call(board.url, 'POST', `/Chats/${c.taskSid}/Messages`, { token, body: { Body: 'x'.repeat(1601) } }), 400, 20001);

      const left = await call(board.url, 'POST', `/Chats/${c.taskSid}/Leave`, { token });
      assert.equal(left.status, 200, JSON.stringify(left.body));
      assert.equal(left.body.joined, false);
      assert.deepEqual(await members(t, c.conversationSid), [c.identity, names.alice].sort());
      assert.equal(await f.status(c.taskSid), 'assigned', "the agent's task goes on");
      assertTwilioError(await call(board.url, 'POST', `/Chats/${c.taskSid}/Leave`, { token }), 400, 20001, /not in the chat/);
      // Once gone, their message still reads as the supervisor's.
      assert.deepEqual((await call(board.url, 'GET', `/Chats/${c.taskSid}`, { token })).body.messages.map((m: any) => m.kind), ['supervisor']);
    });

    test('chats: another workspace\'s task is not found, a task that is no chat is refused, an ended chat cannot be joined', async () => {
      const { f, token } = await team();
      const other = await team();
      const theirs = await chat(other.f, 'Fay');
      assertTwilioError(await call(board.url, 'GET', `/Chats/${theirs.taskSid}`, { token }), 404, 20404);
      assertTwilioError(await call(board.url, 'POST', `/Chats/${theirs.taskSid}/Join`, { token }), 404, 20404);
      assertTwilioError(await call(board.url, 'GET', '/Chats/nope', { token }), 404, 20404);
      assertTwilioError(await call(board.url, 'GET', `/Chats/WT${'0'.repeat(32)}/Stream`, { token }), 404, 20404);
      const plain = await f.w.tasks.create({ workflowSid: f.workflowSid, attributes: JSON.stringify({ conversationSid: theirs.conversationSid }) });
      assertTwilioError(await call(board.url, 'GET', `/Chats/${plain.sid}`, { token }), 400, 20001, /not a chat/);

      const c = await chat(f, 'Gus');
      await accept(f, c.taskSid);
      const { flexInteractionSid, flexInteractionChannelSid } = JSON.parse((await f.w.tasks(c.taskSid).fetch()).attributes);
      await t.client.flexApi.v1.interaction(flexInteractionSid).channels(flexInteractionChannelSid).update({ status: 'closed', routing: { status: 'wrapup' } });
      assertTwilioError(await call(board.url, 'POST', `/Chats/${c.taskSid}/Join`, { token }), 400, 20001, /closed/);
      const view = await call(board.url, 'GET', `/Chats/${c.taskSid}`, { token });
      assert.deepEqual([view.body.meta.channel_status, view.body.meta.conversation_state, view.body.meta.assignment_status], ['closed', 'closed', 'wrapping']);
    });

    test('streams: ten per supervisor on a node, the eleventh refused (429); one closed by the page frees its place; closing the server ends them', async () => {
      const { token } = await team();
      const before = board.streams();
      const mine: Stream[] = [];
      for (let i = 0; i < 10; i++) mine.push(await open('/Board/Stream', token));
      assert.ok(mine.every((s) => s.status === 200));
      const refused = await call(board.url, 'GET', '/Board/Stream', { token });
      assertTwilioError(refused, 429, 20429, /streams are open/);
      mine[0].close();
      const deadline = Date.now() + 5000;
      while (board.streams() > before + 9 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
      assert.equal(board.streams(), before + 9, 'the closed stream is let go');
      const again = await open('/Board/Stream', token);
      assert.equal(again.status, 200);
      await again.next('board');

      // A server of its own, closed with a stream open: the stream hears why, and close() does not wait for it.
      const own = await boardServer(t, NO_POLL);
      const s = await openStream(own.url, '/Board/Stream', token);
      await s.next('board');
      await own.close();
      assert.deepEqual(await s.next('closed'), { reason: 'server closing' });
    });
  });
}
