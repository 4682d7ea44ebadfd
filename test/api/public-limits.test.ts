/**
 * The public endpoints (no account credentials): rate limits per client address, per widget and per
 * username (failed sign-ins lock a username for a window), answered with 429 / 20429 and Retry-After;
 * windows run on the server's clock. CORS: a widget names the origins its pages may call from
 * (none named: any), preflights are answered for those, and a session is not started for a page at
 * another origin.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { configFromEnv } from '../../src/config.ts';
import { assertTwilioError } from '../support/twilio-error.ts';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { flexWorkspace, type FlexFixture } from './flex-helpers.ts';

const WIDGETS = '/switchyard/v1/WebChat/Widgets';
const SESSIONS = '/webchat/v1/Sessions';
const SIGN_IN = '/switchyard/v1/Agent/Sessions';
const PASSWORD = 'correct horse battery';
const SHOP = 'https://shop.example';
const EVIL = 'https://evil.example';

const form = (o: Record<string, string> | [string, string][]) => new URLSearchParams(o).toString();

type Reply = { status: number; body: any; headers: Headers };

/** A request without account credentials, from a chosen local address (127.0.0.0/8 is all loopback). */
function call(t: TestServer, method: string, path: string, init: { body?: string; headers?: Record<string, string>; from?: string } = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...(init.body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), ...init.headers };
  return new Promise((resolve, reject) => {
    const req = request(t.baseUrl + path, { method, headers, localAddress: init.from ?? '127.0.0.1' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let body: any = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          /* not JSON: kept as text */
        }
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h.set(k, v);
        resolve({ status: res.statusCode ?? 0, body, headers: h });
      });
    });
    req.on('error', reject);
    if (init.body !== undefined) req.write(init.body);
    req.end();
  });
}

/** 429 with Twilio's body and a Retry-After of at most `windowS` seconds. */
function assertLimited(res: Reply, windowS: number): void {
  assertTwilioError(res, 429, 20429);
  const after = Number(res.headers.get('retry-after'));
  assert.ok(Number.isInteger(after) && after > 0 && after <= windowS, `Retry-After: ${res.headers.get('retry-after')}`);
}

async function count(t: TestServer, table: string): Promise<number> {
  return Number((await t.server.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`))?.n ?? 0);
}

async function widget(t: TestServer, f: FlexFixture, origins: string[] = []): Promise<string> {
  const res = await t.http('POST', WIDGETS, { body: form([['WorkspaceSid', f.wsSid], ...origins.map((o): [string, string] => ['AllowedOrigins', o])]) });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.sid;
}

for (const backend of backends()) {
  describe(`public endpoints: sessions per address, CORS, widget origins (${backend.name})`, () => {
    let t: TestServer;
    let f: FlexFixture;
    before(async () => {
      // No trusted proxy: the address is the connection's own, whatever X-Forwarded-For says.
      t = await startServer(backend, { rateLimits: { sessionsPerAddress: { max: 25, windowMs: 600_000 } } });
      f = await flexWorkspace(t, ['alice']);
    });
    after(() => t.close());

    test('the 26th session from one address in a window is refused (429, Retry-After); another address gets its own; the window passes', async () => {
      const w = await widget(t, f);
      const start = (from: string, headers: Record<string, string> = {}) => call(t, 'POST', SESSIONS, { body: form({ Widget: w, Name: 'Ada' }), from, headers });
      for (let i = 1; i <= 25; i++) assert.equal((await start('127.0.0.2')).status, 201, `session ${i}`);
      const before = await count(t, 'conversations');
      const refused = await start('127.0.0.2', { origin: SHOP });
      assertLimited(refused, 600);
      // A page elsewhere can read the refusal and when to retry.
      assert.equal(refused.headers.get('access-control-allow-origin'), SHOP);
      assert.match(refused.headers.get('access-control-expose-headers') ?? '', /Retry-After/i);
      // A forged X-Forwarded-For does not make a new client: no proxy is trusted.
      assertLimited(await start('127.0.0.2', { 'x-forwarded-for': '198.51.100.9' }), 600);
      assert.equal(await count(t, 'conversations'), before, 'nothing was started');

      assert.equal((await start('127.0.0.3')).status, 201, 'another address');
      t.clock.advance(600_000);
      assert.equal((await start('127.0.0.2')).status, 201, 'a new window');
    });

    test('widget admin routes: AllowedOrigins is taken (normalised), returned, listed and updated; bad origins are a 400', async () => {
      const res = await t.http('POST', WIDGETS, { body: form([['WorkspaceSid', f.wsSid], ['AllowedOrigins', 'https://Shop.Example:443/'], ['AllowedOrigins', 'http://localhost:8080']]) });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.deepEqual(res.body.allowed_origins, [SHOP, 'http://localhost:8080']);
      const sid = res.body.sid;
      assert.deepEqual((await t.http('GET', `${WIDGETS}/${sid}`)).body, res.body);
      const listed = (await t.http('GET', `${WIDGETS}?PageSize=100`)).body.widgets.find((x: any) => x.sid === sid);
      assert.deepEqual(listed.allowed_origins, [SHOP, 'http://localhost:8080']);
      const plain = await t.http('POST', WIDGETS, { body: form({ WorkspaceSid: f.wsSid }) });
      assert.deepEqual(plain.body.allowed_origins, [], 'none named: any origin');

      const updated = await t.http('POST', `${WIDGETS}/${sid}`, { body: form({ AllowedOrigins: 'https://other.example', FriendlyName: 'Renamed' }) });
      assert.equal(updated.status, 200, JSON.stringify(updated.body));
      assert.deepEqual(updated.body.allowed_origins, ['https://other.example']);
      assert.equal(updated.body.friendly_name, 'Renamed');
      const renamed = await t.http('POST', `${WIDGETS}/${sid}`, { body: form({ FriendlyName: 'Again' }) });
      assert.deepEqual(renamed.body.allowed_origins, ['https://other.example'], 'kept when not given');
      const cleared = await t.http('POST', `${WIDGETS}/${sid}`, { body: form({ AllowedOrigins: '' }) });
      assert.deepEqual(cleared.body.allowed_origins, [], 'an empty value: any origin again');
      assert.deepEqual((await t.http('GET', `${WIDGETS}/${sid}`)).body.allowed_origins, []);

      const before = await count(t, 'webchat_widgets');
      for (const bad of ['ftp://shop.example', 'https://shop.example/path', 'https://shop.example?q=1', 'shop.example', '*', 'https://user:pw@shop.example', 'https://' + 'x'.repeat(300) + '.example']) {
        assertTwilioError(await t.http('POST', WIDGETS, { body: form({ WorkspaceSid: f.wsSid, AllowedOrigins: bad }) }), 400, 20001, /AllowedOrigins/);
        assertTwilioError(await t.http('POST', `${WIDGETS}/${sid}`, { body: form({ AllowedOrigins: bad }) }), 400, 20001, /AllowedOrigins/);
      }
      assert.equal(await count(t, 'webchat_widgets'), before);
      assertTwilioError(await t.http('POST', `${WIDGETS}/YW${'0'.repeat(32)}`, { body: form({ FriendlyName: 'x' }) }), 404, 20404);
    });

    test('CORS: preflights are answered for the origins a widget allows; a session is not started for a page elsewhere; no origins named: any', async () => {
      const shopOnly = await widget(t, f, [SHOP]);
      const anyone = await widget(t, f);
      const preflight = (path: string, origin: string) =>
        call(t, 'OPTIONS', path, { headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });

      const ok = await preflight(`${SESSIONS}?Widget=${shopOnly}`, SHOP);
      assert.equal(ok.status, 204);
      assert.equal(ok.headers.get('access-control-allow-origin'), SHOP);
      assert.match(ok.headers.get('access-control-allow-methods') ?? '', /POST/);
      assert.match(ok.headers.get('access-control-allow-headers') ?? '', /content-type/i);
      assert.match(ok.headers.get('vary') ?? '', /Origin/);
      const refused = await preflight(`${SESSIONS}?Widget=${shopOnly}`, EVIL);
      assert.equal(refused.headers.get('access-control-allow-origin'), null);
      assert.notEqual(refused.status, 204);

      const before = await count(t, 'conversations');
      const elsewhere = await call(t, 'POST', SESSIONS, { body: form({ Widget: shopOnly, Name: 'Ada' }), headers: { origin: EVIL } });
      assertTwilioError(elsewhere, 403, 20403, /origin/i);
      assert.equal(await count(t, 'conversations'), before, 'nothing was started');
      const fromShop = await call(t, 'POST', SESSIONS, { body: form({ Widget: shopOnly, Name: 'Ada' }), headers: { origin: SHOP } });
      assert.equal(fromShop.status, 201, JSON.stringify(fromShop.body));
      assert.equal(fromShop.headers.get('access-control-allow-origin'), SHOP);
      // The chat page this server serves (embed.js opens it in an iframe) is at the server's own origin.
      const ownPage = await call(t, 'POST', SESSIONS, { body: form({ Widget: shopOnly, Name: 'Ada' }), headers: { origin: t.baseUrl } });
      assert.equal(ownPage.status, 201, JSON.stringify(ownPage.body));
      const renewed = await call(t, 'POST', `${SESSIONS}/Token`, { body: form({ Token: fromShop.body.token }), headers: { origin: SHOP } });
      assert.equal(renewed.status, 200);
      assert.equal(renewed.headers.get('access-control-allow-origin'), SHOP);

      const pub = await call(t, 'GET', `/webchat/v1/Widgets/${shopOnly}`, { headers: { origin: SHOP } });
      assert.equal(pub.headers.get('access-control-allow-origin'), SHOP);
      assert.equal((await call(t, 'GET', `/webchat/v1/Widgets/${shopOnly}`, { headers: { origin: EVIL } })).headers.get('access-control-allow-origin'), null);

      const open = await preflight(`${SESSIONS}?Widget=${anyone}`, EVIL);
      assert.equal(open.status, 204);
      assert.equal(open.headers.get('access-control-allow-origin'), EVIL);
      const fromAnywhere = await call(t, 'POST', SESSIONS, { body: form({ Widget: anyone, Name: 'Ada' }), headers: { origin: EVIL } });
      assert.equal(fromAnywhere.status, 201);
      assert.equal(fromAnywhere.headers.get('access-control-allow-origin'), EVIL);

      // Preflights of other paths are not this API's: Twilio's products answer OPTIONS as before.
      const product = await preflight('/taskrouter/v1/Workspaces', SHOP);
      assert.equal(product.headers.get('access-control-allow-origin'), null);
    });
  });

  describe(`public endpoints: sign-in, token renewal and sessions per widget (${backend.name})`, () => {
    let t: TestServer;
    let f: FlexFixture;
    before(async () => {
      // Behind a trusted proxy: the client's address is the one X-Forwarded-For names.
      t = await startServer(backend, {
        trustProxy: true,
        rateLimits: {
          signInPerAddress: { max: 6, windowMs: 60_000 },
          signInFailuresPerUser: { max: 5, windowMs: 900_000 },
          agentTokensPerAddress: { max: 3, windowMs: 60_000 },
          sessionsPerWidget: { max: 3, windowMs: 60_000 },
          sessionTokensPerAddress: { max: 3, windowMs: 60_000 },
        },
      });
      f = await flexWorkspace(t, ['ann', 'ben']);
      for (const name of ['ann', 'ben']) {
        const res = await t.http('POST', `/switchyard/v1/Workspaces/${f.wsSid}/Workers/${f.agents[name]}/Credentials`, { body: form({ Password: PASSWORD }) });
        assert.equal(res.status, 201, JSON.stringify(res.body));
      }
    });
    after(() => t.close());

    const via = (address: string) => ({ 'x-forwarded-for': address });
    const signIn = (username: string, password: string, address: string) =>
      call(t, 'POST', SIGN_IN, { body: form({ AccountSid: t.account.accountSid, Username: username, Password: password }), headers: via(address) });

    test('after 5 wrong passwords for a username, even the right one is refused (429) until the window passes; other agents sign in', async () => {
      for (let i = 1; i <= 5; i++) assertTwilioError(await signIn('ann', 'wrong password', `203.0.113.${i}`), 401, 20003);
      // From yet another address, and with the right password (the username's case does not matter).
      assertLimited(await signIn('ANN', PASSWORD, '203.0.113.6'), 900);
      assert.equal((await signIn('ben', PASSWORD, '203.0.113.7')).status, 201, 'another username');
      t.clock.advance(900_000);
      assert.equal((await signIn('ann', PASSWORD, '203.0.113.8')).status, 201, 'the window has passed');
    });

    test('sign-in per address: the 7th attempt in a minute from one address is refused, whoever it names', async () => {
      for (let i = 1; i <= 6; i++) assert.equal((await signIn('ben', PASSWORD, '203.0.113.50')).status, 201);
      assertLimited(await signIn('ann', PASSWORD, '203.0.113.50'), 60);
      assert.equal((await signIn('ann', PASSWORD, '203.0.113.51')).status, 201);
    });

    test('token renewal is limited per address: the agent’s and the web chat customer’s', async () => {
      const agent = (await signIn('ben', PASSWORD, '203.0.113.60')).body;
      const renew = (address: string) => call(t, 'POST', '/switchyard/v1/Agent/Tokens', { headers: { ...via(address), authorization: `Bearer ${agent.worker_token}` } });
      for (let i = 1; i <= 3; i++) assert.equal((await renew('203.0.113.61')).status, 201);
      assertLimited(await renew('203.0.113.61'), 60);
      assert.equal((await renew('203.0.113.62')).status, 201);

      const w = await widget(t, f);
      const s = await call(t, 'POST', SESSIONS, { body: form({ Widget: w, Name: 'Ada' }), headers: via('203.0.113.63') });
      assert.equal(s.status, 201);
      const again = (address: string) => call(t, 'POST', `${SESSIONS}/Token`, { body: form({ Token: s.body.token }), headers: via(address) });
      for (let i = 1; i <= 3; i++) assert.equal((await again('203.0.113.64')).status, 200);
      assertLimited(await again('203.0.113.64'), 60);
      t.clock.advance(60_000);
      assert.equal((await again('203.0.113.64')).status, 200, 'a new window');
    });

    test('sessions per widget: the 4th in a minute from any addresses is refused; another widget still starts', async () => {
      const w = await widget(t, f);
      const start = (sid: string, address: string) => call(t, 'POST', SESSIONS, { body: form({ Widget: sid, Name: 'Ada' }), headers: via(address) });
      for (let i = 1; i <= 3; i++) assert.equal((await start(w, `198.51.100.${i}`)).status, 201);
      assertLimited(await start(w, '198.51.100.4'), 60);
      assert.equal((await start(await widget(t, f), '198.51.100.4')).status, 201);
    });

    test('CORS of the agent API: the origins some widget allows; any, once a widget names none', async () => {
      // Every widget here so far names none: make them name one, so only SHOP is allowed.
      const rows = (await t.http('GET', `${WIDGETS}?PageSize=100`)).body.widgets;
      for (const w of rows) assert.equal((await t.http('POST', `${WIDGETS}/${w.sid}`, { body: form({ AllowedOrigins: SHOP }) })).status, 200);
      const preflight = (origin: string) =>
        call(t, 'OPTIONS', SIGN_IN, { headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
      assert.equal((await preflight(SHOP)).headers.get('access-control-allow-origin'), SHOP);
      assert.equal((await preflight(EVIL)).headers.get('access-control-allow-origin'), null);
      await widget(t, f);
      assert.equal((await preflight(EVIL)).headers.get('access-control-allow-origin'), EVIL);
    });
  });
}

describe('public endpoints: configuration from the environment', () => {
  test('SWITCHYARD_RATE_* (MAX/WINDOW or off), SWITCHYARD_SOCKETS_PER_IDENTITY and SWITCHYARD_TRUST_PROXY; a wrong value stops the start', () => {
    const none = configFromEnv({});
    assert.deepEqual(none.rateLimits, {});
    assert.equal(none.socketsPerIdentity, undefined);
    assert.equal(none.trustProxy, undefined);

    const set = configFromEnv({
      SWITCHYARD_RATE_SESSIONS_PER_ADDRESS: '10/5m',
      SWITCHYARD_RATE_SIGN_IN_FAILURES_PER_USER: '3/1h',
      SWITCHYARD_RATE_SESSIONS_PER_WIDGET: 'off',
      SWITCHYARD_SOCKETS_PER_IDENTITY: '3',
      SWITCHYARD_TRUST_PROXY: '10.0.0.1, 192.168.0.0/16',
    });
    assert.deepEqual(set.rateLimits, {
      sessionsPerAddress: { max: 10, windowMs: 300_000 },
      signInFailuresPerUser: { max: 3, windowMs: 3_600_000 },
      sessionsPerWidget: { max: 0, windowMs: 60_000 },
    });
    assert.equal(set.socketsPerIdentity, 3);
    assert.equal(set.trustProxy, '10.0.0.1, 192.168.0.0/16');
    assert.equal(configFromEnv({ SWITCHYARD_TRUST_PROXY: 'true' }).trustProxy, true);

    for (const bad of ['10', '10/0m', 'ten/1m', '5/1d', '-1/1m', '5/m'])
      assert.throws(() => configFromEnv({ SWITCHYARD_RATE_SIGN_IN_PER_ADDRESS: bad }), /SWITCHYARD_RATE_SIGN_IN_PER_ADDRESS/, bad);
    for (const bad of ['0', '-2', 'many'])
      assert.throws(() => configFromEnv({ SWITCHYARD_SOCKETS_PER_IDENTITY: bad }), /SWITCHYARD_SOCKETS_PER_IDENTITY/, bad);
    for (const bad of ['yes', '2', '10.0.0.1/40', '10.0.0.1,,', 'proxy.example'])
      assert.throws(() => configFromEnv({ SWITCHYARD_TRUST_PROXY: bad }), /SWITCHYARD_TRUST_PROXY/, bad);
  });
});
