/**
 * `npm start`'s entry point (src/main.ts) with a wrong environment: one line per problem on
 * stderr, naming the variable, what was given (secrets not shown) and what is expected; no stack
 * trace; a non-zero exit; nothing listening.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

const ROOT = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'switchyard-config-errors-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs src/main.ts with only this environment (and PATH, HOME); resolves when it exits, fails after 30 s. */
function start(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, SQLITE_FILE: join(dir, 'never-used.db'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c));
  child.stderr.on('data', (c: Buffer) => (stderr += c));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`src/main.ts did not exit within 30 s; stdout: ${stdout}; stderr: ${stderr}`));
    }, 30_000);
    // 'close': exited, and its output read to the end.
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const lines = (text: string) => text.split('\n').filter((l) => l !== '');

test('every wrong variable is one line on stderr, then exit 2; no stack trace, secrets not shown, nothing started', async () => {
  const r = await start({
    PORT: 'abc',
    DATABASE_URL: 'postgres://switchyard:hunter2@db.example:99999/switchyard',
    SQLITE_FILE: '',
    SWITCHYARD_CLOCK_CONTROL: 'yes',
    TWILIO_ACCOUNT_SID: 'hello',
    TWILIO_AUTH_TOKEN: 'my secret token',
    TWILIO_API_KEY: 'SK' + '12'.repeat(16),
    SWITCHYARD_REQUEST_TIMEOUT_MS: '0',
    SWITCHYARD_CLOCK_CONTROLL: '1',
  });
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stdout, '');
  assert.deepEqual(lines(r.stderr), [
    'warning: SWITCHYARD_CLOCK_CONTROLL is not a Switchyard setting and is ignored (misspelt?)',
    "PORT must be an integer from 1 to 65535; got 'abc'",
    "DATABASE_URL must be a PostgreSQL connection string, postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE; got 'postgres://switchyard:***@db.example:99999/switchyard'",
    "SWITCHYARD_CLOCK_CONTROL must be 1, 0, true or false; got 'yes'",
    "SWITCHYARD_REQUEST_TIMEOUT_MS must be a positive integer (1 to 999999); got '0'",
    "TWILIO_ACCOUNT_SID must be AC followed by 32 hexadecimal digits; got 'hello'",
    'TWILIO_AUTH_TOKEN must be printable text without spaces, at most 256 characters; got 15 characters (not shown)',
    'TWILIO_API_KEY is set but TWILIO_API_SECRET is not: set both (the API key and its secret), or neither',
    '7 configuration problems; nothing was started. The variables are listed in README.md, Configuration.',
  ]);
  assert.doesNotMatch(r.stderr, /hunter2|secret token|\n\s+at /);
});

test('DATABASE_URL=garbage is named as such, not as a failed look-up of some host', async () => {
  const r = await start({ DATABASE_URL: 'garbage', SQLITE_FILE: '' });
  assert.equal(r.code, 2);
  assert.deepEqual(lines(r.stderr), [
    "DATABASE_URL must be a PostgreSQL connection string, postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE; got 'garbage'",
    '1 configuration problem; nothing was started. The variables are listed in README.md, Configuration.',
  ]);
});

test('a well-formed DATABASE_URL whose server refuses connections: one line naming the store (password hidden), exit 1', async () => {
  const r = await start({ DATABASE_URL: 'postgres://switchyard:hunter2@127.0.0.1:1/switchyard', SQLITE_FILE: '' });
  assert.equal(r.code, 1, r.stderr);
  assert.deepEqual(lines(r.stderr), [
    'Switchyard could not open its store (PostgreSQL at postgres://switchyard:***@127.0.0.1:1/switchyard): connect ECONNREFUSED 127.0.0.1:1 (ECONNREFUSED)',
  ]);
});

test('a PORT already taken: one line naming the address, exit 1', async () => {
  const taken: Server = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const port = (taken.address() as { port: number }).port;
  try {
    const r = await start({ PORT: String(port), HOST: '127.0.0.1', SQLITE_FILE: join(dir, 'port.db') });
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(lines(r.stderr), [`Switchyard could not listen on 127.0.0.1 port ${port}: listen EADDRINUSE: address already in use 127.0.0.1:${port} (EADDRINUSE)`]);
  } finally {
    taken.close();
  }
});
