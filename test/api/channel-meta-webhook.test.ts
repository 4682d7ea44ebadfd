import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { metaChannel } from '../../src/channels/meta/channel.ts';
import { ConfigError, configFromEnv, unknownVariables } from '../../src/config.ts';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { dumpAll } from './twin-helpers.ts';
import { APP_SECRET, PAGE_ID, WEBHOOK, messengerHook, metaOptions, postWebhook, signature, startGraph, type Graph } from './channel-meta-helpers.ts';

const twilioError = (body: any, status: number, code: number) => {
  assert.equal(body?.status, status, JSON.stringify(body));
  assert.equal(body.code, code);
  assert.equal(body.more_info, `https://www.twilio.com/docs/errors/${code}`);
  assert.equal(typeof body.message, 'string');
};

for (const backend of backends()) {
  describe(`channels: Meta's webhook refuses what is not Meta's (${backend.name})`, () => {
    let t: TestServer;
    let graph: Graph;
    before(async () => {
      graph = await startGraph();
      t = await startServer(backend, { channels: [metaChannel(metaOptions(graph.url))], outbound: null });
    });
    after(async () => {
      await t.close();
      await graph.close();
    });
    const post = (body: string, headers: Record<string, string>) => t.http('POST', WEBHOOK, { body, headers, auth: null });

    test('malformed verification requests are 400, a wrong token 403; none writes anything', async () => {
      const before = await dumpAll(t.server.db);
      const cases: [string, number, number][] = [
        ['', 400, 20001],
        ['?hub.mode=unsubscribe&hub.verify_token=switchyard-verify-42&hub.challenge=1', 400, 20001],
        ['?hub.mode=subscribe&hub.verify_token=switchyard-verify-42', 400, 20001],
        ['?hub.mode=subscribe&hub.verify_token=switchyard-verify-42&hub.challenge=%3Cscript%3E', 400, 20001],
        [`?hub.mode=subscribe&hub.verify_token=switchyard-verify-42&hub.challenge=${'1'.repeat(129)}`, 400, 20001],
        ['?hub.mode=subscribe&hub.challenge=1', 403, 20003],
        ['?hub.mode=subscribe&hub.verify_token=switchyard-verify-4&hub.challenge=1', 403, 20003],
        ['?hub.mode=subscribe&hub.verify_token=switchyard-verify-42%00&hub.challenge=1', 400, 20001],
      ];
      for (const [query, status, code] of cases) {
        const res = await t.http('GET', WEBHOOK + query, { auth: null });
        assert.equal(res.status, status, query);
        twilioError(res.body, status, code);
      }
      const wrongMethod = await t.http('PUT', WEBHOOK, { body: 'x', auth: null });
      twilioError(wrongMethod.body, 405, 20004);
      assert.deepEqual(await dumpAll(t.server.db), before);
    });

    test('bodies without a valid signature are 403 whatever they hold; signed garbage is 400; nothing is written', async () => {
      const before = await dumpAll(t.server.db);
      const body = JSON.stringify(messengerHook([{ sender: { id: '1' }, recipient: { id: PAGE_ID }, message: { mid: 'm.x', text: 'x' } }]));
      const sha1 = 'sha1=' + 'a'.repeat(40);
      for (const [headers, why] of [
        [{ 'content-type': 'application/json' }, 'no signature'],
        [{ 'content-type': 'application/json', 'x-hub-signature': sha1 }, 'only the old SHA-1 signature'],
        [{ 'content-type': 'application/json', 'x-hub-signature-256': 'sha256=' }, 'empty'],
        [{ 'content-type': 'application/json', 'x-hub-signature-256': 'sha256=zz' + signature(body).slice(9) }, 'not hex'],
        [{ 'content-type': 'application/json', 'x-hub-signature-256': signature(body).slice(7) }, 'no sha256= prefix'],
        [{ 'content-type': 'application/json', 'x-hub-signature-256': signature(body + ' ') }, 'over other bytes'],
        [{ 'content-type': 'text/plain', 'x-hub-signature-256': signature(body, APP_SECRET + 'x') }, 'another secret'],
      ] as [Record<string, string>, string][]) {
        const res = await post(body, headers);
        assert.equal(res.status, 403, why);
        twilioError(res.body, 403, 20003);
      }
      for (const [garbage, why] of [
        ['{"object": "page", "entry": [', 'truncated JSON'],
        ['not json at all', 'not JSON'],
        ['{"object":"page","entry":[{"messaging":[{"message":{"text":"\\u0000"}}]}]}', 'a NUL'],
        ['['.repeat(100) + ']'.repeat(100), 'nested too deep'],
        ['', 'empty'],
      ]) {
        const res = await post(garbage, { 'content-type': 'application/json', 'x-hub-signature-256': signature(garbage) });
        assert.equal(res.status, 400, why);
        twilioError(res.body, 400, 20001);
      }
      const huge = 'x'.repeat(5 * 1024 * 1024);
      const tooBig = await post(huge, { 'content-type': 'application/json', 'x-hub-signature-256': signature(huge) });
      twilioError(tooBig.body, 413, 20001);
      assert.deepEqual(await dumpAll(t.server.db), before);
    });

    test("signed but not for anything here (another object, another page, a page no address configuration names, shapes Meta never sends): 200 and no conversation", async () => {
      const conversations = async () => (await t.server.db.all('SELECT sid FROM conversations')).length;
      for (const payload of [
        { object: 'instagram', entry: [] },
        [1, 2, 3],
        'a string',
        { object: 'page', entry: 'not a list' },
        { object: 'page', entry: [{ messaging: [{ sender: 'x', recipient: { id: PAGE_ID }, message: { mid: 1 } }] }] },
        { object: 'page', entry: [{ messaging: [{ sender: { id: 'a:b' }, recipient: { id: PAGE_ID }, message: { mid: 'm.1', text: 'x' } }] }] },
        messengerHook([{ sender: { id: '42' }, recipient: { id: '999' }, message: { mid: 'm.2', text: 'to another page' } }]),
        messengerHook([{ sender: { id: '42' }, recipient: { id: PAGE_ID }, message: { mid: 'm.3', text: 'nobody configured this page' } }]),
        { object: 'whatsapp_business_account', entry: [{ changes: [{ field: 'messages', value: { metadata: null, messages: [{}] } }] }] },
      ]) {
        const res = await postWebhook(t, payload);
        assert.equal(res.status, 200, JSON.stringify(payload));
      }
      assert.equal(await conversations(), 0);
      assert.equal(graph.calls.length, 0, 'no profile looked up for a message nobody takes');
    });
  });
}

describe('channels: the Meta gateways\' settings', () => {
  const base = {
    SWITCHYARD_META_APP_SECRET: 'secret-of-the-app',
    SWITCHYARD_META_VERIFY_TOKEN: 'verify-me',
    SWITCHYARD_MESSENGER_PAGES: JSON.stringify({ '104160000000001': 'EAAGtoken' }),
  };
  const problems = (env: Record<string, string>) => {
    try {
      configFromEnv(env);
      return [];
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
  };

  test('a page (or a number) with the app secret and verify token configures the gateway; the variables are known ones', () => {
    assert.equal(configFromEnv(base).channels?.length, 1);
    assert.equal(configFromEnv({}).channels?.length, 0);
    const all = { ...base, SWITCHYARD_META_GRAPH_URL: 'http://127.0.0.1:9/v21.0', SWITCHYARD_WHATSAPP_CLOUD_NUMBERS: JSON.stringify({ '106540000000002': { number: '+15550001111', token: 'EAAGw' } }), SWITCHYARD_WHATSAPP_TEMPLATES: JSON.stringify({ ['HX' + 'b'.repeat(32)]: { name: 'hello_world', language: 'en_US' } }) };
    assert.equal(configFromEnv(all).channels?.length, 1);
    assert.deepEqual(unknownVariables(all), []);
  });

  test('each wrong setting is one problem that names it; tokens are never shown', () => {
    const got = problems({
      ...base,
      SWITCHYARD_META_APP_SECRET: '',
      SWITCHYARD_META_GRAPH_URL: 'ftp://graph.example',
      SWITCHYARD_MESSENGER_PAGES: JSON.stringify({ 'not-a-page': 'EAAGsecret-token-value' }),
      SWITCHYARD_WHATSAPP_CLOUD_NUMBERS: JSON.stringify({ '106540000000002': { number: '555-0100', token: 'EAAGother-secret' } }),
      SWITCHYARD_WHATSAPP_TEMPLATES: '{"HX12": "x"}',
    });
    assert.equal(got.length, 5, got.join('\n'));
    for (const name of ['SWITCHYARD_META_APP_SECRET', 'SWITCHYARD_META_GRAPH_URL', 'SWITCHYARD_MESSENGER_PAGES', 'SWITCHYARD_WHATSAPP_CLOUD_NUMBERS', 'SWITCHYARD_WHATSAPP_TEMPLATES'])
      assert.ok(got.some((line) => line.startsWith(name + ' must be')), `${name} named: ${got.join('\n')}`);
    assert.ok(!got.join('\n').includes('secret-token-value') && !got.join('\n').includes('other-secret'), 'tokens not shown');
    assert.deepEqual(problems({ SWITCHYARD_MESSENGER_PAGES: 'not json EAAGsecret' }).length, 3, 'bad JSON, and the secret and verify token missing');
    assert.ok(!problems({ SWITCHYARD_MESSENGER_PAGES: 'not json EAAGsecret' }).join('\n').includes('EAAGsecret'));
    // Half a configuration is said to be one, rather than running without the gateway.
    assert.deepEqual(problems({ SWITCHYARD_META_APP_SECRET: 'x' }), ['SWITCHYARD_META_APP_SECRET must be set together with SWITCHYARD_MESSENGER_PAGES or SWITCHYARD_WHATSAPP_CLOUD_NUMBERS; got neither is set']);
  });
});
