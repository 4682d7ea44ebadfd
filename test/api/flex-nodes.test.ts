/**
 * Two nodes on one PostgreSQL store: reservations of interaction tasks accepted on both at once.
 * Each node's follower handles what its own commits did, and the polls of both go over the same
 * events again: every agent joins once, on the right conversation. Several nodes need PostgreSQL
 * (SQLite is one process's store), so without TEST_DATABASE_URL this file registers no test.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Credentials } from '../../src/accounts/accounts.ts';
import { switchyardClient } from '../../src/client.ts';
import { ManualClock } from '../../src/core/clock.ts';
import { createServer, type Server } from '../../src/server.ts';
import { backends } from '../support/server.ts';

for (const backend of backends().filter((b) => b.name === 'postgres')) {
  describe('flex: two nodes following the same workspace (postgres)', () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 15, 9));
    let store: Awaited<ReturnType<typeof backend.create>>;
    const nodes: { server: Server; baseUrl: string }[] = [];
    let account: Required<Credentials>;

    before(async () => {
      store = await backend.create();
      for (let i = 0; i < 2; i++) {
        const server = await createServer({ ...store.config, clock, timers: 'manual' });
        await server.app.listen({ port: 0, host: '127.0.0.1' });
        const address = server.app.server.address();
        nodes.push({ server, baseUrl: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` });
      }
      account = await nodes[0].server.accounts.create('nodes');
    });
    after(async () => {
      for (const n of nodes) await n.server.close();
      await store.dispose();
    });

    test('ten chats accepted half on each node, at once: every agent joins once, on the right conversation', async () => {
      const [a, b] = nodes.map((n) => switchyardClient(n.baseUrl, account.accountSid, account.authToken));
      const tr = a.taskrouter.v1;
      const ws = await tr.workspaces.create({ friendlyName: 'two nodes', multiTaskEnabled: true });
      const w = tr.workspaces(ws.sid);
      const available = (await w.activities.list()).find((x) => x.friendlyName === 'Available')!.sid;
      const queue = await w.taskQueues.create({ friendlyName: 'q', targetWorkers: '1==1' });
      await w.workflows.create({ friendlyName: 'wf', configuration: JSON.stringify({ task_routing: { default_filter: { queue: queue.sid } } }) });
      const agents: string[] = [];
      for (const name of ['ann', 'bea']) {
        const worker = await w.workers.create({ friendlyName: name, attributes: JSON.stringify({ contact_uri: `client:${name}` }), activitySid: available });
        await w.workers(worker.sid).workerChannels('chat').update({ capacity: 10 });
        agents.push(worker.sid);
      }

      const chats = [];
      for (let i = 0; i < 10; i++) {
        const created = await a.flexApi.v1.interaction.create({
          channel: { type: 'chat', initiated_by: 'api', participants: [{ identity: `customer-${i}` }] },
          routing: { properties: { workspace_sid: ws.sid, task_channel_unique_name: 'chat' } },
        });
        const props = (created.routing as { properties: { sid: string; attributes: string } }).properties;
        chats.push({ i, taskSid: props.sid, conversationSid: JSON.parse(props.attributes).conversationSid as string, interactionSid: created.sid, channelSid: (created.channel as { sid: string }).sid });
      }
      // Accept every offer, each through one node or the other, all at once.
      await Promise.all(
        chats.map(async (c) => {
          const client = c.i % 2 === 0 ? a : b;
          const [offer] = await client.taskrouter.v1.workspaces(ws.sid).tasks(c.taskSid).reservations.list({ reservationStatus: 'pending' });
          assert.ok(offer, `chat ${c.i} was offered`);
          await client.taskrouter.v1.workspaces(ws.sid).tasks(c.taskSid).reservations(offer.sid).update({ reservationStatus: 'accepted' });
        }),
      );
      // Both nodes go over the events again: nothing is handled twice.
      await Promise.all(nodes.map((n) => n.server.flex.poll()));
      await Promise.all(nodes.map((n) => n.server.flex.poll()));

      for (const c of chats) {
        const task = await w.tasks(c.taskSid).fetch();
        assert.equal(task.assignmentStatus, 'assigned');
        const [res] = await w.tasks(c.taskSid).reservations.list({ reservationStatus: 'accepted' });
        const agent = res.workerName;
        const inConversation = (await a.conversations.v1.conversations(c.conversationSid).participants.list()).map((p) => p.identity).sort();
        assert.deepEqual(inConversation, [`customer-${c.i}`, agent].sort(), `chat ${c.i}: the customer and the agent who accepted`);
        const onChannel = await a.flexApi.v1.interaction(c.interactionSid).channels(c.channelSid).participants.list();
        assert.deepEqual(onChannel.map((p) => p.type).sort(), ['agent', 'customer'], `chat ${c.i}: one agent on the channel`);
        assert.equal((onChannel.find((p) => p.type === 'agent')!.routingProperties as { task_sid: string }).task_sid, c.taskSid);
      }
    });
  });
}
