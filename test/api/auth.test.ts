import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { switchyardClient } from '../../src/client.ts';
import { createServer } from '../../src/server.ts';
import { backends, startServer, type TestServer } from '../support/server.ts';

for (const backend of backends()) {
  describe(`authentication and account isolation (${backend.name})`, () => {
    let t: TestServer;
    before(async () => {
      t = await startServer(backend);
    });
    after(() => t.close());

    test('a wrong token, an unknown account and no credentials are 401 / 20003', async () => {
      const wrong = switchyardClient(t.baseUrl, t.account.accountSid, 'not-the-token');
      await assert.rejects(wrong.taskrouter.v1.workspaces.list(), { status: 401, code: 20003 });
      const unknown = switchyardClient(t.baseUrl, 'AC' + '0'.repeat(32), t.account.authToken);
      await assert.rejects(unknown.taskrouter.v1.workspaces.list(), { status: 401, code: 20003 });
      const none = await t.http('GET', '/taskrouter/v1/Workspaces', { auth: null });
      assert.equal(none.status, 401);
      assert.deepEqual(none.body, { code: 20003, message: 'Authenticate', more_info: 'https://www.twilio.com/docs/errors/20003', status: 401 });
      const garbage = await t.http('GET', '/taskrouter/v1/Workspaces', { auth: 'Basic !!!' });
      assert.equal(garbage.status, 401);
    });

    test('an API key and secret authenticate as their account', async () => {
      const byKey = switchyardClient(t.baseUrl, t.account.apiKey, t.account.apiSecret, { accountSid: t.account.accountSid });
      const ws = await byKey.taskrouter.v1.workspaces.create({ friendlyName: 'via key' });
      assert.equal(ws.accountSid, t.account.accountSid);
      const wrongSecret = switchyardClient(t.baseUrl, t.account.apiKey, 'nope', { accountSid: t.account.accountSid });
      await assert.rejects(wrongSecret.taskrouter.v1.workspaces.list(), { status: 401, code: 20003 });
    });

    test("account B never sees account A's resources", async () => {
      const a = t.client.taskrouter.v1;
      const ws = await a.workspaces.create({ friendlyName: 'A only', template: 'FIFO' });
      const worker = await a.workspaces(ws.sid).workers.create({ friendlyName: 'a-agent' });
      const { client: b } = await t.newAccount();
      await assert.rejects(b.taskrouter.v1.workspaces(ws.sid).fetch(), { status: 404, code: 20404 });
      await assert.rejects(b.taskrouter.v1.workspaces(ws.sid).update({ friendlyName: 'stolen' }), { status: 404, code: 20404 });
      await assert.rejects(b.taskrouter.v1.workspaces(ws.sid).remove(), { status: 404, code: 20404 });
      await assert.rejects(b.taskrouter.v1.workspaces(ws.sid).workers(worker.sid).fetch(), { status: 404, code: 20404 });
      await assert.rejects(b.taskrouter.v1.workspaces(ws.sid).workers.list(), { status: 404, code: 20404 });
      await assert.rejects(b.taskrouter.v1.workspaces(ws.sid).activities.create({ friendlyName: 'x' }), { status: 404, code: 20404 });
      assert.deepEqual(await b.taskrouter.v1.workspaces.list(), []);
      assert.equal((await a.workspaces(ws.sid).fetch()).friendlyName, 'A only', 'A is untouched');
    });
  });

  describe(`configured and development accounts (${backend.name})`, () => {
    test('TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN / API key make that account exist; the dev account persists', async () => {
      const store = await backend.create();
      const account = {
        accountSid: 'AC' + 'ab'.repeat(16),
        authToken: 'configured-token',
        apiKey: 'SK' + 'cd'.repeat(16),
        apiSecret: 'configured-secret',
      };
      try {
        const first = await createServer({ ...store.config, account });
        await first.app.listen({ port: 0, host: '127.0.0.1' });
        const port = (first.app.server.address() as { port: number }).port;
        const base = `http://127.0.0.1:${port}`;
        const client = switchyardClient(base, account.accountSid, account.authToken);
        assert.deepEqual(await client.taskrouter.v1.workspaces.list(), []);
        const byKey = switchyardClient(base, account.apiKey, account.apiSecret, { accountSid: account.accountSid });
        assert.deepEqual(await byKey.taskrouter.v1.workspaces.list(), []);
        const dev = await first.accounts.developmentAccount();
        await first.close();

        // A restart with a new token replaces the old one; the development account is the same as before.
        const second = await createServer({ ...store.config, account: { ...account, authToken: 'rotated' } });
        await second.app.listen({ port: 0, host: '127.0.0.1' });
        const port2 = (second.app.server.address() as { port: number }).port;
        const base2 = `http://127.0.0.1:${port2}`;
        await assert.rejects(switchyardClient(base2, account.accountSid, 'configured-token').taskrouter.v1.workspaces.list(), { status: 401 });
        assert.deepEqual(await switchyardClient(base2, account.accountSid, 'rotated').taskrouter.v1.workspaces.list(), []);
        assert.deepEqual(await second.accounts.developmentAccount(), dev);
        assert.deepEqual(await switchyardClient(base2, dev.accountSid, dev.authToken).taskrouter.v1.workspaces.list(), []);
        await second.close();
      } finally {
        await store.dispose();
      }
    });
  });
}

describe('npm start', () => {
  test('serves requests on PORT with the embedded SQLite store and prints the development credentials', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-start-'));
    const port = 20000 + Math.floor(Math.random() * 20000);
    const child = spawn('npm', ['start'], {
      env: { ...process.env, PORT: String(port), SQLITE_FILE: join(dir, 'db.sqlite'), TWILIO_ACCOUNT_SID: '', TWILIO_AUTH_TOKEN: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    try {
      const output = await new Promise<string>((resolve, reject) => {
        let text = '';
        child.stdout.on('data', (d) => {
          text += d;
          if (/TWILIO_API_SECRET=\S+/.test(text)) resolve(text);
        });
        child.on('exit', (code) => reject(new Error(`npm start exited with ${code}: ${text}`)));
      });
      const sid = /TWILIO_ACCOUNT_SID=(AC[0-9a-f]{32})/.exec(output)?.[1];
      const token = /TWILIO_AUTH_TOKEN=(\S+)/.exec(output)?.[1];
      assert.ok(sid && token, output);
      const client = switchyardClient(`http://127.0.0.1:${port}`, sid, token);
      const ws = await client.taskrouter.v1.workspaces.create({ friendlyName: 'from npm start' });
      assert.equal((await client.taskrouter.v1.workspaces(ws.sid).fetch()).friendlyName, 'from npm start');
    } finally {
      process.kill(-child.pid!, 'SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
