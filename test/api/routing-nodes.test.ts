/**
 * Two nodes route one workspace, taking turns, on one PostgreSQL store. Each routes from its memory
 * of the workspace (engine/routing-state.ts), which must catch up with the other's commits before
 * any decision: no double reservation, no stale capacity or activity, no waiting task lost, and a
 * timer fired by a node whose memory is behind still decides on the current state. The nodes run
 * without the consistency check that other tests use, so what is tested here is the fencing itself;
 * at the end each node's memory is compared with the store. PostgreSQL only: SQLite is one process's store.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Credentials } from '../../src/accounts/accounts.ts';
import { switchyardClient } from '../../src/client.ts';
import { ManualClock } from '../../src/core/clock.ts';
import { createServer, type Server } from '../../src/server.ts';
import { loadMemory } from '../../src/taskrouter/engine/routing-state.ts';
import { backends } from '../support/server.ts';

for (const backend of backends().filter((b) => b.name === 'postgres')) {
  describe('routing: two nodes take turns on one workspace (postgres)', () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 15, 9));
    let store: Awaited<ReturnType<typeof backend.create>>;
    const nodes: { server: Server; client: ReturnType<typeof switchyardClient> }[] = [];
    let account: Required<Credentials>;

    before(async () => {
      store = await backend.create();
      for (let i = 0; i < 2; i++) {
        const server = await createServer({ ...store.config, clock, timers: 'manual', verifyRoutingState: false });
        await server.app.listen({ port: 0, host: '127.0.0.1' });
        const address = server.app.server.address();
        nodes.push({ server, client: undefined as never });
        Object.assign(nodes[i], { baseUrl: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` });
      }
      account = await nodes[0].server.accounts.create('turns');
      for (const n of nodes) n.client = switchyardClient((n as unknown as { baseUrl: string }).baseUrl, account.accountSid, account.authToken);
    });
    after(async () => {
      for (const n of nodes) await n.server.close();
      await store.dispose();
    });

    async function workspace(name: string) {
      const tr = nodes[0].client.taskrouter.v1;
      const ws = await tr.workspaces.create({ friendlyName: name, multiTaskEnabled: true });
      const on = (i: number) => nodes[i].client.taskrouter.v1.workspaces(ws.sid);
      const activities = await on(0).activities.list();
      const available = activities.find((a) => a.friendlyName === 'Available')!.sid;
      const offline = activities.find((a) => a.friendlyName === 'Offline')!.sid;
      const queue = await on(0).taskQueues.create({ friendlyName: 'q', targetWorkers: "skills HAS 'q'" });
      const workflow = await on(0).workflows.create({
        friendlyName: 'wf',
        taskReservationTimeout: 30,
        configuration: JSON.stringify({ task_routing: { default_filter: { queue: queue.sid } } }),
      });
      const workers: string[] = [];
      for (const name of ['ann', 'bea', 'cid']) {
        const w = await on(0).workers.create({ friendlyName: name, attributes: JSON.stringify({ skills: ['q'] }), activitySid: available });
        await on(0).workers(w.sid).workerChannels('default').update({ capacity: 2 });
        workers.push(w.sid);
        clock.advance(1000); // a distinct idle order: ann longest
      }
      return { ws, on, available, offline, workflow, workers };
    }

    /** The worker a task is reserved to (its one pending reservation), or null while it waits. */
    async function reservedTo(on: (i: number) => any, i: number, taskSid: string): Promise<string | null> {
      const pending = await on(i).tasks(taskSid).reservations.list({ reservationStatus: 'pending' });
      assert.ok(pending.length <= 1, `task ${taskSid} has ${pending.length} pending reservations`);
      return pending[0]?.workerSid ?? null;
    }

    /** Every worker channel's live reservations within its capacity, read from the store through the API. */
    async function withinCapacity(on: (i: number) => any, workers: string[]) {
      for (const w of workers) {
        const ch = await on(0).workers(w).workerChannels('default').fetch();
        const live = (await on(0).workers(w).reservations.list()).filter((r: any) => ['pending', 'accepted', 'wrapping'].includes(r.reservationStatus)).length;
        assert.ok(live <= ch.configuredCapacity, `${w}: ${live} live reservations over capacity ${ch.configuredCapacity}`);
      }
    }

    /** After a routing change on each node (which catches its memory up), memory equals the store. */
    async function memoryMatchesStore(wsSid: string) {
      for (const n of nodes) {
        await n.server.taskRouter.engine.inWorkspace(account.accountSid, wsSid, async () => undefined);
        const held = n.server.taskRouter.engine.state.peek(wsSid);
        assert.ok(held, 'the node holds the workspace in memory');
        const fresh = await n.server.db.transaction((tx) => loadMemory(tx, wsSid, held.version));
        assert.equal(held.pool.snapshot(), fresh.pool.snapshot(), 'memory and store agree');
      }
    }

    test('tasks, acceptances, completions and activity changes alternate between the nodes: each sees the other', async () => {
      const { ws, on, available, offline, workflow, workers } = await workspace('alternate');
      const [ann, bea, cid] = workers;
      const task = async (i: number) => (await on(i).tasks.create({ workflowSid: workflow.sid, attributes: '{}' })).sid;

      // Six tasks, alternating nodes, fill the three workers' two slots each, in idle order.
      const tasks: string[] = [];
      for (let k = 0; k < 6; k++) {
        tasks.push(await task(k % 2));
        clock.advance(1000); // each reservation makes its worker the most recently busy, in turn
      }
      const holders = await Promise.all(tasks.map((t, k) => reservedTo(on, k % 2, t)));
      assert.deepEqual(holders, [ann, bea, cid, ann, bea, cid], 'each node offered the next longest-idle worker with room');
      await withinCapacity(on, workers);

      // Everyone is full: a seventh task, created on node 1, waits.
      const waiting = await task(1);
      assert.equal(await reservedTo(on, 1, waiting), null, 'nobody has room: it waits');

      // Node 0 takes ann offline (node 1 never saw it); node 0 then completes one of bea's tasks.
      await on(0).workers(ann).update({ activitySid: offline });
      const beaRes = (await on(0).tasks(tasks[1]).reservations.list())[0];
      await on(1).tasks(tasks[1]).reservations(beaRes.sid).update({ reservationStatus: 'accepted' });
      await on(0).tasks(tasks[1]).update({ assignmentStatus: 'completed', reason: 'done' });
      // bea's room came back on node 0: the waiting task, created on node 1, goes to bea.
      assert.equal(await reservedTo(on, 0, waiting), bea, 'the waiting task was offered to the worker who got room');

      // Node 1 frees a slot of ann (offline on node 0): ann must not be offered the next task on node 1.
      const annRes = (await on(1).tasks(tasks[0]).reservations.list())[0];
      await on(1).tasks(tasks[0]).reservations(annRes.sid).update({ reservationStatus: 'rejected' });
      const rerouted = await reservedTo(on, 1, tasks[0]);
      assert.notEqual(rerouted, ann, 'the task is not offered back to who rejected it');
      assert.equal(rerouted, null, 'bea and cid are full, ann is offline (a change made on the other node)');
      const next = await task(1);
      assert.equal(await reservedTo(on, 1, next), null, 'node 1 knows ann is offline and the others are full');

      // Node 1 brings ann back, with one slot free: the new task goes to her, not the one she rejected.
      await on(1).workers(ann).update({ activitySid: available });
      assert.equal(await reservedTo(on, 0, next), ann);
      assert.equal(await reservedTo(on, 0, tasks[0]), null, 'ann rejected tasks[0]: it still waits');
      await withinCapacity(on, workers);

      // Capacity raised on node 0: cid takes the waiting task there, and a task created on node 1 uses the room left.
      await on(0).workers(cid).workerChannels('default').update({ capacity: 4 });
      assert.equal(await reservedTo(on, 0, tasks[0]), cid, 'the room node 0 gave took the waiting task');
      const more = await task(1);
      assert.equal(await reservedTo(on, 1, more), cid, 'node 1 sees the capacity node 0 gave, and what node 0 reserved with it');
      const full = await task(1);
      assert.equal(await reservedTo(on, 1, full), null, 'and no more than that');
      await withinCapacity(on, workers);
      await memoryMatchesStore(ws.sid);
    });

    test('a node whose memory is behind fires a timer: the task is offered on the current state', async () => {
      const { ws, on, offline, workflow, workers } = await workspace('behind');
      const [ann, bea, cid] = workers;
      // Node 0 routes: its memory is current, then node 1 changes everything.
      const t = (await on(0).tasks.create({ workflowSid: workflow.sid, attributes: '{}' })).sid;
      assert.equal(await reservedTo(on, 0, t), ann);
      clock.advance(10_000);
      await on(1).workers(bea).update({ activitySid: offline });
      const other = (await on(1).tasks.create({ workflowSid: workflow.sid, attributes: '{}' })).sid;
      assert.equal(await reservedTo(on, 1, other), cid, 'node 1: bea offline, cid next');
      await on(1).workers(cid).workerChannels('default').update({ capacity: 1 });

      // ann's reservation times out on node 0, which last routed before all of that.
      clock.advance(25_000);
      assert.ok((await nodes[0].server.taskRouter.engine.tick()) >= 1, 'node 0 fired the timeout');
      const ended = (await on(0).tasks(t).reservations.list()).find((r: any) => r.workerSid === ann);
      assert.equal(ended?.reservationStatus, 'timeout');
      // bea is offline and cid is full (capacity 1, holding `other`): nobody may take it, ann let it time out.
      assert.equal(await reservedTo(on, 0, t), null, 'not offered to an offline or full worker');
      assert.equal((await on(0).tasks(t).fetch()).assignmentStatus, 'pending', 'the task waits, not lost');
      await withinCapacity(on, workers);
      await memoryMatchesStore(ws.sid);
    });
  });
}
