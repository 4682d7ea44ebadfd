import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SdkRouter } from '../../src/conversations/sdk/context.ts';
import { conversationObjects, parseObject, userObjects } from '../../src/conversations/sdk/sync/names.ts';
import { TwilioError } from '../../src/core/errors.ts';
import { decodeFrame, encodeFrame } from '../../src/twilsock/frame.ts';

test('a frame round-trips, its lengths counted in UTF-8 bytes as the SDK counts them', () => {
  const payload = JSON.stringify({ body: 'héllo ✓ 😀' });
  const bytes = encodeFrame({ method: 'message', id: 'TM1', note: 'ü' }, payload);
  const text = bytes.toString('utf8');
  const [magic] = text.split('\r\n');
  const header = JSON.parse(text.slice(magic.length + 2, text.indexOf('\r\n', magic.length + 2)));
  assert.equal(magic, `TWILSOCK V3.0 ${Buffer.byteLength(JSON.stringify(header))}`);
  assert.equal(header.payload_size, Buffer.byteLength(payload));
  const back = decodeFrame(bytes);
  assert.equal(back.header.method, 'message');
  assert.equal(back.header.note, 'ü');
  assert.equal(back.payload, payload);
  assert.deepEqual(decodeFrame(encodeFrame({ method: 'reply', id: 'x' })).payload, '');
});

test('a frame that is not exactly one is refused with 20001, saying why', () => {
  const good = encodeFrame({ method: 'init' }, '{}');
  for (const [bytes, why] of [
    [Buffer.from('TWILSOCK V3.0 '), /header length/],
    [Buffer.concat([good, Buffer.from('x')]), /payload_size/],
    [good.subarray(0, good.length - 1), /payload_size/],
    [Buffer.from('TWILSOCK V3.0 123456789\r\n{}\r\n'), /header length/],
  ] as const) {
    assert.throws(() => decodeFrame(bytes), (e: unknown) => e instanceof TwilioError && e.code === 20001 && why.test(e.message));
  }
});

test('the SDK router matches segment by segment: an encoded slash stays inside its parameter', () => {
  const handler = async () => ({ status: 200 });
  const router = new SdkRouter([
    { method: 'GET', path: '/Client/v2/Services/:ServiceSid/Users/:Identity', handler },
    { method: 'POST', path: '/Client/v2/Services/:ServiceSid/Users/:Identity', handler },
  ]);
  const found = router.match('GET', '/Client/v2/Services/IS1/Users/a%2Fb');
  assert.ok(found && found !== 'method');
  assert.deepEqual(found.params, { ServiceSid: 'IS1', Identity: 'a/b' });
  assert.equal(router.match('DELETE', '/Client/v2/Services/IS1/Users/x'), 'method');
  assert.equal(router.match('GET', '/Client/v2/Services/IS1/Users/a/b'), null);
  assert.equal(router.match('GET', '/Client/v2/Services/IS1/Users/'), null);
});

test('Sync object names say what they are, and only their one spelling does', () => {
  const ch = 'CH' + 'a'.repeat(32);
  const is = 'IS' + 'b'.repeat(32);
  const names = conversationObjects(ch);
  assert.deepEqual(parseObject(names.document), { type: 'document', kind: 'conversation', conversationSid: ch });
  assert.deepEqual(parseObject(names.messages), { type: 'list', kind: 'messages', conversationSid: ch });
  assert.deepEqual(parseObject(names.roster), { type: 'map', kind: 'roster', conversationSid: ch });
  const identity = 'ünïcode/with.dots and spaces';
  const user = userObjects(is, identity);
  assert.deepEqual(parseObject(user.conversations), { type: 'map', kind: 'my_conversations', serviceSid: is, identity });
  assert.deepEqual(parseObject(user.info), { type: 'map', kind: 'user_info', serviceSid: is, identity });
  // base64url without its canonical form (a stray trailing bit) names nothing.
  assert.equal(parseObject(`${is}.YQ.info`)?.kind, 'user_info');
  assert.equal(parseObject(`${is}.YR.info`), null);
  assert.equal(parseObject(`${ch}.other`), null);
  assert.equal(parseObject('anything'), null);
});
