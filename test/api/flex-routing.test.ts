import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { flexWorkspace, members, routedTask, type FlexFixture } from './flex-helpers.ts';
import { advance } from './routing-helpers.ts';
import { workspaces } from '../../src/taskrouter/model.ts';
import { reservations } from '../../src/taskrouter/routing-model.ts';

/** An API-initiated SMS interaction with a new customer; returns what the tests need. */
async function startInteraction(t: TestServer, f: FlexFixture, routing: Record<string, unknown> = {}) {
  const customer = `+1555${randomInt(1_000_000, 9_999_999)}`;
  const created = await t.client.flexApi.v1.interaction.create({
    channel: { type: 'sms', initiated_by: 'api', participants: [{ address: customer, proxy_address: '+15550006666', name: 'Grace' }] },
    routing: f.routing({ task_channel_unique_name: 'sms', ...routing }),
  });
  const task = routedTask(created.routing);
  const channelSid = (created.channel as { sid: string }).sid;
  return {
    sid: created.sid,
    channelSid,
    customer,
    conversationSid: task.attrs.conversationSid as string,
    taskSid: task.sid as string,
    inviteSid: task.attrs.flexChannelInviteSid as string,
    channel: t.client.flexApi.v1.interaction(created.sid).channels(channelSid),
  };
}

/** Accepts the task's pending offer; returns the reservation. */
async function accept(f: FlexFixture, taskSid: string, worker: string) {
  const [offer] = await f.pending(taskSid);
  assert.equal(offer?.workerSid, f.agents[worker], `offered to ${worker}`);
  return f.w.tasks(taskSid).reservations(offer.sid).update({ reservationStatus: 'accepted' });
}

async function agentParticipant(i: Awaited<ReturnType<typeof startInteraction>>, f: FlexFixture, worker: string) {
  const parts = await i.channel.participants.list();
  const p = parts.find((x) => x.type === 'agent' && (x.routingProperties as { worker_sid?: string })?.worker_sid === f.agents[worker]);
  assert.ok(p, `${worker} is on the channel`);
  return p;
}

const conversationState = (t: TestServer, sid: string) => t.client.conversations.v1.conversations(sid).fetch().then((c) => c.state);

for (const backend of backends()) {
  describe(`flex: invites, participants, transfers (${backend.name})`, () => {
    let t: TestServer;
    before(async () => {
      t = await startServer(backend);
    });
    after(() => t.close());

    test('an invite routes another task for the same channel; its agent joins the same conversation', async () => {
      const f = await flexWorkspace(t, ['alice', 'bob']);
      const i = await startInteraction(t, f);
      await accept(f, i.taskSid, 'alice');
      const invite = await i.channel.invites.create({
        routing: { properties: { workspace_sid: f.wsSid, queue_sid: f.queueSid, worker_sid: f.agents.bob, attributes: { reason: 'second opinion' } } },
      });
      assert.match(invite.sid, /^KG[0-9a-f]{32}$/);
      const task = routedTask(invite.routing);
      assert.notEqual(task.sid, i.taskSid);
      assert.equal(task.routing_target, f.agents.bob);
      assert.equal(task.attrs.flexChannelInviteSid, invite.sid);
      assert.equal(task.attrs.flexInteractionSid, i.sid);
      assert.equal(task.attrs.flexInteractionChannelSid, i.channelSid);
      assert.equal(task.attrs.conversationSid, i.conversationSid);
      assert.equal(task.attrs.reason, 'second opinion');
      assert.equal(task.attrs.customerAddress, i.customer);

      const listed = await i.channel.invites.list();
      assert.deepEqual(listed.map((x) => x.sid).sort(), [i.inviteSid, invite.sid].sort());
      await accept(f, task.sid, 'bob');
      assert.deepEqual(await members(t, i.conversationSid), [i.customer, 'alice', 'bob'].sort());
      assert.deepEqual((await i.channel.participants.list()).map((p) => p.type).sort(), ['agent', 'agent', 'customer']);
    });

    test('a routing change this node did not follow (another node made it) is caught up by the poll', async () => {
      const f = await flexWorkspace(t, ['alice']);
      const i = await startInteraction(t, f);
      const [offer] = await f.pending(i.taskSid);
      // As another node would: the reservation is accepted in a routing transaction this node's follower never hears of.
      await t.server.db.transaction(async (tx) => {
        const ws = (await workspaces.get(tx, f.wsSid))!;
        const res = (await reservations.get(tx, offer.sid))!;
        await t.server.taskRouter.engine.lifecycle.accept(tx, ws, res);
      });
      assert.equal(await f.status(i.taskSid), 'assigned');
      assert.deepEqual(await members(t, i.conversationSid), [i.customer]);
      await t.server.flex.poll();
      assert.deepEqual(await members(t, i.conversationSid), [i.customer, 'alice'].sort());
      await t.server.flex.poll();
      assert.equal((await i.channel.participants.list()).filter((p) => p.type === 'agent').length, 1, 'each event is handled once');
    });

    test('participants: a supervisor and an external party join; an agent wraps up (task wrapping, leaves) then closes (task completed)', async () => {
      const f = await flexWorkspace(t, ['alice']);
      const i = await startInteraction(t, f);
      await accept(f, i.taskSid, 'alice');
      const sup = await i.channel.participants.create({ type: 'supervisor', mediaProperties: { identity: 'sup' } });
      assert.equal(sup.type, 'supervisor');
      const ext = await i.channel.participants.create({ type: 'external', mediaProperties: { address: '+15550001234', proxy_address: '+15550006667' } });
      assert.equal(ext.type, 'external');
      assert.deepEqual(await members(t, i.conversationSid), [i.customer, '+15550001234', 'alice', 'sup'].sort());

      const agent = await agentParticipant(i, f, 'alice');
      await i.channel.participants(agent.sid).update({ status: 'wrapup' });
      assert.equal(await f.status(i.taskSid), 'wrapping');
      assert.ok(!(await members(t, i.conversationSid)).includes('alice'), 'alice left the conversation');
      await i.channel.participants(agent.sid).update({ status: 'closed' });
      assert.equal(await f.status(i.taskSid), 'completed');
      assert.equal((await i.channel.fetch()).status, 'active', 'the channel stays open: the supervisor is still on it');
    });

    test('a cold transfer to a worker: once accepted the first agent wraps up and leaves; the transfer completes', async () => {
      const f = await flexWorkspace(t, ['alice', 'bob']);
      const i = await startInteraction(t, f);
      await accept(f, i.taskSid, 'alice');
      const from = await agentParticipant(i, f, 'alice');
      const transfer = await i.channel.transfers.create({ type: 'cold', from: from.sid, to: f.agents.bob });
      assert.match(transfer.sid, /^UX[0-9a-f]{32}$/);
      assert.equal(transfer.status, 'active');
      assert.equal(transfer.type, 'cold');
      assert.equal(transfer.from, from.sid);
      assert.equal(transfer.to, f.agents.bob);
      assert.equal(await f.status(i.taskSid), 'assigned', 'alice keeps the customer until someone takes over');

      const bobTask = (await f.w.tasks.list({ assignmentStatus: ['reserved'] })).find((x) => JSON.parse(x.attributes).transferSid === transfer.sid)!;
      assert.equal(bobTask.routingTarget, f.agents.bob);
      assert.equal(JSON.parse(bobTask.attributes).flexInteractionChannelSid, i.channelSid);
      await accept(f, bobTask.sid, 'bob');
      assert.equal((await i.channel.transfers(transfer.sid).fetch()).status, 'completed');
      assert.equal(await f.status(i.taskSid), 'wrapping');
      assert.deepEqual(await members(t, i.conversationSid), [i.customer, 'bob'].sort());
    });

    test('a warm transfer to a queue: both agents stay until the transfer is completed, then the first leaves', async () => {
      const f = await flexWorkspace(t, ['alice']);
      const q2 = await f.queue('Tier 2', "tier == 2");
      const carol = await f.worker('carol', { contact_uri: 'client:carol', tier: 2 });
      f.agents.carol = carol.sid;
      const i = await startInteraction(t, f);
      await accept(f, i.taskSid, 'alice');
      const from = await agentParticipant(i, f, 'alice');
      const transfer = await i.channel.transfers.create({ type: 'warm', from: from.sid, to: q2.sid });
      const carolTask = (await f.w.tasks.list({ assignmentStatus: ['reserved'] })).find((x) => JSON.parse(x.attributes).transferSid === transfer.sid)!;
      assert.equal(carolTask.taskQueueSid, q2.sid);
      await accept(f, carolTask.sid, 'carol');
      assert.deepEqual(await members(t, i.conversationSid), [i.customer, 'alice', 'carol'].sort());
      assert.equal((await i.channel.transfers(transfer.sid).fetch()).status, 'active');
      const done = await i.channel.transfers(transfer.sid).update({ status: 'completed' });
      assert.equal(done.status, 'completed');
      assert.equal(await f.status(i.taskSid), 'wrapping');
      assert.deepEqual(await members(t, i.conversationSid), [i.customer, 'carol'].sort());
    });

    test('a transfer called off, and one nobody takes in time, fail; the first agent keeps the customer', async () => {
      const f = await flexWorkspace(t, ['alice', 'bob']);
      const i = await startInteraction(t, f);
      await accept(f, i.taskSid, 'alice');
      const from = await agentParticipant(i, f, 'alice');
      const offThe = await i.channel.transfers.create({ type: 'cold', from: from.sid, to: f.agents.bob });
      const failed = await i.channel.transfers(offThe.sid).update({ status: 'failed' });
      assert.equal(failed.status, 'failed');
      const bobTask = (await f.w.tasks.list()).find((x) => JSON.parse(x.attributes).transferSid === offThe.sid)!;
      assert.equal(bobTask.assignmentStatus, 'canceled');

      const late = await i.channel.transfers.create({ type: 'cold', from: from.sid, to: f.queueSid, attributes: { note: 'anyone' } });
      const lateTask = (await f.w.tasks.list()).find((x) => JSON.parse(x.attributes).transferSid === late.sid)!;
      await f.w.tasks(lateTask.sid).update({ assignmentStatus: 'canceled', reason: 'nobody came' });
      assert.equal((await i.channel.transfers(late.sid).fetch()).status, 'failed');
      assert.equal(await f.status(i.taskSid), 'assigned');
      assert.equal((await i.channel.fetch()).status, 'active');
      assert.deepEqual(await members(t, i.conversationSid), [i.customer, 'alice'].sort());
    });
    test("the follower steps over events of tasks that are no interaction's once, and still follows the next interaction", async () => {
      const f = await flexWorkspace(t, ['alice']);
      const first = await startInteraction(t, f);
      await accept(f, first.taskSid, 'alice');
      await f.w.tasks(first.taskSid).update({ assignmentStatus: 'completed', reason: 'done' });
      await f.w.workers(f.agents.alice).update({ activitySid: f.act.offline });
      // Plain tasks (no interaction): their events are not the follower's, and nobody can take them.
      const plain = [];
      for (let n = 0; n < 5; n++) plain.push(await f.task({ workflowSid: f.workflowSid, attributes: JSON.stringify({ plain: n }) }));
      await t.server.flex.poll();
      const db = t.server.db;
      const latest = await db.get<{ seq: number | string }>('SELECT seq FROM events WHERE workspace_sid = ? ORDER BY seq DESC LIMIT 1', [f.wsSid]);
      const cursor = await db.get<{ seq: number | string }>('SELECT seq FROM interaction_cursors WHERE workspace_sid = ?', [f.wsSid]);
      assert.equal(Number(cursor?.seq), Number(latest?.seq), "the cursor is past every event, the plain tasks' included");
      // The next interaction is followed as before: its agent joins when she accepts.
      for (const p of plain) await f.w.tasks(p.sid).update({ assignmentStatus: 'canceled' });
      await f.w.workers(f.agents.alice).update({ activitySid: f.act.available });
      const second = await startInteraction(t, f);
      await accept(f, second.taskSid, 'alice');
      assert.ok((await members(t, second.conversationSid)).includes('alice'), 'alice joined the second conversation');
    });
  });

  describe(`flex: no orphans (${backend.name})`, () => {
    let t: TestServer;
    before(async () => {
      t = await startServer(backend);
    });
    after(() => t.close());

    const ends: [string, (t: TestServer, f: FlexFixture, taskSid: string) => Promise<void>, Record<string, unknown>][] = [
      ['canceled through the REST API', async (_t, f, sid) => void (await f.w.tasks(sid).update({ assignmentStatus: 'canceled' })), {}],
      ['deleted', async (_t, f, sid) => void (await f.w.tasks(sid).remove()), {}],
      ['past its TTL', async (t) => advance(t, 60), { timeout: 60 }],
    ];
    for (const [how, end, routing] of ends) {
      test(`a waiting task ${how} with nobody on the channel: the channel and the conversation close`, async () => {
        const f = await flexWorkspace(t, ['alice'], { available: false });
        const i = await startInteraction(t, f, routing);
        assert.equal(await f.status(i.taskSid), 'pending');
        await end(t, f, i.taskSid);
        assert.equal((await i.channel.fetch()).status, 'closed');
        assert.equal(await conversationState(t, i.conversationSid), 'closed');
      });
    }

    test('a workflow timeout with nobody on the channel: the channel and the conversation close', async () => {
      const f = await flexWorkspace(t, ['alice'], { available: false });
      const wf = await f.workflow({ filters: [{ filter_friendly_name: 'All', expression: '1==1', targets: [{ queue: f.queueSid, timeout: 30 }] }] });
      const i = await startInteraction(t, f, { workflow_sid: wf.sid });
      await advance(t, 29);
      assert.equal((await i.channel.fetch()).status, 'active');
      await advance(t, 1);
      const task = await f.w.tasks(i.taskSid).fetch();
      assert.equal(task.assignmentStatus, 'canceled');
      assert.match(task.reason ?? '', /Workflow timeout/);
      assert.equal((await i.channel.fetch()).status, 'closed');
      assert.equal(await conversationState(t, i.conversationSid), 'closed');
    });

    test('a task that ends while an agent is still on the channel leaves it open', async () => {
      const f = await flexWorkspace(t, ['alice', 'bob']);
      const i = await startInteraction(t, f);
      await accept(f, i.taskSid, 'alice');
      const invite = await i.channel.invites.create({ routing: { properties: { queue_sid: f.queueSid, worker_sid: f.agents.bob } } });
      await f.w.tasks(routedTask(invite.routing).sid).update({ assignmentStatus: 'canceled' });
      assert.equal((await i.channel.fetch()).status, 'active');
      assert.equal(await conversationState(t, i.conversationSid), 'active');
    });
  });

  for (const policy of ['inactive', 'keep'] as const) {
    describe(`flex: orphan policy '${policy}' (${backend.name})`, () => {
      let t: TestServer;
      before(async () => {
        t = await startServer(backend, { orphans: policy });
      });
      after(() => t.close());

      test(`a canceled task with nobody on the channel: channel and conversation ${policy === 'keep' ? 'stay open' : 'go inactive'}`, async () => {
        const f = await flexWorkspace(t, ['alice'], { available: false });
        const i = await startInteraction(t, f);
        await f.w.tasks(i.taskSid).update({ assignmentStatus: 'canceled' });
        const expected = policy === 'keep' ? 'active' : 'inactive';
        assert.equal((await i.channel.fetch()).status, expected);
        assert.equal(await conversationState(t, i.conversationSid), expected);
        if (policy !== 'inactive') return;
        // Channel.sid: the inactive channel is routed again (with its first routing: a second
        // workflow in the workspace must not matter) and comes back to life.
        await f.workflow({ filters: [], default_filter: { queue: f.queueSid } });
        await f.w.workers(f.agents.alice).update({ activitySid: f.act.available });
        const again = await t.client.flexApi.v1.interaction.create({ channel: { sid: i.channelSid } });
        assert.equal(again.sid, i.sid);
        const task = routedTask(again.routing);
        assert.notEqual(task.sid, i.taskSid);
        assert.equal(task.assignment_status, 'reserved');
        assert.equal(task.workflow_sid, f.workflowSid);
        assert.equal(task.task_channel_unique_name, 'sms');
        assert.equal((await i.channel.fetch()).status, 'active');
        assert.equal(await conversationState(t, i.conversationSid), 'active');
      });
    });
  }
}
