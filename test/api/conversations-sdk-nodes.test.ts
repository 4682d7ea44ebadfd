/**
 * Two nodes on one PostgreSQL store: the official Conversations SDK connected to node B hears a
 * message posted through node A's REST API, and another SDK's on A (B finds them on its poll:
 * nothing tells it of A's commits), and what it sends through B reaches an SDK on A. Several nodes
 * need PostgreSQL (SQLite is one process's store), so without TEST_DATABASE_URL this file registers
 * no test.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Credentials } from '../../src/accounts/accounts.ts';
import { switchyardClient } from '../../src/client.ts';
import { ManualClock } from '../../src/core/clock.ts';
import { createServer, type Server } from '../../src/server.ts';
import { backends } from '../support/server.ts';
import { chatToken, connectSdk, nextEvent, within, type Client, type Message, type Participant } from '../support/conversations-sdk.ts';

for (const backend of backends().filter((b) => b.name === 'postgres')) {
  describe('conversations: the official SDK on several nodes (postgres)', () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 15, 9));
    let store: Awaited<ReturnType<typeof backend.create>>;
    const nodes: { server: Server; baseUrl: string }[] = [];
    let account: Required<Credentials>;
    const clients: Client[] = [];

    before(async () => {
      store = await backend.create();
      for (let i = 0; i < 2; i++) {
        const server = await createServer({ ...store.config, clock, timers: 'auto', sdk: { pollMs: 100 } });
        await server.app.listen({ port: 0, host: '127.0.0.1' });
        const address = server.app.server.address();
        nodes.push({ server, baseUrl: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` });
      }
      account = await nodes[0].server.accounts.create('nodes');
    });
    after(async () => {
      for (const c of clients) await within(c.shutdown(), 'shutdown').catch(() => undefined);
      for (const n of nodes) await n.server.close();
      await store.dispose();
    });

    test('a message posted through node A reaches an SDK on node B; B\'s SDK writes back to an SDK on A; typing crosses too', async () => {
      const [a, b] = nodes;
      const cv = switchyardClient(a.baseUrl, account.accountSid, account.authToken).conversations.v1;
      const sid = (await cv.conversations.create({ friendlyName: 'two nodes' })).sid;
      for (const identity of ['on-a', 'on-b']) await cv.conversations(sid).participants.create({ identity });
      const atA = await connectSdk(a.baseUrl, chatToken(account, 'on-a'));
      const atB = await connectSdk(b.baseUrl, chatToken(account, 'on-b'));
      clients.push(atA, atB);
      const convA = await within(atA.getConversationBySid(sid), 'getConversationBySid on A');
      const convB = await within(atB.getConversationBySid(sid), 'getConversationBySid on B');
      await within(convA.getParticipants(), 'getParticipants on A');
      await within(convB.getParticipants(), 'getParticipants on B');

      const heardOnB = nextEvent<Message>(convB, 'messageAdded');
      await cv.conversations(sid).messages.create({ author: 'system', body: 'posted on A' });
      assert.equal((await heardOnB).body, 'posted on A');

      const heardOnA = nextEvent<Message>(convA, 'messageAdded', (m) => m.author === 'on-b');
      await within(convB.sendMessage('sent through B', { via: 'b' }), 'sendMessage on B');
      const m = await heardOnA;
      assert.equal(m.body, 'sent through B');
      assert.deepEqual(m.attributes, { via: 'b' });

      const typingOnA = nextEvent<Participant>(convA, 'typingStarted');
      await within(convB.typing(), 'typing on B');
      assert.equal((await typingOnA).identity, 'on-b');
    });
  });
}
