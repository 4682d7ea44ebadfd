import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readAnswer } from '../../src/taskrouter/engine/assignment-callback.ts';

const answered = (body: string, status = 200) => readAnswer({ ok: status < 300, status, body, attempted: true });
const WA = 'WA' + '0'.repeat(32);

test('an assignment callback answer: accept, reject with or without an activity, defer, or failed', () => {
  assert.deepEqual(answered('{"instruction":"accept"}'), { kind: 'accept' });
  assert.deepEqual(answered(` {"instruction":" Reject ","activity_sid":"${WA}"}`), { kind: 'reject', activitySid: WA });
  assert.deepEqual(answered('{"instruction":"reject"}'), { kind: 'reject', activitySid: undefined });
  assert.deepEqual(answered(''), { kind: 'defer', reason: 'empty' });
  assert.deepEqual(answered('{}'), { kind: 'defer', reason: 'empty' });
  assert.deepEqual(answered('{"instruction":"dequeue"}'), { kind: 'defer', reason: 'voice' });
  assert.deepEqual(answered('{"instruction":"dance"}'), { kind: 'defer', reason: 'unknown' });
  assert.equal(answered('not json'), null);
  assert.equal(answered('[1]'), null);
  assert.equal(answered('{"instruction":"accept"}', 500), null);
});

test("a reject's activity that is no activity SID is never looked up (a NUL would fail on PostgreSQL)", () => {
  for (const activity_sid of ['WA\u0000', `${WA}\u0000`, 'WK' + '0'.repeat(32), 'x'.repeat(100_000), 42, { sid: WA }])
    assert.deepEqual(answered(JSON.stringify({ instruction: 'reject', activity_sid })), { kind: 'reject', activitySid: undefined }, JSON.stringify(activity_sid).slice(0, 40));
});
