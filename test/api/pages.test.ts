import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { backends, startServer, type TestServer } from '../support/server.ts';

const [sqlite] = backends();

describe('pages: served as plain files, nothing outside public/', () => {
  let t: TestServer;
  before(async () => {
    t = await startServer(sqlite);
  });
  after(() => t.close());

  test('a page file and the official SDKs\' bundles are served with their content types, without authentication', async () => {
    const css = await t.http('GET', '/shared/style.css', { auth: null });
    assert.equal(css.status, 200);
    assert.match(css.headers.get('content-type') ?? '', /^text\/css/);
    assert.match(String(css.body), /--accent/);
    const sdk = await fetch(`${t.baseUrl}/vendor/twilio-taskrouter.js`);
    assert.equal(sdk.status, 200);
    assert.match(sdk.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.ok((await sdk.text()).length > 10_000, 'the browser bundle of twilio-taskrouter');
    // Two requests at once while it is built: one build, the same script for both.
    const [chat, again] = await Promise.all([fetch(`${t.baseUrl}/vendor/twilio-conversations.js`), fetch(`${t.baseUrl}/vendor/twilio-conversations.js`)]);
    assert.deepEqual([chat.status, again.status], [200, 200]);
    assert.match(chat.headers.get('content-type') ?? '', /^text\/javascript/);
    const script = await chat.text();
    assert.equal(await again.text(), script);
    assert.match(script, /window\.Twilio\.Conversations=/, 'the @twilio/conversations browser build, as Twilio.Conversations');
  });

  test('/ is a page linking the pages, health, metrics and the docs, without authentication; HEAD / too', async () => {
    const res = await fetch(`${t.baseUrl}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    const html = await res.text();
    const links = [...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1]);
    for (const href of ['/agent/', '/webchat/', '/supervisor/', '/health/live', '/health/ready', '/metrics']) assert.ok(links.includes(href), href);
    assert.match(html, /README\.md/, 'says where the documentation is');
    // Every page it links is there, for a browser that follows the links.
    for (const href of ['/agent/', '/webchat/', '/supervisor/', '/health/live']) assert.equal((await fetch(`${t.baseUrl}${href}`)).status, 200, href);
    const head = await fetch(`${t.baseUrl}/`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.match(head.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(await head.text(), '');
  });

  test('unknown files, vendor names and escapes from public/ are 404 with a Twilio error body', async () => {
    // The names of Object's own properties too: found by the fuzz test (500: __proto__ was taken for a bundle).
    for (const path of ['/shared/nope.css', '/vendor/package.json', '/shared/..%2f..%2fpackage.json', '/shared/%2e%2e/%2e%2e/package.json', '/vendor/__proto__', '/vendor/constructor', '/vendor/toString']) {
      const res = await t.http('GET', path, { auth: null });
      assert.equal(res.status, 404, path);
      assert.equal(res.body.code, 20404, path);
    }
  });

  test('a WebSocket upgrade on a path no endpoint serves is refused with 404', async () => {
    // The chat socket's path too: the Conversations SDK's twilsock endpoint replaced it.
    for (const path of ['/nowhere', '/conversations/v1/Gateway/Chat', '/event-bridge/v1']) {
      const status = await new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(`${t.baseUrl.replace('http', 'ws')}${path}`);
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => reject(new Error(`${path} opened`)));
        ws.on('error', () => undefined);
      });
      assert.equal(status, 404, path);
    }
  });
});
