import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, configFromEnv, redactUrl, unknownVariables } from '../../src/config.ts';

const SID = 'AC' + 'ab'.repeat(16);
const KEY = 'SK' + 'cd'.repeat(16);

/** The problems configFromEnv reports for this environment (none: it must not throw). */
function problems(env: NodeJS.ProcessEnv): string[] {
  try {
    configFromEnv(env);
    return [];
  } catch (err) {
    assert.ok(err instanceof ConfigError, `a ConfigError, not ${err}`);
    return err.problems;
  }
}

/** Exactly one problem, naming the variable and what was given. */
function refused(env: NodeJS.ProcessEnv, line: RegExp): void {
  const found = problems(env);
  assert.equal(found.length, 1, `one problem for ${JSON.stringify(env)}: ${found.join(' | ')}`);
  assert.match(found[0], line);
}

test('SWITCHYARD_ORPHAN_POLICY: close, inactive and keep are taken; unset means the default; anything else stops the start', () => {
  for (const v of ['close', 'inactive', 'keep']) assert.equal(configFromEnv({ SWITCHYARD_ORPHAN_POLICY: v }).orphans, v);
  assert.equal(configFromEnv({}).orphans, undefined);
  refused({ SWITCHYARD_ORPHAN_POLICY: 'delete' }, /^SWITCHYARD_ORPHAN_POLICY must be one of close, inactive, keep; got 'delete'$/);
});

test('PORT, HOST and the store come from the environment, with defaults', () => {
  const d = configFromEnv({});
  assert.equal(d.port, 3000);
  assert.equal(d.host, '0.0.0.0');
  assert.equal(d.databaseUrl, undefined);
  assert.equal(d.sqliteFile, undefined);
  const c = configFromEnv({ PORT: '4020', HOST: '127.0.0.1', DATABASE_URL: 'postgres://x@y/z', DATABASE_SCHEMA: 's1' });
  assert.deepEqual([c.port, c.host, c.databaseUrl, c.schema], [4020, '127.0.0.1', 'postgres://x@y/z', 's1']);
  // Empty is unset: scripts and tests clear a variable that way.
  assert.deepEqual(problems({ PORT: '', HOST: '', DATABASE_URL: '', DATABASE_SCHEMA: '', SQLITE_FILE: '', TWILIO_ACCOUNT_SID: '' }), []);
});

test('PORT: an integer from 1 to 65535', () => {
  for (const v of ['1', '80', '65535']) assert.equal(configFromEnv({ PORT: v }).port, Number(v));
  for (const v of ['abc', '0', '65536', '-1', '3000.5', ' 3000', '1e3'])
    refused({ PORT: v }, new RegExp(`^PORT must be an integer from 1 to 65535; got '${v.replace('.', '\\.')}'$`));
});

test('HOST: an IP address or a host name', () => {
  for (const v of ['0.0.0.0', '::', '127.0.0.1', 'localhost', 'node-1.internal', '::1']) assert.equal(configFromEnv({ HOST: v }).host, v);
  for (const v of ['http://localhost', 'local host', '0.0.0.0:3000', '-bad']) refused({ HOST: v }, /^HOST must be an IP address or a host name .*; got '/);
});

test('DATABASE_URL: a postgres:// connection string; its password is never printed', () => {
  for (const v of ['postgres://u:p@db:5432/switchyard', 'postgresql://db/switchyard', 'postgres:///switchyard?host=/run/postgresql'])
    assert.equal(configFromEnv({ DATABASE_URL: v }).databaseUrl, v);
  refused({ DATABASE_URL: 'garbage' }, /^DATABASE_URL must be a PostgreSQL connection string, postgres:\/\/USER\[:PASSWORD\]@HOST\[:PORT\]\/DATABASE; got 'garbage'$/);
  refused({ DATABASE_URL: 'mysql://u@db/x' }, /^DATABASE_URL must be .*; got 'mysql:\/\/u@db\/x'$/);
  const [line] = problems({ DATABASE_URL: 'postgres://u:hunter2@db:99999/x' });
  assert.match(line, /^DATABASE_URL must be .*; got 'postgres:\/\/u:\*\*\*@db:99999\/x'$/);
  assert.doesNotMatch(line, /hunter2/);
  assert.equal(redactUrl('postgres://u:hunter2@db/x'), 'postgres://u:***@db/x');
  assert.equal(redactUrl('postgres://u@db/x'), 'postgres://u@db/x');
});

test('DATABASE_SCHEMA: a schema name, and only with DATABASE_URL', () => {
  const url = 'postgres://db/x';
  assert.equal(configFromEnv({ DATABASE_URL: url, DATABASE_SCHEMA: 'sy_test_1' }).schema, 'sy_test_1');
  refused({ DATABASE_URL: url, DATABASE_SCHEMA: 'a;drop' }, /^DATABASE_SCHEMA must be a PostgreSQL schema name .*; got 'a;drop'$/);
  refused({ DATABASE_URL: url, DATABASE_SCHEMA: 'x'.repeat(64) }, /^DATABASE_SCHEMA must be a PostgreSQL schema name/);
  refused({ DATABASE_SCHEMA: 'switchyard' }, /^DATABASE_SCHEMA is for PostgreSQL: set DATABASE_URL too, or unset it \(DATABASE_SCHEMA is 'switchyard'\)$/);
});

test('SQLITE_FILE: a file path or :memory:, and not with DATABASE_URL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-config-'));
  try {
    assert.equal(configFromEnv({ SQLITE_FILE: join(dir, 'new.db') }).sqliteFile, join(dir, 'new.db'));
    assert.equal(configFromEnv({ SQLITE_FILE: ':memory:' }).sqliteFile, ':memory:');
    refused({ SQLITE_FILE: dir }, /^SQLITE_FILE must be the path of a file .*; got '.*', which is a directory/);
    refused({ SQLITE_FILE: join(dir, 'a.db'), DATABASE_URL: 'postgres://db/x' }, /^SQLITE_FILE is for the SQLite store, which DATABASE_URL replaces: unset one of them/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN: AC + 32 hex digits, a token without blanks, both or neither', () => {
  assert.deepEqual(configFromEnv({ TWILIO_ACCOUNT_SID: SID, TWILIO_AUTH_TOKEN: 'tok-123' }).account, { accountSid: SID, authToken: 'tok-123', apiKey: undefined, apiSecret: undefined });
  assert.equal(configFromEnv({}).account, undefined);
  for (const v of ['hello', 'AC' + 'ab'.repeat(15), 'SK' + 'ab'.repeat(16), 'AC' + 'zz'.repeat(16)])
    refused({ TWILIO_ACCOUNT_SID: v, TWILIO_AUTH_TOKEN: 't' }, new RegExp(`^TWILIO_ACCOUNT_SID must be AC followed by 32 hexadecimal digits; got '${v}'$`));
  refused({ TWILIO_ACCOUNT_SID: SID }, /^TWILIO_ACCOUNT_SID is set but TWILIO_AUTH_TOKEN is not/);
  refused({ TWILIO_AUTH_TOKEN: 'tok' }, /^TWILIO_AUTH_TOKEN is set but TWILIO_ACCOUNT_SID is not/);
  // A token is a secret: its length is told, its text never.
  const [line] = problems({ TWILIO_ACCOUNT_SID: SID, TWILIO_AUTH_TOKEN: 'my secret\n' });
  assert.equal(line, 'TWILIO_AUTH_TOKEN must be printable text without spaces, at most 256 characters; got 10 characters (not shown)');
  refused({ TWILIO_ACCOUNT_SID: SID, TWILIO_AUTH_TOKEN: 'x'.repeat(257) }, /^TWILIO_AUTH_TOKEN must be .*; got 257 characters \(not shown\)$/);
});

test('TWILIO_API_KEY and TWILIO_API_SECRET: SK + 32 hex digits and a secret, together, with the account', () => {
  const account = { TWILIO_ACCOUNT_SID: SID, TWILIO_AUTH_TOKEN: 'tok' };
  assert.deepEqual(configFromEnv({ ...account, TWILIO_API_KEY: KEY, TWILIO_API_SECRET: 's3cr3t' }).account, { accountSid: SID, authToken: 'tok', apiKey: KEY, apiSecret: 's3cr3t' });
  refused({ ...account, TWILIO_API_KEY: 'key', TWILIO_API_SECRET: 's' }, /^TWILIO_API_KEY must be SK followed by 32 hexadecimal digits; got 'key'$/);
  refused({ ...account, TWILIO_API_KEY: KEY }, /^TWILIO_API_KEY is set but TWILIO_API_SECRET is not/);
  refused({ ...account, TWILIO_API_SECRET: 's' }, /^TWILIO_API_SECRET is set but TWILIO_API_KEY is not/);
  refused({ TWILIO_API_KEY: KEY, TWILIO_API_SECRET: 's' }, /^TWILIO_API_KEY is set but TWILIO_ACCOUNT_SID is not/);
  const [line] = problems({ ...account, TWILIO_API_KEY: KEY, TWILIO_API_SECRET: 'two words' });
  assert.equal(line, 'TWILIO_API_SECRET must be printable text without spaces, at most 256 characters; got 9 characters (not shown)');
});

test('SWITCHYARD_CLOCK_CONTROL: 1, 0, true or false; any other spelling is refused, not read as off', () => {
  for (const [v, on] of [['1', true], ['true', true], ['TRUE', true], ['0', false], ['false', false], ['', false]] as const)
    assert.equal(configFromEnv({ SWITCHYARD_CLOCK_CONTROL: v }).clockControl, on, v);
  assert.equal(configFromEnv({}).clockControl, false);
  for (const v of ['yes', 'on', 'no', '2', 'enabled']) refused({ SWITCHYARD_CLOCK_CONTROL: v }, new RegExp(`^SWITCHYARD_CLOCK_CONTROL must be 1, 0, true or false; got '${v}'$`));
});

test('SWITCHYARD_OUTBOUND_URL and SWITCHYARD_OUTBOUND_URLS: http(s) URLs, the second as a JSON object per proxy address', () => {
  const m = { from: '+15550001111' } as never;
  assert.equal(configFromEnv({ SWITCHYARD_OUTBOUND_URL: 'https://sms.example/send' }).outbound!.handles(m), true);
  const per = configFromEnv({ SWITCHYARD_OUTBOUND_URLS: '{"+15550001111": "http://127.0.0.1:9/send"}' }).outbound!;
  assert.equal(per.handles(m), true);
  assert.equal(per.handles({ from: '+15550002222' } as never), false);
  assert.equal(configFromEnv({}).outbound!.handles(m), false);
  refused({ SWITCHYARD_OUTBOUND_URL: 'sms.example/send' }, /^SWITCHYARD_OUTBOUND_URL must be an http:\/\/ or https:\/\/ URL; got 'sms.example\/send'$/);
  refused({ SWITCHYARD_OUTBOUND_URL: 'ftp://sms.example/' }, /^SWITCHYARD_OUTBOUND_URL must be an http/);
  for (const v of ['not json', '["https://a.example"]', '"https://a.example"', 'null'])
    refused({ SWITCHYARD_OUTBOUND_URLS: v }, /^SWITCHYARD_OUTBOUND_URLS must be a JSON object of proxy address → http\(s\) URL/);
  refused({ SWITCHYARD_OUTBOUND_URLS: '{"+1555": "https://a.example", "+1666": "nope"}' }, /^SWITCHYARD_OUTBOUND_URLS must be .*; got '\+1666': 'nope'$/);
});

test('the connection limits: positive integers in milliseconds, 0 (no limit) for the connections per address', () => {
  const c = configFromEnv({ SWITCHYARD_HEADERS_TIMEOUT_MS: '2000', SWITCHYARD_REQUEST_TIMEOUT_MS: '4000', SWITCHYARD_KEEP_ALIVE_TIMEOUT_MS: '70000', SWITCHYARD_MAX_CONNECTIONS_PER_ADDRESS: '0' });
  assert.deepEqual(c.http, { headersTimeoutMs: 2000, requestTimeoutMs: 4000, keepAliveTimeoutMs: 70000, maxConnectionsPerAddress: 0 });
  for (const name of ['SWITCHYARD_HEADERS_TIMEOUT_MS', 'SWITCHYARD_KEEP_ALIVE_TIMEOUT_MS', 'SWITCHYARD_SOCKETS_PER_IDENTITY', 'SWITCHYARD_REQUESTS_PER_ORIGIN'])
    for (const v of ['0', '10s', '-5', '1000000'])
      refused({ [name]: v }, new RegExp(`^${name} must be a positive integer \\(1 to 999999\\); got '${v}'$`));
  refused({ SWITCHYARD_REQUEST_TIMEOUT_MS: '10s' }, /^SWITCHYARD_REQUEST_TIMEOUT_MS must be a positive integer/);
  refused({ SWITCHYARD_MAX_CONNECTIONS_PER_ADDRESS: '-1' }, /^SWITCHYARD_MAX_CONNECTIONS_PER_ADDRESS must be 0 \(no limit\) or a positive integer \(up to 999999\); got '-1'$/);
  refused({ SWITCHYARD_REQUEST_TIMEOUT_MS: '5000' }, /^SWITCHYARD_HEADERS_TIMEOUT_MS \(10000\) must not exceed SWITCHYARD_REQUEST_TIMEOUT_MS \(5000\)/);
  assert.equal(configFromEnv({ SWITCHYARD_SOCKETS_PER_IDENTITY: '3' }).socketsPerIdentity, 3);
  assert.equal(configFromEnv({ SWITCHYARD_REQUESTS_PER_ORIGIN: '2' }).requestsPerOrigin, 2);
});

test('SWITCHYARD_RATE_*: MAX/WINDOW or off, each variable', () => {
  const names = ['SIGN_IN_PER_ADDRESS', 'SIGN_IN_FAILURES_PER_USER', 'AGENT_TOKENS_PER_ADDRESS', 'SESSIONS_PER_ADDRESS', 'SESSIONS_PER_WIDGET', 'SESSION_TOKENS_PER_ADDRESS'];
  for (const n of names) {
    const name = `SWITCHYARD_RATE_${n}`;
    assert.equal(Object.values(configFromEnv({ [name]: '5/1m' }).rateLimits!)[0]!.max, 5, name);
    refused({ [name]: '5 per minute' }, new RegExp(`^${name} must be MAX/WINDOW \\(e.g. 25/10m; WINDOW in s, m or h\\) or off; got '5 per minute'$`));
  }
});

test('SWITCHYARD_TRUST_PROXY: true, false, or addresses and CIDRs', () => {
  assert.equal(configFromEnv({ SWITCHYARD_TRUST_PROXY: 'true' }).trustProxy, true);
  assert.equal(configFromEnv({ SWITCHYARD_TRUST_PROXY: '1' }).trustProxy, true);
  assert.equal(configFromEnv({ SWITCHYARD_TRUST_PROXY: 'false' }).trustProxy, undefined);
  assert.equal(configFromEnv({ SWITCHYARD_TRUST_PROXY: '10.0.0.1,fd00::/8' }).trustProxy, '10.0.0.1,fd00::/8');
  refused({ SWITCHYARD_TRUST_PROXY: 'proxy.example' }, /^SWITCHYARD_TRUST_PROXY must be true, false, or the proxies' addresses\/CIDRs separated by commas; got 'proxy.example'$/);
});

test('every problem is reported at once, one line each, not only the first', () => {
  const found = problems({
    PORT: 'abc',
    DATABASE_URL: 'garbage',
    SWITCHYARD_CLOCK_CONTROL: 'yes',
    TWILIO_ACCOUNT_SID: 'hello',
    SWITCHYARD_ORPHAN_POLICY: 'x',
    SWITCHYARD_RATE_SESSIONS_PER_WIDGET: '1',
  });
  assert.deepEqual(
    found.map((line) => line.split(' ')[0]),
    ['PORT', 'DATABASE_URL', 'SWITCHYARD_CLOCK_CONTROL', 'SWITCHYARD_ORPHAN_POLICY', 'SWITCHYARD_RATE_SESSIONS_PER_WIDGET', 'TWILIO_ACCOUNT_SID', 'TWILIO_ACCOUNT_SID'],
  );
  for (const line of found) assert.doesNotMatch(line, /\n/);
});

test('a SWITCHYARD_* variable that is no setting is named (a misspelt one would otherwise be ignored unseen)', () => {
  assert.deepEqual(unknownVariables({ SWITCHYARD_CLOCK_CONTROLL: '1', SWITCHYARD_CLOCK_CONTROL: '1', PATH: '/bin' }), ['SWITCHYARD_CLOCK_CONTROLL']);
});
