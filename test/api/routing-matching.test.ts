import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { makeWorkspace, type Fixture } from './routing-helpers.ts';

/** Who gets which task: multi-reservation, queue order, worker order, capacity, single-tasking, membership changes. */
for (const backend of backends()) {
  describe(`routing: matching (${backend.name})`, () => {
    let t: TestServer;
    before(async () => {
      t = await startServer(backend);
    });
    after(() => t.close());

    /** Accepts and completes the worker's one pending reservation; returns its task. */
    async function work(f: Fixture, workerSid: string): Promise<string> {
      const [res] = await f.w.workers(workerSid).reservations.list({ reservationStatus: 'pending' });
      assert.ok(res, 'the worker has an offer');
      await f.w.workers(workerSid).reservations(res.sid).update({ reservationStatus: 'accepted' });
      await f.w.tasks(res.taskSid).update({ assignmentStatus: 'completed' });
      return res.taskSid;
    }

    test('MaxReservedWorkers=3: three offers at once, the first accept wins, the other two are rescinded and their workers take the next task', async () => {
      const f = await makeWorkspace(t);
      const q = await f.queue('Q', '1==1', { maxReservedWorkers: 3 });
      const wf = await f.workflow({ default_filter: { queue: q.sid } });
      const agents = [await f.worker('a'), await f.worker('b'), await f.worker('c'), await f.worker('d')];
      const task = await f.task({ workflowSid: wf.sid });
      const offers = await f.pending(task.sid);
      assert.equal(offers.length, 3);
      assert.deepEqual(new Set(offers.map((r) => r.workerSid)), new Set(agents.slice(0, 3).map((a) => a.sid)), 'the three longest idle');
      assert.equal(await f.status(task.sid), 'reserved');
      const next = await f.task({ workflowSid: wf.sid });
      assert.deepEqual((await f.pending(next.sid)).map((r) => r.workerSid), [agents[3].sid], 'only d is free');
      const waiting = [await f.task({ workflowSid: wf.sid }), await f.task({ workflowSid: wf.sid })];
      assert.deepEqual(waiting.map((x) => x.assignmentStatus), ['pending', 'pending'], 'everyone holds an offer');

      const winner = offers[1];
      await f.w.tasks(task.sid).reservations(winner.sid).update({ reservationStatus: 'accepted' });
      const after = await f.reservations(task.sid);
      assert.deepEqual(
        after.map((r) => [r.workerSid, r.reservationStatus]).sort(),
        offers.map((r) => [r.workerSid, r.sid === winner.sid ? 'accepted' : 'rescinded']).sort(),
      );
      assert.equal(await f.status(task.sid), 'assigned');
      // The rescinded workers are free again: each is offered one of the waiting tasks at once.
      const losers = offers.filter((r) => r.sid !== winner.sid).map((r) => r.workerSid);
      const offered = [];
      for (const x of waiting) offered.push(...(await f.pending(x.sid)).map((r) => r.workerSid));
      assert.deepEqual(offered.sort(), losers.sort());
    });

    test('FIFO queue: higher priority first, then the oldest', async () => {
      const f = await makeWorkspace(t);
      const q = await f.queue('Q');
      const wf = await f.workflow({ default_filter: { queue: q.sid } });
      const low = await f.task({ workflowSid: wf.sid, priority: 1 });
      t.clock.advance(1000);
      const highOld = await f.task({ workflowSid: wf.sid, priority: 10 });
      t.clock.advance(1000);
      const highNew = await f.task({ workflowSid: wf.sid, priority: 10 });
      t.clock.advance(1000);
      const lowNew = await f.task({ workflowSid: wf.sid, priority: 1 });
      const agent = await f.worker('agent');
      const order = [];
      for (let i = 0; i < 4; i++) order.push(await work(f, agent.sid));
      assert.deepEqual(order, [highOld.sid, highNew.sid, low.sid, lowNew.sid]);
    });

    test('FIFO across two queues of the same worker: one order by priority then age; a priority update reorders', async () => {
      const f = await makeWorkspace(t);
      const qa = await f.queue('A', "qs HAS 'a'");
      const qb = await f.queue('B', "qs HAS 'b'");
      const wf = await f.workflow({
        filters: [
          { expression: "q == 'a'", targets: [{ queue: qa.sid }] },
          { expression: "q == 'b'", targets: [{ queue: qb.sid }] },
        ],
      });
      const oldB = await f.task({ workflowSid: wf.sid, attributes: '{"q":"b"}' });
      t.clock.advance(1000);
      const newA = await f.task({ workflowSid: wf.sid, attributes: '{"q":"a"}' });
      t.clock.advance(1000);
      const newestB = await f.task({ workflowSid: wf.sid, attributes: '{"q":"b"}' });
      await f.w.tasks(newestB.sid).update({ priority: 3 });
      const agent = await f.worker('agent', { qs: ['a', 'b'] });
      const order = [];
      for (let i = 0; i < 3; i++) order.push(await work(f, agent.sid));
      assert.deepEqual(order, [newestB.sid, oldB.sid, newA.sid]);
    });

    test('LIFO queue: the newest first, whatever the priority', async () => {
      const f = await makeWorkspace(t);
      const q = await f.queue('Q', '1==1', { taskOrder: 'LIFO' });
      const wf = await f.workflow({ default_filter: { queue: q.sid } });
      const old = await f.task({ workflowSid: wf.sid, priority: 100 });
      t.clock.advance(1000);
      const mid = await f.task({ workflowSid: wf.sid, priority: 0 });
      t.clock.advance(1000);
      const newest = await f.task({ workflowSid: wf.sid, priority: 5 });
      const agent = await f.worker('agent');
      const order = [];
      for (let i = 0; i < 3; i++) order.push(await work(f, agent.sid));
      assert.deepEqual(order, [newest.sid, mid.sid, old.sid]);
    });

    for (const prioritize of ['LIFO', 'FIFO'] as const) {
      test(`PrioritizeQueueOrder=${prioritize}: a worker in a FIFO and a LIFO queue takes the ${prioritize} queue's task first`, async () => {
        const f = await makeWorkspace(t, { prioritizeQueueOrder: prioritize });
        const fifo = await f.queue('Fifo', "queues HAS 'fifo'");
        const lifo = await f.queue('Lifo', "queues HAS 'lifo'", { taskOrder: 'LIFO' });
        const wf = await f.workflow({
          filters: [
            { expression: "kind == 'f'", targets: [{ queue: fifo.sid }] },
            { expression: "kind == 'l'", targets: [{ queue: lifo.sid }] },
          ],
        });
        const fifoTask = await f.task({ workflowSid: wf.sid, attributes: '{"kind":"f"}', priority: 50 });
        t.clock.advance(1000);
        const lifoTask = await f.task({ workflowSid: wf.sid, attributes: '{"kind":"l"}', priority: 0 });
        const agent = await f.worker('agent', { queues: ['fifo', 'lifo'] });
        const first = await work(f, agent.sid);
        const second = await work(f, agent.sid);
        assert.deepEqual([first, second], prioritize === 'LIFO' ? [lifoTask.sid, fifoTask.sid] : [fifoTask.sid, lifoTask.sid]);
      });
    }

    test('the longest idle worker gets the next task', async () => {
      const f = await makeWorkspace(t);
      const q = await f.queue('Q');
      const wf = await f.workflow({ default_filter: { queue: q.sid } });
      const [a, b, c] = [await f.worker('a'), await f.worker('b'), await f.worker('c')];
      const got: string[] = [];
      for (let i = 0; i < 4; i++) {
        const task = await f.task({ workflowSid: wf.sid });
        const [res] = await f.pending(task.sid);
        got.push(res.workerSid);
        await work(f, res.workerSid);
        t.clock.advance(1000);
      }
      assert.deepEqual(got, [a.sid, b.sid, c.sid, a.sid]);
    });

    test('per-channel capacity: chat capacity 2 gives two chat offers, a third task waits until one completes, then is reserved at once', async () => {
      const f = await makeWorkspace(t);
      const q = await f.queue('Q');
      const wf = await f.workflow({ default_filter: { queue: q.sid } });
      const agent = await f.worker('agent', {}, { capacity: { chat: 2 } });
      const c1 = await f.task({ workflowSid: wf.sid, taskChannel: 'chat' });
      const c2 = await f.task({ workflowSid: wf.sid, taskChannel: 'chat' });
      const c3 = await f.task({ workflowSid: wf.sid, taskChannel: 'chat' });
      assert.deepEqual([c1.assignmentStatus, c2.assignmentStatus, c3.assignmentStatus], ['reserved', 'reserved', 'pending']);
      const chat = await f.w.workers(agent.sid).workerChannels('chat').fetch();
      assert.equal(chat.availableCapacityPercentage, 0);
      await f.w.tasks(c1.sid).reservations((await f.pending(c1.sid))[0].sid).update({ reservationStatus: 'accepted' });
      assert.equal(await f.status(c3.sid), 'pending', 'accepted work still holds capacity');
      await f.w.tasks(c1.sid).update({ assignmentStatus: 'wrapping' });
      assert.equal(await f.status(c3.sid), 'pending', 'so does wrapping work');
      await f.w.tasks(c1.sid).update({ assignmentStatus: 'completed' });
      assert.equal(await f.status(c3.sid), 'reserved');
      assert.equal((await f.pending(c3.sid))[0].workerSid, agent.sid);
    });

    test('a worker with no capacity left on sms still gets a chat task; WorkerChannel Available=false blocks that channel', async () => {
      const f = await makeWorkspace(t);
      const q = await f.queue('Q');
      const wf = await f.workflow({ default_filter: { queue: q.sid } });
      const agent = await f.worker('agent');
      const sms = await f.task({ workflowSid: wf.sid, taskChannel: 'sms' });
      assert.equal(sms.assignmentStatus, 'reserved');
      const sms2 = await f.task({ workflowSid: wf.sid, taskChannel: 'sms' });
      assert.equal(sms2.assignmentStatus, 'pending', 'sms is full');
      const chat = await f.task({ workflowSid: wf.sid, taskChannel: 'chat' });
      assert.equal(chat.assignmentStatus, 'reserved', 'chat has its own capacity');
      await f.w.workers(agent.sid).workerChannels('voice').update({ available: false });
      const voice = await f.task({ workflowSid: wf.sid, taskChannel: 'voice' });
      assert.equal(voice.assignmentStatus, 'pending', 'voice is switched off for this worker');
      await f.w.workers(agent.sid).workerChannels('voice').update({ available: true });
      assert.equal(await f.status(voice.sid), 'reserved', 'switched back on: offered at once');
      await f.w.workers(agent.sid).workerChannels('video').update({ capacity: 0 });
      assert.equal((await f.task({ workflowSid: wf.sid, taskChannel: 'video' })).assignmentStatus, 'pending', 'capacity 0');
    });

    test('single-tasking: one offer at a time across channels; the queue\'s reservation and assignment activities are applied', async () => {
      const f = await makeWorkspace(t, { multiTaskEnabled: false });
      const reserved = await f.w.activities.create({ friendlyName: 'Reserved', available: false });
      const busy = await f.w.activities.create({ friendlyName: 'Busy', available: false });
      const plain = await f.queue('Plain', "team == 'plain'");
      const managed = await f.queue('Managed', "team == 'managed'", { reservationActivitySid: reserved.sid, assignmentActivitySid: busy.sid });
      const wf = await f.workflow({
        filters: [{ expression: "team == 'managed'", targets: [{ queue: managed.sid }] }],
        default_filter: { queue: plain.sid },
      });

      // A worker whose activity stays available is still offered one task at a time, whatever the channel.
      const p = await f.worker('p', { team: 'plain' }, { capacity: { chat: 5, voice: 5 } });
      const v1 = await f.task({ workflowSid: wf.sid, taskChannel: 'voice' });
      const c1 = await f.task({ workflowSid: wf.sid, taskChannel: 'chat' });
      assert.equal(v1.assignmentStatus, 'reserved');
      assert.equal(c1.assignmentStatus, 'pending', 'busy on voice: no chat');
      assert.equal((await f.w.workers(p.sid).fetch()).activitySid, f.act.available, 'no reservation activity on this queue');
      await work(f, p.sid);
      assert.equal(await f.status(c1.sid), 'reserved', 'free again: the chat task is offered');

      // The managed queue moves its worker through Reserved and Busy.
      const m = await f.worker('m', { team: 'managed' });
      const task = await f.task({ workflowSid: wf.sid, attributes: '{"team":"managed"}' });
      const [res] = await f.pending(task.sid);
      assert.equal(res.workerSid, m.sid);
      assert.equal((await f.w.workers(m.sid).fetch()).activitySid, reserved.sid);
      await f.w.tasks(task.sid).reservations(res.sid).update({ reservationStatus: 'accepted' });
      assert.equal((await f.w.workers(m.sid).fetch()).activitySid, busy.sid);
      await f.w.tasks(task.sid).update({ assignmentStatus: 'completed' });
      assert.equal((await f.w.workers(m.sid).fetch()).activitySid, busy.sid, 'completion does not change the activity');

      // A rejected offer puts the worker back where it was before the reservation activity.
      await f.w.workers(m.sid).update({ activitySid: f.act.available });
      const again = await f.task({ workflowSid: wf.sid, attributes: '{"team":"managed"}' });
      const [r2] = await f.pending(again.sid);
      assert.equal((await f.w.workers(m.sid).fetch()).activitySid, reserved.sid);
      await f.w.tasks(again.sid).reservations(r2.sid).update({ reservationStatus: 'rejected' });
      assert.equal((await f.w.workers(m.sid).fetch()).activitySid, f.act.available);
    });

    test('a worker whose new attributes bring it into a queue gets the waiting task at once', async () => {
      const f = await makeWorkspace(t);
      const q = await f.queue('French', "langs HAS 'fr'");
      const wf = await f.workflow({ default_filter: { queue: q.sid } });
      const agent = await f.worker('agent', { langs: ['en'] });
      const task = await f.task({ workflowSid: wf.sid });
      assert.equal(task.assignmentStatus, 'pending');
      await f.w.workers(agent.sid).update({ attributes: JSON.stringify({ langs: ['en', 'fr'] }) });
      assert.equal((await f.pending(task.sid))[0]?.workerSid, agent.sid);
    });

    test("a queue whose TargetWorkers change brings a worker in: it gets the waiting task at once", async () => {
      const f = await makeWorkspace(t);
      const q = await f.queue('Q', "langs HAS 'fr'");
      const wf = await f.workflow({ default_filter: { queue: q.sid } });
      const agent = await f.worker('agent', { langs: ['en'] });
      const task = await f.task({ workflowSid: wf.sid });
      assert.equal(task.assignmentStatus, 'pending');
      await f.w.taskQueues(q.sid).update({ targetWorkers: "langs HAS 'en'" });
      assert.equal((await f.pending(task.sid))[0]?.workerSid, agent.sid);
      // And MaxReservedWorkers going up offers a reserved task to more workers.
      const other = await f.worker('other', { langs: ['en'] }, { activitySid: f.act.offline });
      await f.w.workers(other.sid).update({ activitySid: f.act.available });
      await f.w.taskQueues(q.sid).update({ maxReservedWorkers: 2 });
      assert.deepEqual(new Set((await f.pending(task.sid)).map((r) => r.workerSid)), new Set([agent.sid, other.sid]));
    });

    test('a queue is searched past its 500 longest-idle members: target expressions and order_by see every member', async () => {
      const f = await makeWorkspace(t);
      const q = await f.queue('Big');
      const picky = await f.workflow({ filters: [{ expression: '1==1', targets: [{ queue: q.sid, expression: 'worker.pick == true' }] }] });
      const ranked = await f.workflow({ filters: [{ expression: '1==1', targets: [{ queue: q.sid, order_by: 'worker.level DESC' }] }] });
      for (let i = 0; i < 505; i += 40)
        await Promise.all(
          Array.from({ length: Math.min(40, 505 - i) }, (_, j) =>
            f.w.workers.create({ friendlyName: `filler${i + j}`, attributes: '{"level":1}', activitySid: f.act.available }),
          ),
        );
      t.clock.advance(1000);
      const picked = await f.worker('picked', { level: 1, pick: true });
      const top = await f.worker('top', { level: 9 });
      const a = await f.task({ workflowSid: picky.sid });
      assert.deepEqual((await f.pending(a.sid)).map((r) => r.workerSid), [picked.sid]);
      const b = await f.task({ workflowSid: ranked.sid });
      assert.deepEqual((await f.pending(b.sid)).map((r) => r.workerSid), [top.sid]);
    });

    test('tasks a worker cannot take do not hide, however many, the one it can take', async () => {
      const f = await makeWorkspace(t);
      const q = await f.queue('Q');
      const wf = await f.workflow({ filters: [{ expression: '1==1', targets: [{ queue: q.sid, expression: 'worker.level >= task.level' }] }] });
      const agent = await f.worker('agent', { level: 1 }, { activitySid: f.act.offline });
      for (let i = 0; i < 30; i++) await f.task({ workflowSid: wf.sid, attributes: '{"level":5}', priority: 10 });
      const mine = await f.task({ workflowSid: wf.sid, attributes: '{"level":1}' });
      await f.w.workers(agent.sid).update({ activitySid: f.act.available });
      assert.equal((await f.pending(mine.sid))[0]?.workerSid, agent.sid);
    });
  });
}
