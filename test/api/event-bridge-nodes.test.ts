/**
 * Two nodes on one PostgreSQL store: the official SDK connected to node B hears about changes
 * made through node A's REST API (B reads them from the events table on its poll), and what it
 * does through B is seen on A. Several nodes need PostgreSQL (SQLite is one process's store), so
 * without TEST_DATABASE_URL this file registers no test.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Credentials } from '../../src/accounts/accounts.ts';
import { switchyardClient } from '../../src/client.ts';
import { ManualClock } from '../../src/core/clock.ts';
import { createServer, type Server } from '../../src/server.ts';
import { backends } from '../support/server.ts';
import { connectWorker, nextEvent, release, workerToken, type SdkReservation, type SdkWorker } from './event-bridge-support.ts';

for (const backend of backends().filter((b) => b.name === 'postgres')) {
  describe('event bridge: several nodes (postgres)', () => {
    const clock = new ManualClock(Date.now());
    let store: Awaited<ReturnType<typeof backend.create>>;
    const nodes: { server: Server; baseUrl: string }[] = [];
    let account: Required<Credentials>;
    const sdkWorkers: SdkWorker[] = [];

    before(async () => {
      store = await backend.create();
      for (let i = 0; i < 2; i++) {
        // Node B's engine never hears of A's commits: only its poll (shortened here) finds them.
        const server = await createServer({ ...store.config, clock, timers: 'manual', eventBridge: { pollMs: 50 } });
        await server.app.listen({ port: 0, host: '127.0.0.1' });
        const address = server.app.server.address();
        nodes.push({ server, baseUrl: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` });
      }
      account = await nodes[0].server.accounts.create('nodes');
    });
    after(async () => {
      for (const w of sdkWorkers) release(w);
      for (const n of nodes) await n.server.close();
      await store.dispose();
    });

    test('changes made on node A are pushed by node B; the SDK on B acts, A sees it', async () => {
      const [a, b] = nodes;
      const client = switchyardClient(a.baseUrl, account.accountSid, account.authToken);
      const tr = client.taskrouter.v1;
      const ws = await tr.workspaces.create({ friendlyName: 'two nodes', template: 'FIFO' });
      const w = tr.workspaces(ws.sid);
      const activities = await w.activities.list();
      const available = activities.find((x) => x.friendlyName === 'Available')!.sid;
      const queue = await w.taskQueues.create({ friendlyName: 'q', targetWorkers: '1==1' });
      const workflow = await w.workflows.create({
        friendlyName: 'wf',
        configuration: JSON.stringify({ task_routing: { default_filter: { queue: queue.sid } } }),
      });
      const alice = await w.workers.create({ friendlyName: 'alice' });

      const token = workerToken({ account } as never, ws.sid, alice.sid);
      const c = await connectWorker(b.baseUrl, token);
      sdkWorkers.push(c.worker);
      const worker = c.worker;

      const attrs = nextEvent<SdkWorker>(worker, 'attributesUpdated');
      await w.workers(alice.sid).update({ attributes: '{"via":"node A"}' });
      assert.deepEqual((await attrs).attributes, { via: 'node A' });

      const activity = nextEvent<SdkWorker>(worker, 'activityUpdated');
      await w.workers(alice.sid).update({ activitySid: available });
      assert.equal((await activity).activity.sid, available);

      const created = nextEvent<SdkReservation>(worker, 'reservationCreated');
      const task = await w.tasks.create({ workflowSid: workflow.sid, attributes: '{"from":"A"}' });
      const reservation = await created;
      assert.equal(reservation.task.sid, task.sid);
      assert.deepEqual(reservation.task.attributes, { from: 'A' });

      const accepted = nextEvent<SdkReservation>(reservation, 'accepted');
      await reservation.accept();
      await accepted;
      assert.equal((await w.tasks(task.sid).fetch()).assignmentStatus, 'assigned');

      const updated = nextEvent(reservation.task, 'updated');
      await w.tasks(task.sid).update({ attributes: '{"from":"A","note":"edited on A"}' });
      await updated;
      assert.deepEqual(reservation.task.attributes, { from: 'A', note: 'edited on A' });
      assert.equal(a.server.eventBridge.connections.has(alice.sid), false, 'the socket is on node B only');
    });
  });
}
