import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import twilio from 'twilio';
import { twilioSignature } from '../../src/core/signature.ts';

describe('X-Twilio-Signature', () => {
  const token = '12345';
  const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
  const params = { CallSid: 'CA1234567890ABCDE', Caller: '+12349013030', Digits: '1234', From: '+12349013030', To: '+18005551212' };

  it("matches the worked example of Twilio's security documentation", () => {
    assert.equal(twilioSignature(token, url, params), '0/KCTR6DLpKmkAf8muzZqo1nDgQ=');
  });

  it('is the same whether the parameters come as an object or as a form, in any order', () => {
    const form = new URLSearchParams(Object.entries(params).reverse());
    assert.equal(twilioSignature(token, url, form), twilioSignature(token, url, params));
  });

  const cases: { name: string; url: string; params: Record<string, string | string[]> }[] = [
    { name: 'no parameters', url: 'http://127.0.0.1:4000/events', params: {} },
    { name: 'an explicit port, unicode and JSON values', url: 'http://127.0.0.1:4000/cb', params: { TaskAttributes: '{"name":"Zoë","n":1}', Sid: 'EV1' } },
    { name: 'names differing only by case (sorted by code unit)', url: 'https://example.com/x', params: { b: '1', B: '2', a: '3', A: '4' } },
    { name: 'a query string and empty values', url: 'https://example.com/x?q=a%20b&z=1', params: { Empty: '', Zed: 'z' } },
    { name: 'a repeated name', url: 'https://example.com/x', params: { Channel: ['voice', 'chat', 'sms'], Other: 'x' } },
  ];
  for (const c of cases) {
    it(`is accepted by twilio.validateRequest: ${c.name}`, () => {
      const sig = twilioSignature(token, c.url, c.params);
      assert.equal(twilio.validateRequest(token, sig, c.url, c.params), true);
      assert.equal(sig, twilio.getExpectedTwilioSignature(token, c.url, c.params));
      assert.equal(twilio.validateRequest('other-token', sig, c.url, c.params), false, 'another token does not validate');
      const tampered = { ...c.params, Extra: 'x' };
      assert.equal(twilio.validateRequest(token, sig, c.url, tampered), false, 'a changed body does not validate');
    });
  }

  it('covers the URL exactly as configured (another path does not validate)', () => {
    const sig = twilioSignature(token, 'https://example.com/a', { X: '1' });
    assert.equal(twilio.validateRequest(token, sig, 'https://example.com/b', { X: '1' }), false);
  });
});
