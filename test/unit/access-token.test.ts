import assert from 'node:assert/strict';
import { test } from 'node:test';
import twilio from 'twilio';
import { AccessTokenError, verifyAccessToken } from '../../src/core/access-token.ts';

const AC = 'AC' + 'a'.repeat(32);
const SK = 'SK' + 'b'.repeat(32);
const SECRET = 'secret-of-the-key';
const lookup = (iss: string, sub: string) => (iss === SK && sub === AC ? SECRET : undefined);

function mint(opts: { secret?: string; ttl?: number; identity?: string; chat?: boolean } = {}) {
  const t = new twilio.jwt.AccessToken(AC, SK, opts.secret ?? SECRET, { identity: opts.identity ?? 'alice', ttl: opts.ttl ?? 3600 });
  if (opts.chat !== false) t.addGrant(new twilio.jwt.AccessToken.ChatGrant({ serviceSid: 'IS' + 'c'.repeat(32) }));
  return t.toJwt();
}

test('a token minted by twilio.jwt.AccessToken with a ChatGrant verifies', async () => {
  const v = await verifyAccessToken(mint(), lookup, Date.now(), 'chat');
  assert.equal(v.identity, 'alice');
  assert.equal(v.accountSid, AC);
  assert.equal(v.apiKeySid, SK);
  assert.ok(v.grants.chat);
});

test('forged, expired, unknown-key, grant-less and malformed tokens are refused', async () => {
  const refused = (p: Promise<unknown>, re: RegExp) => assert.rejects(p, (e: Error) => e instanceof AccessTokenError && re.test(e.message));
  await refused(verifyAccessToken(mint({ secret: 'other' }), lookup, Date.now()), /signature/);
  await refused(verifyAccessToken(mint({ ttl: 60 }), lookup, Date.now() + 61_000), /expired/);
  const other = new twilio.jwt.AccessToken(AC, 'SK' + '9'.repeat(32), SECRET, { identity: 'x' }).toJwt();
  await refused(verifyAccessToken(other, lookup, Date.now()), /Unknown API key/);
  await refused(verifyAccessToken(mint({ chat: false }), lookup, Date.now(), 'chat'), /chat grant/);
  await refused(verifyAccessToken('a.b', lookup, Date.now()), /Malformed/);
  await refused(verifyAccessToken('!!.??.zz', lookup, Date.now()), /Malformed/);
  const [h, p, s] = mint().split('.');
  const tampered = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), grants: { identity: 'admin', chat: {} } })).toString('base64url');
  await refused(verifyAccessToken(`${h}.${tampered}.${s}`, lookup, Date.now()), /signature/);
  const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
  await refused(verifyAccessToken(`${none}.${p}.`, lookup, Date.now()), /HS256/);
});
