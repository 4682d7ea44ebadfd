/**
 * The official Conversations SDK's token life: renewed with updateToken, warned before it runs out
 * (tokenAboutToExpire), and closed once it has (tokenExpired), all against the server's clock.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { chatToken, connectSdk, nextEvent, sdkClient, within, type Client } from '../support/conversations-sdk.ts';

/** When a token runs out (its exp), in epoch ms. */
const expiryOf = (token: string) => (JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { exp: number }).exp * 1000;

for (const backend of backends()) {
  describe(`conversations: the official SDK's tokens (${backend.name})`, () => {
    let t: TestServer;
    const clients: Client[] = [];
    before(async () => {
      t = await startServer(backend, { timers: 'auto' });
    });
    after(async () => {
      for (const c of clients) await within(c.shutdown(), 'shutdown').catch(() => undefined);
      await t.close();
    });

    test('warned before its token runs out, it renews it with updateToken and goes on; one it does not renew is closed when it runs out', async () => {
      const sid = (await t.client.conversations.v1.conversations.create({})).sid;
      await t.client.conversations.v1.conversations(sid).participants.create({ identity: 'renewer' });
      const first = chatToken(t.account, 'renewer', { ttl: 600 });
      const client = await connectSdk(t.baseUrl, first);
      clients.push(client);

      const warned = nextEvent(client, 'tokenAboutToExpire');
      t.clock.set(expiryOf(first) - 60_000);
      t.server.sdk.endpoint.checkTokens();
      await warned;

      const second = chatToken(t.account, 'renewer', { ttl: 3600 });
      assert.ok(expiryOf(second) > expiryOf(first));
      await within(client.updateToken(second), 'updateToken');
      // Past the first token's expiry, the connection lives on the second.
      t.clock.set(expiryOf(first) + 60_000);
      t.server.sdk.endpoint.checkTokens();
      const c = await within(client.getConversationBySid(sid), 'getConversationBySid');
      const added = nextEvent(c, 'messageAdded');
      await within(c.sendMessage('still here'), 'sendMessage');
      await added;
      assert.equal(client.connectionState, 'connected');

      const expired = nextEvent(client, 'tokenExpired');
      t.clock.set(expiryOf(second) + 1_000);
      t.server.sdk.endpoint.checkTokens();
      await expired;
      await nextEvent(client, 'connectionStateChanged', (s) => s === 'disconnected' || s === 'denied').catch(() => undefined);
      assert.notEqual(client.connectionState, 'connected');
    });

    test('a token already expired is refused at init: the SDK reports it expired (20104) and stops', async () => {
      const token = chatToken(t.account, 'late', { ttl: 60 });
      t.clock.set(expiryOf(token) + 1_000);
      const client = sdkClient(t.baseUrl, token);
      const expired = nextEvent(client, 'tokenExpired');
      const error = nextEvent<{ terminal: boolean; errorCode: number | null; httpStatusCode: number | null }>(client, 'connectionError');
      try {
        const e = await error;
        assert.equal(e.terminal, true);
        assert.equal(e.errorCode, 20104);
        assert.equal(e.httpStatusCode, 401);
        await expired;
        await assert.rejects(connectSdk(t.baseUrl, token), /20104/);
      } finally {
        await within(client.shutdown(), 'shutdown', 1000).catch(() => undefined);
      }
    });
  });
}
