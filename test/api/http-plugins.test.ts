import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends, startServer, type TestServer } from '../support/server.ts';

const [sqlite] = backends();

/** Twilio's error body, with the status and code asked for. */
function isTwilioError(res: { status: number; body: any }, status: number, code: number, why: string): void {
  assert.equal(res.status, status, `${why}: status`);
  assert.equal(res.body?.code, code, `${why}: code`);
  assert.equal(res.body?.status, status, `${why}: body status`);
  assert.equal(typeof res.body?.message, 'string', `${why}: message`);
  assert.match(res.body?.more_info ?? '', /^https:\/\/www\.twilio\.com\/docs\/errors\//, `${why}: more_info`);
}

describe('the HTTP layer as Fastify plugins: products under their prefixes, authentication on request, 405 everywhere', () => {
  let t: TestServer;
  before(async () => {
    t = await startServer(sqlite);
  });
  after(() => t.close());

  test('each product is a plugin of its own, and the request carries the account it authenticated', () => {
    const tree = t.server.app.printPlugins();
    for (const name of ['taskrouter', 'conversations', 'flex-api', 'switchyard']) assert.match(tree, new RegExp(`${name} product`), name);
    assert.equal(t.server.app.hasRequestDecorator('accountSid'), true);
  });

  test('a wrong method on a route registered outside the products (pages, probes, public and gateway routes) is 405 with Allow, not 404', async () => {
    const cases: [string, string, string][] = [
      ['DELETE', '/health/live', 'GET, HEAD'],
      ['POST', '/health/ready', 'GET, HEAD'],
      ['PUT', '/metrics', 'GET, HEAD'],
      ['POST', '/', 'GET, HEAD'],
      ['DELETE', '/agent', 'GET, HEAD'],
      ['GET', '/switchyard/v1/Agent/Sessions', 'POST'],
      ['DELETE', '/switchyard/v1/Agent/Tokens', 'POST'],
      ['GET', '/webchat/v1/Sessions', 'POST'],
      ['POST', '/webchat/v1/Widgets/YW00000000000000000000000000000000', 'GET, HEAD'],
      ['GET', '/conversations/v1/Gateway/Messaging/Inbound', 'POST'],
      ['POST', '/vendor/twilio-taskrouter.js', 'GET, HEAD'],
    ];
    for (const [method, path, allow] of cases) {
      const res = await t.http(method, path, { auth: null, ...(method === 'GET' || method === 'DELETE' ? {} : { body: 'x=1' }) });
      isTwilioError(res, 405, 20004, `${method} ${path}`);
      assert.equal(res.headers.get('allow'), allow, `${method} ${path}: Allow`);
    }
  });

  test('a product route with a wrong method names the methods it has; an unknown path stays 404, under a page or a product', async () => {
    const res = await t.http('PUT', '/taskrouter/v1/Workspaces', { body: 'FriendlyName=x' });
    isTwilioError(res, 405, 20004, 'PUT on the workspaces list');
    assert.equal(res.headers.get('allow'), 'GET, HEAD, POST');
    // Under a page's files and under the CORS preflights of a public prefix: unknown, not "wrong method".
    for (const [method, path] of [
      ['POST', '/agent/no-such-file.js'],
      ['POST', '/switchyard/v1/Agent/Nowhere'],
      ['GET', '/webchat/v1/Nowhere'],
      ['GET', '/taskrouter/v1/Nowhere'],
    ]) {
      const res = await t.http(method, path, { auth: null, ...(method === 'POST' ? { body: 'x=1' } : {}) });
      isTwilioError(res, 404, 20404, `${method} ${path}`);
    }
  });

  test('credentials are checked on request, before the body is read: a bad or oversized body without them is 401', async () => {
    const unauthenticated: { body: string; headers: Record<string, string> }[] = [
      { body: '{"deep":' + '['.repeat(5000), headers: { 'content-type': 'application/json' } },
      { body: 'FriendlyName=%zz', headers: {} },
      { body: 'x'.repeat(5 * 1024 * 1024), headers: {} },
    ];
    for (const { body, headers } of unauthenticated) {
      const res = await t.http('POST', '/taskrouter/v1/Workspaces', { body, headers, auth: null });
      isTwilioError(res, 401, 20003, `a ${body.length}-byte body without credentials`);
    }
    // With credentials, the same bodies get the body's own error.
    isTwilioError(await t.http('POST', '/taskrouter/v1/Workspaces', { body: 'FriendlyName=%zz' }), 400, 20001, 'a malformed form body with credentials');
    isTwilioError(await t.http('POST', '/taskrouter/v1/Workspaces', { body: 'x'.repeat(5 * 1024 * 1024) }), 413, 20001, 'an oversized body with credentials');
  });
});
