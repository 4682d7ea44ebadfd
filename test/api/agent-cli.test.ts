/**
 * `npm run agent-credentials`: the administrator's command sets and revokes an agent's sign-in in
 * the store the server uses (SQLITE_FILE, or DATABASE_URL with DATABASE_SCHEMA), and a running
 * server signs the agent in with it at once.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { switchyardClient } from '../../src/client.ts';
import { createServer, type Server } from '../../src/server.ts';
import type { StoreConfig } from '../../src/store/open.ts';
import { backends } from '../support/server.ts';

const SCRIPT = 'scripts/agent-credentials.ts';

function run(config: StoreConfig, args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: config.databaseUrl ?? '', DATABASE_SCHEMA: config.schema ?? '', SQLITE_FILE: config.sqliteFile ?? '' };
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ['--import', 'tsx', SCRIPT, ...args], { env }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    if (stdin !== undefined) child.stdin!.end(stdin);
    else child.stdin!.end();
  });
}

for (const backend of backends()) {
  describe(`agent credentials command (${backend.name})`, () => {
    let store: Awaited<ReturnType<typeof backend.create>>;
    let server: Server;
    let baseUrl: string;
    let accountSid: string;
    let ws: string;
    let wk: string;
    before(async () => {
      store = await backend.create();
      server = await createServer({ ...store.config, timers: 'manual' });
      await server.app.listen({ port: 0, host: '127.0.0.1' });
      const address = server.app.server.address();
      baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      const account = await server.accounts.create('cli');
      accountSid = account.accountSid;
      const client = switchyardClient(baseUrl, account.accountSid, account.authToken);
      ws = (await client.taskrouter.v1.workspaces.create({ friendlyName: 'cli' })).sid;
      wk = (await client.taskrouter.v1.workspaces(ws).workers.create({ friendlyName: 'pat' })).sid;
    });
    after(async () => {
      await server.close();
      await store.dispose();
    });

    const signIn = (username: string, password: string) =>
      fetch(`${baseUrl}/switchyard/v1/Agent/Sessions`, { method: 'POST', body: new URLSearchParams({ AccountSid: accountSid, Username: username, Password: password }) });

    test('sets (argument or stdin), then revokes; the server signs the agent in and then refuses', async () => {
      const set = await run(store.config, ['--workspace', ws, '--worker', wk, '--password', 'first password']);
      assert.equal(set.code, 0, set.stderr);
      assert.match(set.stdout, new RegExp(`Set the credentials of Worker ${wk}: .*Username pat`));
      const first = await signIn('pat', 'first password');
      assert.equal(first.status, 201);
      assert.equal(((await first.json()) as { worker_sid: string }).worker_sid, wk);

      const piped = await run(store.config, ['--workspace', ws, '--worker', wk, '--username', 'pat.q', '--password-stdin'], 'second password\n');
      assert.equal(piped.code, 0, piped.stderr);
      assert.match(piped.stdout, /Replaced the credentials .*Username pat\.q/);
      assert.equal((await signIn('pat', 'first password')).status, 401);
      assert.equal((await signIn('pat.q', 'second password')).status, 201);

      const revoked = await run(store.config, ['--workspace', ws, '--worker', wk, '--revoke']);
      assert.equal(revoked.code, 0, revoked.stderr);
      assert.equal((await signIn('pat.q', 'second password')).status, 401);
    });

    test('bad input: usage (2) or a Twilio error (1), and nothing stored', async () => {
      const usage = await run(store.config, ['--workspace', ws, '--worker', wk]);
      assert.equal(usage.code, 2);
      assert.match(usage.stderr, /usage:/);
      const both = await run(store.config, ['--workspace', ws, '--worker', wk, '--password', 'x'.repeat(10), '--revoke']);
      assert.equal(both.code, 2);
      const unknownFlag = await run(store.config, ['--workspace', ws, '--worker', wk, '--pasword', 'x'.repeat(10)]);
      assert.equal(unknownFlag.code, 2);
      const short = await run(store.config, ['--workspace', ws, '--worker', wk, '--password', 'short']);
      assert.equal(short.code, 1);
      assert.match(short.stderr, /Error 20001: Password must be at least 8 characters long/);
      const noWorkspace = await run(store.config, ['--workspace', 'WS' + '0'.repeat(32), '--worker', wk, '--password', 'long enough']);
      assert.equal(noWorkspace.code, 1);
      assert.match(noWorkspace.stderr, /Error 20404/);
      const noWorker = await run(store.config, ['--workspace', ws, '--worker', 'WK' + '0'.repeat(32), '--password', 'long enough']);
      assert.equal(noWorker.code, 1);
      assert.match(noWorker.stderr, /Error 20404/);
      const revokeNone = await run(store.config, ['--workspace', ws, '--worker', wk, '--revoke']);
      assert.equal(revokeNone.code, 1);
      const rows = await server.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM agent_credentials');
      assert.equal(Number(rows!.n), 0);
    });
  });
}
