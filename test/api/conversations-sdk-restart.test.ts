/**
 * The official Conversations SDK across a server restart: the server stops (the SDK's socket
 * drops and it retries), starts again on the same store and port, a message is written through
 * REST before the SDK is back, and the SDK, once reconnected, gets it: its subscriptions replay
 * what it missed from their last event ids, which the store kept.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Credentials } from '../../src/accounts/accounts.ts';
import { switchyardClient } from '../../src/client.ts';
import { ManualClock } from '../../src/core/clock.ts';
import { createServer, type Server } from '../../src/server.ts';
import { backends } from '../support/server.ts';
import { chatToken, connectSdk, nextEvent, within, type Client, type Message } from '../support/conversations-sdk.ts';

/** The SDK retries a dropped socket after about 1 s, then 2 s, 4 s...: enough for the server to come back. */
const RECONNECT_MS = 15_000;

for (const backend of backends()) {
  describe(`conversations: the official SDK across a restart (${backend.name})`, () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 15, 9));
    let store: Awaited<ReturnType<typeof backend.create>>;
    let server: Server;
    let port = 0;
    let account: Required<Credentials>;
    let client: Client | undefined;
    const start = async () => {
      // Replays come 3 events at a time: what was missed arrives over several rounds, all of it.
      server = await createServer({ ...store.config, clock, timers: 'auto', sdk: { replayLimit: 3 } });
      await server.app.listen({ port, host: '127.0.0.1' });
      const address = server.app.server.address();
      port = typeof address === 'object' && address ? address.port : 0;
    };
    const baseUrl = () => `http://127.0.0.1:${port}`;

    before(async () => {
      store = await backend.create();
      await start();
      account = await server.accounts.create('restart');
    });
    after(async () => {
      if (client) await within(client.shutdown(), 'shutdown').catch(() => undefined);
      await server.close();
      await store.dispose();
    });

    test('a message written while the SDK is away (the server restarted meanwhile) reaches it when it reconnects', async () => {
      const cv = () => switchyardClient(baseUrl(), account.accountSid, account.authToken).conversations.v1;
      const sid = (await cv().conversations.create({ friendlyName: 'through a restart' })).sid;
      await cv().conversations(sid).participants.create({ identity: 'steady' });
      client = await connectSdk(baseUrl(), chatToken(account, 'steady'));
      const c = await within(client.getConversationBySid(sid), 'getConversationBySid');
      await within(c.getParticipants(), 'getParticipants');
      const first = nextEvent<Message>(c, 'messageAdded');
      await cv().conversations(sid).messages.create({ author: 'system', body: 'before' });
      assert.equal((await first).body, 'before');

      const away = nextEvent(client, 'connectionStateChanged', (s) => s !== 'connected');
      await server.close();
      await away;
      await start();
      // Written before the SDK is back: only the replay can bring them. (The REST client's pooled
      // connection to the stopped server may be the one it tries first.)
      const missedBodies = Array.from({ length: 8 }, (_, i) => `while you were away ${i + 1}`);
      const heard: string[] = [];
      const all = new Promise<void>((resolve) =>
        c.on('messageAdded', (m: Message) => {
          heard.push(m.body ?? '');
          if (heard.length === missedBodies.length) resolve();
        }),
      );
      const write = (body: string) => cv().conversations(sid).messages.create({ author: 'system', body });
      await write(missedBodies[0]).catch((err: Error) => (/socket hang up|ECONNRESET/.test(err.message) ? write(missedBodies[0]) : Promise.reject(err)));
      for (const body of missedBodies.slice(1)) await write(body);
      assert.notEqual(client.connectionState, 'connected');
      await within(all, `the ${missedBodies.length} messages missed`, RECONNECT_MS);
      assert.deepEqual(heard, missedBodies);

      // And it carries on live.
      const next = nextEvent<Message>(c, 'messageAdded');
      await within(c.sendMessage('back'), 'sendMessage');
      assert.equal((await next).body, 'back');
      assert.deepEqual((await cv().conversations(sid).messages.list()).map((m) => m.body), ['before', ...missedBodies, 'back']);
    });
  });
}
