import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { rejects } from './conversations-helpers.ts';

const CERT = '-----BEGIN CERTIFICATE-----\nMIIFnTCCBIWgAwIBAgIIAjy9H849+E8wDQYJKoZIhvcNAQEF\n-----END CERTIFICATE-----';
const KEY = '-----BEGIN RSA PRIVATE KEY-----\nMIIEpQIBAAKCAQEAuyf/lNrH9ck8DmNyo3fG\n-----END RSA PRIVATE KEY-----';
const SERVER_KEY = 'AAAA-fcm-server-key-1234';
const API_KEY = 'gcm-api-key-5678';
const FIELDS = ['account_sid', 'date_created', 'date_updated', 'friendly_name', 'sandbox', 'sid', 'type', 'url'];

for (const backend of backends()) {
  describe(`conversations: push credentials (${backend.name})`, () => {
    let t: TestServer;
    before(async () => {
      t = await startServer(backend);
    });
    after(() => t.close());

    /** Every text column of the credentials table: a secret must be in none of them. */
    const stored = async () => JSON.stringify(await t.server.db.all('SELECT * FROM conversation_credentials'));

    test('created for APN, FCM and GCM; the answer and the store hold no secret', async () => {
      const cv = t.client.conversations.v1;
      const apn = await cv.credentials.create({ type: 'apn', friendlyName: 'iOS', certificate: CERT, privateKey: KEY, sandbox: true });
      assert.match(apn.sid, /^CR[0-9a-f]{32}$/);
      assert.equal(apn.type, 'apn');
      assert.equal(apn.friendlyName, 'iOS');
      assert.equal(apn.sandbox, 'True');
      assert.ok(apn.url.endsWith(`/v1/Credentials/${apn.sid}`));
      const fcm = await cv.credentials.create({ type: 'fcm', friendlyName: 'Android', secret: SERVER_KEY });
      assert.equal(fcm.sandbox, 'False');
      const gcm = await cv.credentials.create({ type: 'gcm', apiKey: API_KEY });
      assert.equal(gcm.friendlyName, null);
      const raw = await t.http('GET', `/conversations/v1/Credentials/${apn.sid}`);
      assert.deepEqual(Object.keys(raw.body).sort(), FIELDS, 'only what the resource shows');
      const text = JSON.stringify((await t.http('GET', '/conversations/v1/Credentials')).body) + (await stored());
      for (const secret of [CERT, KEY, SERVER_KEY, API_KEY, 'MIIFnTCC', 'MIIEpQIB']) assert.equal(text.includes(secret), false, `no trace of ${secret.slice(0, 12)}`);
      assert.deepEqual((await cv.credentials.list()).map((c) => c.sid), [apn.sid, fcm.sid, gcm.sid]);
      assert.deepEqual((await cv.credentials.list({ pageSize: 2 })).map((c) => c.sid), [apn.sid, fcm.sid, gcm.sid], 'paged');
    });

    test('fetched, updated (type, name, sandbox; new secrets dropped), deleted', async () => {
      const cv = t.client.conversations.v1;
      const c = await cv.credentials.create({ type: 'apn', friendlyName: 'before', certificate: CERT, privateKey: KEY });
      assert.equal((await cv.credentials(c.sid).fetch()).friendlyName, 'before');
      t.clock.advance(1000);
      const u = await cv.credentials(c.sid).update({ friendlyName: 'after', sandbox: true, certificate: CERT + 'x' });
      assert.equal(u.friendlyName, 'after');
      assert.equal(u.sandbox, 'True');
      assert.equal(u.type, 'apn');
      assert.equal(u.dateUpdated.getTime() - u.dateCreated.getTime(), 1000);
      const f = await cv.credentials(c.sid).update({ type: 'fcm', secret: SERVER_KEY });
      assert.equal(f.type, 'fcm');
      assert.equal(f.friendlyName, 'after', 'kept');
      assert.equal((await stored()).includes(SERVER_KEY), false);
      assert.equal(await cv.credentials(c.sid).remove(), true);
      await rejects(cv.credentials(c.sid).fetch(), 404, 20404);
      await rejects(cv.credentials(c.sid).remove(), 404, 20404);
    });

    test('another account sees, changes and deletes none of them', async () => {
      const cv = t.client.conversations.v1;
      const c = await cv.credentials.create({ type: 'fcm', secret: SERVER_KEY });
      const foreign = (await t.newAccount()).client.conversations.v1;
      assert.deepEqual(await foreign.credentials.list(), []);
      await rejects(foreign.credentials(c.sid).fetch(), 404, 20404);
      await rejects(foreign.credentials(c.sid).update({ friendlyName: 'x' }), 404, 20404);
      await rejects(foreign.credentials(c.sid).remove(), 404, 20404);
      assert.equal((await cv.credentials(c.sid).fetch()).friendlyName, null);
    });
  });
}
