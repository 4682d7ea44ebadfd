import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { facts } from '../support/conformance.ts';
import { backends, checkConformance, conformanceChecks, startServer, type TestServer } from '../support/server.ts';

/**
 * Every operation of Twilio's Conversations v1 spec (spec/facts.json), sent with real resources and
 * valid parameters: each must answer the status the spec documents, with a body that conforms. An
 * operation Switchyard does not serve answers 404 and fails here.
 */

/** Valid form bodies by operation, the service-scoped twin sharing its account-level body. */
const BODIES: Record<string, (n: number) => Record<string, string | string[]>> = {
  'POST /v1/Configuration': () => ({ DefaultInactiveTimer: 'PT1H' }),
  'POST /v1/Configuration/Webhooks': () => ({ Method: 'POST' }),
  'POST /v1/Configuration/Addresses': (n) => ({ Type: 'sms', Address: `+1555700${String(n).padStart(4, '0')}` }),
  'POST /v1/Configuration/Addresses/{Sid}': () => ({ FriendlyName: 'renamed' }),
  'POST /v1/Conversations': () => ({ FriendlyName: 'made' }),
  'POST /v1/Conversations/{Sid}': () => ({ FriendlyName: 'renamed' }),
  'POST /v1/Conversations/{ConversationSid}/Messages': () => ({ Body: 'hello' }),
  'POST /v1/Conversations/{ConversationSid}/Messages/{Sid}': () => ({ Body: 'edited' }),
  'POST /v1/Conversations/{ConversationSid}/Participants': (n) => ({ Identity: `joiner-${n}` }),
  'POST /v1/Conversations/{ConversationSid}/Participants/{Sid}': () => ({ Attributes: '{"x":1}' }),
  'POST /v1/Conversations/{ConversationSid}/Webhooks': () => ({ Target: 'webhook', 'Configuration.Url': 'https://example.com/h', 'Configuration.Filters': 'onMessageAdded' }),
  'POST /v1/Conversations/{ConversationSid}/Webhooks/{Sid}': () => ({ 'Configuration.Url': 'https://example.com/h2' }),
  'POST /v1/ConversationWithParticipants': (n) => ({ FriendlyName: 'group', Participant: [JSON.stringify({ identity: `guest-${n}` })] }),
  'POST /v1/Credentials': () => ({ Type: 'fcm', Secret: 'server-key' }),
  'POST /v1/Credentials/{Sid}': () => ({ FriendlyName: 'renamed' }),
  'POST /v1/Roles': (n) => ({ FriendlyName: `role-${n}`, Type: 'conversation', Permission: ['sendMessage'] }),
  'POST /v1/Roles/{Sid}': () => ({ Permission: ['sendMessage', 'leaveConversation'] }),
  'POST /v1/Services': (n) => ({ FriendlyName: `service-${n}` }),
  'POST /v1/Services/{ChatServiceSid}/Configuration': () => ({ ReachabilityEnabled: 'true' }),
  'POST /v1/Services/{ChatServiceSid}/Configuration/Notifications': () => ({ LogEnabled: 'true', 'NewMessage.Enabled': 'true' }),
  'POST /v1/Services/{ChatServiceSid}/Configuration/Webhooks': () => ({ Method: 'GET', Filters: 'onMessageAdded' }),
  'POST /v1/Users': (n) => ({ Identity: `user-${n}` }),
  'POST /v1/Users/{Sid}': () => ({ FriendlyName: 'renamed' }),
  'POST /v1/Users/{UserSid}/Conversations/{ConversationSid}': () => ({ NotificationLevel: 'muted' }),
};

/** Query parameters an operation needs (ParticipantConversations wants an Identity or an Address). */
const QUERIES: Record<string, string> = { 'GET /v1/ParticipantConversations': '?Identity=pat' };

const unscoped = (path: string) => path.replace(/^\/v1\/Services\/\{ChatServiceSid\}\//, '/v1/');

for (const backend of backends()) {
  describe(`conversations: every operation of the spec answers as documented (${backend.name})`, () => {
    let t: TestServer;
    /** Path parameter values by the resource they name, per scope (account level: the default service). */
    const ids: Record<'account' | 'service', Record<string, string>> = { account: {}, service: {} };
    before(async () => {
      t = await startServer(backend);
      const cv = t.client.conversations.v1;
      const service = await cv.services.create({ friendlyName: 'scoped' });
      ids.service.ChatServiceSid = service.sid;
      ids.service.Service = service.sid;
      ids.account.Address = (await cv.addressConfigurations.create({ type: 'sms', address: '+15557770000' })).sid;
      ids.account.Credential = (await cv.credentials.create({ type: 'apn', certificate: 'cert', privateKey: 'key' })).sid;
      for (const scope of ['account', 'service'] as const) {
        // The service-scoped client has the same calls as the account-level one.
        const root = (scope === 'account' ? cv : cv.services(service.sid)) as unknown as typeof cv;
        const id = ids[scope];
        const c = await root.conversations.create({ friendlyName: scope });
        id.Conversation = c.sid;
        id.Participant = (await root.conversations(c.sid).participants.create({ identity: 'pat' })).sid;
        const sms = await root.conversations(c.sid).participants.create({ 'messagingBinding.address': `+1555800000${scope === 'account' ? 1 : 2}`, 'messagingBinding.proxyAddress': '+15558000000' });
        id.Message = (await root.conversations(c.sid).messages.create({ author: 'pat', body: 'hi' })).sid;
        id.Receipt = (await t.server.conversations.messages.recordReceipt(t.account.accountSid, c.sid, id.Message, { participantSid: sms.sid, status: 'delivered' })).sid;
        id.Webhook = (await root.conversations(c.sid).webhooks.create({ target: 'studio', 'configuration.flowSid': 'FW' + '1'.repeat(32) })).sid;
        id.User = (await root.users.create({ identity: 'ursula' })).sid;
        await root.conversations(c.sid).participants.create({ identity: 'ursula' });
        id.Role = (await root.roles.create({ friendlyName: 'spare', type: 'conversation', permission: ['sendMessage'] })).sid;
      }
      const binding = await t.server.conversations.bindings.register(t.account.accountSid, service.sid, { identity: 'pat', bindingType: 'fcm', address: 'token', endpoint: 'pat-phone' });
      ids.service.Binding = binding.sid;
    });
    after(() => t.close());

    /** The value of a path parameter: which resource `{Sid}` names follows from the segment before it. */
    function fill(path: string): string {
      const id = path.startsWith('/v1/Services/{ChatServiceSid}') ? ids.service : ids.account;
      const segments = path.split('/');
      return segments
        .map((seg, i) => {
          const m = /^\{(\w+)\}$/.exec(seg);
          if (!m) return seg;
          const name = m[1] === 'Sid' ? segments[i - 1] : m[1].replace(/Sid$/, '');
          const key = { Services: 'Service', Addresses: 'Address', Conversations: 'Conversation', Messages: 'Message', Participants: 'Participant', Receipts: 'Receipt', Webhooks: 'Webhook', Bindings: 'Binding', Roles: 'Role', Users: 'User', Credentials: 'Credential' }[name] ?? name;
          const value = key === 'Service' || key === 'ChatService' ? ids.service.ChatServiceSid : (id[key] ?? ids.account[key]);
          assert.ok(value, `no value for ${seg} in ${path}`);
          return value;
        })
        .join('/');
    }

    test('each operation, deletions last (children before parents), answers its documented status and a conforming body', async () => {
      const ops = Object.entries(facts.products.conversations.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })));
      // Deletions after everything else, the deepest first, so none removes what another still needs.
      ops.sort((a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE') || (a.method === 'DELETE' ? b.path.length - a.path.length : 0));
      const checked = conformanceChecks.count;
      const failures: string[] = [];
      let n = 0;
      for (const { path, method, op } of ops) {
        n++;
        const body = method === 'POST' ? BODIES[`POST ${unscoped(path)}`] ?? BODIES[`POST ${path}`] : undefined;
        if (method === 'POST' && !body) failures.push(`${op.operationId}: no body in this test's table`);
        const form = new URLSearchParams();
        for (const [k, v] of Object.entries(body?.(n) ?? {})) for (const x of [v].flat()) form.append(k, x);
        const url = `/conversations${fill(path)}${QUERIES[`${method} ${unscoped(path)}`] ?? ''}`;
        const res = await t.http(method, url, method === 'POST' ? { body: form.toString() } : {});
        const expected = op.statuses ?? [op.status];
        if (!expected.includes(res.status)) {
          failures.push(`${op.operationId} ${method} ${url}: ${res.status} ${JSON.stringify(res.body)?.slice(0, 200)} (documented: ${expected.join(' or ')})`);
          continue;
        }
        if (res.status !== 204) checkConformance({ method, uri: t.baseUrl + url }, { statusCode: res.status, body: res.body });
      }
      assert.deepEqual(failures, [], `operations not answering as documented:\n${failures.join('\n')}`);
      assert.equal(ops.length, 103, "the spec's 103 operations");
      assert.equal(conformanceChecks.count - checked, ops.filter((o) => o.op.status !== 204).length, 'every body was checked');
    });
  });
}
