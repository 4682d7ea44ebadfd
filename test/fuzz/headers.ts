import { twilioSignature } from '../../src/core/signature.ts';
import type { Random } from './random.ts';
import type { Context, Pair } from './requests.ts';
import type { FuzzRoute } from './routes.ts';
import { NUL } from './values.ts';

/** The twilio.com names a product answers to (Host routing). */
const HOSTS: Record<string, string[]> = {
  taskrouter: ['taskrouter.twilio.com', 'taskrouter.sydney.au1.twilio.com'],
  conversations: ['conversations.twilio.com'],
  'flex-api': ['flex-api.twilio.com'],
  switchyard: ['switchyard.twilio.com'],
};
/** Hosts that are no host, or another product's, or ours with odd case and port. */
const ODD_HOSTS = ['[', '[::1', 'x:99999', 'a'.repeat(300), 'twilio.com', 'TASKROUTER.TWILIO.COM:443', 'conversations.twilio.com.evil', '127.0.0.1:1', 'Ã©vil', 'host with space'];

/** Credentials as the route takes them (Basic, a bearer token, a signature), or broken ones. */
export function authenticate(route: FuzzRoute, c: Context, headers: Record<string, string>, mode: string, kinds: string[], path: string, pairs: Pair[]) {
  const { r, world } = c;
  const basic = (sid: string, secret: string) => 'Basic ' + Buffer.from(`${sid}:${secret}`).toString('base64');
  const good = basic(c.account.accountSid, c.account.authToken);
  const bad = mode === 'auth';
  switch (route.auth) {
    case 'basic': {
      if (!bad) return void (headers.authorization = good);
      const [kind, value] = r.pick<[string, string | undefined]>([
        ['auth-none', undefined],
        ['auth-wrong-token', basic(c.account.accountSid, c.account.authToken.replace(/.$/, 'x'))],
        ['auth-other-account', basic(world.other.accountSid, world.other.authToken)],
        ['auth-malformed', r.pick(['Basic !!!', 'Basic ' + Buffer.from('nocolon').toString('base64'), 'Basic', 'Basic ' + 'A'.repeat(10_000), 'Digest username="x"', basic('', ''), basic(`${c.account.accountSid}${NUL}`, 'x'), basic('SK' + r.hex(32), 'secret')])],
        ['auth-bearer', `Bearer ${world.tokens.worker}`],
      ]);
      kinds.push(kind);
      if (value !== undefined) headers.authorization = value;
      return;
    }
    case 'worker-token': {
      const token = world.tokens.worker;
      if (!bad) return void (headers.authorization = `Bearer ${token}`);
      const value = r.pick([undefined, 'Bearer', 'Bearer x', `Bearer ${world.tokens.agentChat}`, `Bearer ${world.tokens.customerChat}`, `Bearer ${world.tokens.worker}`, `Bearer ${token.slice(0, -3)}abc`, good, `Bearer ${'a.'.repeat(5000)}`]);
      kinds.push('auth-token');
      if (value !== undefined) headers.authorization = value;
      return;
    }
    case 'signature': {
      if (bad) {
        kinds.push('auth-signature');
        if (r.chance(0.5)) headers['x-twilio-signature'] = r.pick(['', 'x', 'A'.repeat(28), 'A'.repeat(10_000)]);
        return;
      }
      const params = new URLSearchParams();
      for (const [k, v] of pairs) if ('text' in k && 'text' in v) params.append(k.text, v.text);
      if (params.get('AccountSid') !== c.account.accountSid && r.chance(0.8)) return void (headers['x-twilio-signature'] = 'unsigned');
      headers['x-twilio-signature'] = twilioSignature(c.account.authToken, c.baseUrl + path, params);
      return;
    }
    case 'none':
      if (bad) {
        kinds.push('auth-unexpected');
        headers.authorization = r.pick([good, 'Bearer x', 'Basic !!!']);
      }
  }
}

/** Host routing, odd hosts and odd headers. */
export function headerVariation(r: Random, headers: Record<string, string>, kinds: string[], setPath: (p: string) => void, path: string) {
  const product = path.split('/')[1];
  const [kind, apply] = r.pick<[string, () => void]>([
    ['host-routed', () => {
      const hosts = HOSTS[product];
      if (!hosts) return void (headers.host = r.pick(ODD_HOSTS));
      headers.host = r.pick(hosts);
      setPath(path.slice(product.length + 1) || '/');
    }],
    ['host-odd', () => void (headers.host = r.pick(ODD_HOSTS))],
    ['forwarded-proto', () => void (headers['x-forwarded-proto'] = r.pick(['https', 'gopher', '', 'https, http', 'h'.repeat(1000)]))],
    ['if-match', () => void (headers['if-match'] = r.pick(['"1"', 'garbage', '*', '', '-1', '99999999999999999999']))],
    ['accept', () => void (headers.accept = r.pick(['application/xml', '*/*;q=abc', '']))],
    ['content-encoding', () => void (headers['content-encoding'] = r.pick(['gzip', 'br', 'identity, x']))],
    ['odd-header', () => void (headers[r.pick(['x-long', 'cookie', 'origin', 'access-control-request-method'])] = r.pick(['\u00ff\u00fe', 'x'.repeat(8000), 'https://evil.example', 'POST']))],
  ]);
  apply();
  kinds.push(kind);
}
