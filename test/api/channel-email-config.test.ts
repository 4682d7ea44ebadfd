/**
 * The email gateway's settings: read from the environment with the others (src/config.ts), each
 * wrong one a line of its own; the listener offers STARTTLS with the operator's certificate and
 * not without one.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import nodemailer from 'nodemailer';
import getTLSOptions from 'smtp-server/lib/tls-options.js';
import { emailOptionsFromEnv, EMAIL_VARIABLES } from '../../src/channels/email/config.ts';
import { EnvReader } from '../../src/config/env-reader.ts';
import { ConfigError, configFromEnv, unknownVariables } from '../../src/config.ts';
import { backends, startServer } from '../support/server.ts';
import { emailGateway, type SmtpError } from './channel-email-helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-email-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
// smtp-server's own certificate for localhost: good enough to prove the handshake, never for production.
const pem = getTLSOptions({}) as { key: string; cert: string };
const KEY = join(dir, 'key.pem');
const CERT = join(dir, 'cert.pem');
writeFileSync(KEY, pem.key);
writeFileSync(CERT, pem.cert);

function problems(env: Record<string, string>): string[] {
  try {
    configFromEnv({ SQLITE_FILE: join(dir, 'unused.db'), ...env });
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

test('off unless configured; every variable read, with its defaults', () => {
  assert.equal(configFromEnv({ SQLITE_FILE: join(dir, 'unused.db') }).channels?.length, 0, 'no variable, no gateway');
  assert.deepEqual(unknownVariables(Object.fromEntries(EMAIL_VARIABLES.map((v) => [v, '1']))), [], 'each is a known setting');

  const inOnly = emailOptionsFromEnv(new EnvReader({ SWITCHYARD_SMTP_PORT: '2525' }));
  assert.equal(inOnly.relay, undefined);
  assert.deepEqual({ ...inOnly.listen, name: undefined }, { port: 2525, host: '0.0.0.0', name: undefined, maxBytes: 10 * 1024 * 1024, tls: undefined });
  assert.ok(inOnly.listen?.name, 'the greeting names this host by default');

  const r = new EnvReader({
    SWITCHYARD_SMTP_PORT: '25',
    SWITCHYARD_SMTP_HOST: '127.0.0.1',
    SWITCHYARD_SMTP_NAME: 'mx.acme.example',
    SWITCHYARD_SMTP_MAX_BYTES: '2048',
    SWITCHYARD_SMTP_TLS_KEY_FILE: KEY,
    SWITCHYARD_SMTP_TLS_CERT_FILE: CERT,
    SWITCHYARD_SMTP_RELAY_HOST: 'smtp.provider.example',
    SWITCHYARD_SMTP_RELAY_TLS: 'IMPLICIT',
    SWITCHYARD_SMTP_RELAY_USER: 'apikey',
    SWITCHYARD_SMTP_RELAY_PASSWORD: 's3cret-value',
    SWITCHYARD_SMTP_RELAY_TIMEOUT_MS: '10000',
  });
  const all = emailOptionsFromEnv(r);
  assert.deepEqual(r.problems, []);
  assert.equal(all.listen?.name, 'mx.acme.example');
  assert.equal(all.listen?.maxBytes, 2048);
  assert.equal(all.listen?.tls?.cert.toString(), pem.cert);
  assert.deepEqual(all.relay, { host: 'smtp.provider.example', port: 465, tls: 'implicit', auth: { user: 'apikey', pass: 's3cret-value' }, timeoutMs: 10_000 });
  const plain = emailOptionsFromEnv(new EnvReader({ SWITCHYARD_SMTP_RELAY_HOST: 'relay.internal' }));
  assert.deepEqual(plain.relay, { host: 'relay.internal', port: 587, tls: 'starttls', auth: undefined, timeoutMs: 30_000 });
  assert.equal(configFromEnv({ SQLITE_FILE: join(dir, 'unused.db'), SWITCHYARD_SMTP_RELAY_HOST: 'relay.internal' }).channels?.length, 1);
});

test('each wrong variable is one line saying what is expected; secrets by length only', () => {
  const lines = problems({
    SWITCHYARD_SMTP_PORT: 'abc',
    SWITCHYARD_SMTP_RELAY_HOST: 'smtp provider',
    SWITCHYARD_SMTP_RELAY_TLS: 'maybe',
    SWITCHYARD_SMTP_RELAY_PASSWORD: 'pass word with spaces',
    SWITCHYARD_SMTP_RELAY_TIMEOUT_MS: '5',
  });
  assert.deepEqual(lines, [
    "SWITCHYARD_SMTP_PORT must be an integer from 1 to 65535; got 'abc'",
    "SWITCHYARD_SMTP_RELAY_HOST must be an IP address or a host name; got 'smtp provider'",
  ]);
  assert.deepEqual(
    problems({
      SWITCHYARD_SMTP_PORT: '2525',
      SWITCHYARD_SMTP_MAX_BYTES: '10',
      SWITCHYARD_SMTP_TLS_KEY_FILE: KEY,
      SWITCHYARD_SMTP_RELAY_HOST: 'relay.internal',
      SWITCHYARD_SMTP_RELAY_TLS: 'maybe',
      SWITCHYARD_SMTP_RELAY_PASSWORD: 'pass word with spaces',
      SWITCHYARD_SMTP_RELAY_TIMEOUT_MS: '5',
    }),
    [
      'SWITCHYARD_SMTP_MAX_BYTES must be an integer from 1024 to 26214400 (bytes); got \'10\'',
      'SWITCHYARD_SMTP_TLS_KEY_FILE and SWITCHYARD_SMTP_TLS_CERT_FILE go together: set both or neither',
      "SWITCHYARD_SMTP_RELAY_TLS must be starttls, implicit, none; got 'maybe'",
      'SWITCHYARD_SMTP_RELAY_PASSWORD must be printable text without spaces, at most 256 characters; got 21 characters (not shown)',
      'SWITCHYARD_SMTP_RELAY_USER and SWITCHYARD_SMTP_RELAY_PASSWORD go together: set both or neither',
      'SWITCHYARD_SMTP_RELAY_TIMEOUT_MS must be an integer from 1000 to 600000 (milliseconds); got \'5\'',
    ],
  );
  assert.deepEqual(problems({ SWITCHYARD_SMTP_PORT: '2525', SWITCHYARD_SMTP_TLS_KEY_FILE: join(dir, 'missing.pem'), SWITCHYARD_SMTP_TLS_CERT_FILE: CERT }), [
    `SWITCHYARD_SMTP_TLS_KEY_FILE must be a readable PEM file; got '${join(dir, 'missing.pem')}' (ENOENT)`,
  ]);
  // Settings of a side that is off: most likely its host or port forgotten.
  assert.deepEqual(problems({ SWITCHYARD_SMTP_MAX_BYTES: '4096', SWITCHYARD_SMTP_RELAY_USER: 'u', SWITCHYARD_SMTP_RELAY_PASSWORD: 'p' }), [
    'SWITCHYARD_SMTP_MAX_BYTES set without SWITCHYARD_SMTP_PORT: the SMTP listener is off',
    'SWITCHYARD_SMTP_RELAY_USER, SWITCHYARD_SMTP_RELAY_PASSWORD set without SWITCHYARD_SMTP_RELAY_HOST: no mail is sent',
  ]);
});

for (const backend of backends()) {
  describe(`email listener TLS (${backend.name})`, () => {
    test("STARTTLS is offered with the operator's certificate, and mail sent over it lands; without one it is not offered", async () => {
      const options = emailOptionsFromEnv(new EnvReader({ SWITCHYARD_SMTP_PORT: '1', SWITCHYARD_SMTP_TLS_KEY_FILE: KEY, SWITCHYARD_SMTP_TLS_CERT_FILE: CERT }));
      const secured = emailGateway(null, { listen: { ...options.listen!, port: 0, host: '127.0.0.1' } });
      const plain = emailGateway(null);
      const t = await startServer(backend, { channels: [secured.factory, plain.factory] });
      try {
        await t.client.conversations.v1.addressConfigurations.create({ type: 'email', address: 'tls@acme.test', 'autoCreation.enabled': true });
        const client = (port: number) => nodemailer.createTransport({ host: '127.0.0.1', port, requireTLS: true, tls: { rejectUnauthorized: false } });
        const sent = await client(secured.port).sendMail({ from: 'ann@customer.test', to: 'tls@acme.test', subject: 'Secret', text: 'over TLS' });
        assert.match(sent.response, /^250 /);
        const [c] = await t.client.conversations.v1.conversations.list();
        assert.deepEqual((await t.client.conversations.v1.conversations(c.sid).messages.list()).map((m) => m.body), ['over TLS']);
        await assert.rejects(client(plain.port).sendMail({ from: 'ann@customer.test', to: 'tls@acme.test', subject: 'x', text: 'x' }), (e: SmtpError & { code?: string }) => {
          assert.equal(e.code, 'ETLS');
          return true;
        });
      } finally {
        await t.close();
      }
    });
  });
}
