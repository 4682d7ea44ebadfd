import assert from 'node:assert/strict';

/** A raw response is Twilio's error: this status, a JSON body of exactly {code, message, more_info, status}, a message that says something. */
export function assertTwilioError(res: { status: number; body: any; headers: Headers }, status: number, code: number, message?: RegExp): void {
  const shown = typeof res.body === 'string' ? res.body.slice(0, 300) : JSON.stringify(res.body)?.slice(0, 300);
  assert.equal(res.status, status, `status: got ${res.status} ${shown}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.ok(res.body && typeof res.body === 'object', `a JSON error body, got ${shown}`);
  assert.equal(typeof res.body.message, 'string');
  assert.notEqual(res.body.message.trim(), '', 'a message that says something');
  // Exactly Twilio's four fields: nothing missing, nothing extra.
  assert.deepEqual(res.body, { code, message: res.body.message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });
  if (message) assert.match(res.body.message, message);
}
