import { connect } from 'node:net';
import type { Random } from './random.ts';

/** A request written byte for byte: what no HTTP client would send. */
export interface RawCase {
  kind: string;
  bytes: Buffer;
  /** A valid WebSocket handshake is expected to succeed (101): then these frames are sent and the socket closed. */
  frames?: Buffer[];
}

export interface RawOutcome {
  /** The status line's code, or 'closed' (no answer), or 'timeout'. */
  result: string;
  ms: number;
}

const UPGRADE_PATHS = ['/tsock/v3/wsconnect', '/v3/wsconnect', '/event-bridge/v1/wschannels', '/', '/taskrouter/v1/Workspaces', '/nope'];
/** Request targets that are not valid URLs: `GET http://[` with Upgrade once ended the process. */
const BAD_TARGETS = ['http://[', 'http://[::1', '//[', 'http://x:99999/', 'http://', 'http://[::1]:99999/x', '//', 'http:', '[', '%', '/%zz', '/\u0000', '/\u00ff\u00fe', 'http://user:pass@[/', '*', 'HTTP://[', '\\\\[', 'ws://[', '?token=%zz', '/#[', 'http://a b/', 'http://127.0.0.1:1/tsock/v3/wsconnect'];
const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** A raw case: malformed request lines, headers, hosts, bodies and WebSocket upgrades, with the tokens to make some upgrades real. */
export function rawCase(r: Random, tokens: { chat: string; worker: string }): RawCase {
  const crlf = (lines: string[], body = '') => Buffer.from(lines.join('\r\n') + '\r\n\r\n' + body, 'latin1');
  const upgradeHeaders = (o: { key?: string | null; version?: string | null; upgrade?: string; connection?: string } = {}) =>
    [
      'Host: 127.0.0.1',
      `Upgrade: ${o.upgrade ?? 'websocket'}`,
      `Connection: ${o.connection ?? 'Upgrade'}`,
      ...(o.key === null ? [] : [`Sec-WebSocket-Key: ${o.key ?? KEY}`]),
      ...(o.version === null ? [] : [`Sec-WebSocket-Version: ${o.version ?? '13'}`]),
    ];
  return r.weighted<() => RawCase>([
    // The known killers, to every upgrade path and elsewhere.
    [6, () => {
      const target = r.pick(BAD_TARGETS);
      const path = r.pick(UPGRADE_PATHS);
      const t = target.startsWith('?') || target.startsWith('/#') ? path + target : target;
      return { kind: 'upgrade-bad-target', bytes: crlf([`GET ${t} HTTP/1.1`, ...upgradeHeaders()]) };
    }],
    [4, () => {
      const path = r.pick(UPGRADE_PATHS);
      const variant = r.pick<[string, string[]]>([
        ['no-key', upgradeHeaders({ key: null })],
        ['bad-key', upgradeHeaders({ key: r.pick(['', 'x', '\u00ff'.repeat(24), 'A'.repeat(5000)]) })],
        ['bad-version', upgradeHeaders({ version: r.pick(['8', '', 'abc', '13, 8', '99999999999']) })],
        ['no-version', upgradeHeaders({ version: null })],
        ['h2c', upgradeHeaders({ upgrade: r.pick(['h2c', 'websocket, h2c', '\u00ff', '', 'WebSocket']) })],
        ['connection', upgradeHeaders({ connection: r.pick(['keep-alive', 'upgrade, close', '', 'Upgrade, Upgrade']) })],
        ['bad-host', ['Host: ' + r.pick(['[', '[::1', 'x:99999', '', '\u00ff']), ...upgradeHeaders().slice(1)]],
        ['no-host', upgradeHeaders().slice(1)],
        ['bad-token', upgradeHeaders()],
      ]);
      // Never a valid worker token: a worker's event-bridge socket that closes takes the worker offline
      // (a write by design, after the close), which would land in the middle of another request's check.
      const tampered = (token: string) => encodeURIComponent(token.slice(0, -3) + 'abc');
      const q = variant[0] === 'bad-token' ? `?token=${r.pick(['', 'x', 'a.b.c', tampered(tokens.chat), tampered(tokens.worker), '%zz', '%00', encodeURIComponent(tokens.chat)])}` : '';
      const method = r.pick(['GET', 'GET', 'POST', 'PUT', 'OPTIONS']);
      return { kind: `upgrade-${variant[0]}`, bytes: crlf([`${method} ${path}${q} HTTP/1.1`, ...variant[1]]) };
    }],
    // A real twilsock socket (the Conversations SDK's; its token goes in init), then frames WebSocket or twilsock refuses.
    [2, () => {
      const frames = Array.from({ length: 1 + r.int(3) }, () => frame(r));
      return { kind: 'websocket-frames', bytes: crlf(['GET /tsock/v3/wsconnect HTTP/1.1', ...upgradeHeaders()]), frames };
    }],
    // Malformed request lines.
    [5, () => {
      const line = r.pick([
        'GET http://[ HTTP/1.1', 'GET / HTTP/9.9', 'GET / HTTP/1.1 extra', 'G\u0000T / HTTP/1.1', 'GET /\u0000 HTTP/1.1', 'GET /%00 HTTP/1.1',
        'GET /\u00ff\u00fe HTTP/1.1', 'get / http/1.1', 'GET  / HTTP/1.1', 'GET', '/ HTTP/1.1', 'GET / HTTP/1.1\u0000', `GET /${'a'.repeat(20_000)} HTTP/1.1`,
        'CONNECT 127.0.0.1:1 HTTP/1.1', 'OPTIONS * HTTP/1.1', 'GET ?? HTTP/1.1', 'GET /taskrouter/v1/Workspaces/%00 HTTP/1.1', 'PRI * HTTP/2.0',
        'GET /taskrouter/v1/Workspaces/%FF%FE HTTP/1.1', `GET /taskrouter/v1/Workspaces/${'%00'.repeat(3000)} HTTP/1.1`, 'GET http://localhost/health HTTP/1.1',
        'GET /health?%zz HTTP/1.1', 'GET /health HTTP/1.0', 'DELETE /taskrouter/v1/Workspaces/WS HTTP/1.1', '\u00ff\u00fe / HTTP/1.1',
      ]);
      return { kind: 'request-line', bytes: crlf([line, 'Host: 127.0.0.1']) };
    }],
    // Malformed headers and hosts.
    [5, () => {
      const [kind, headers] = r.pick<[string, string[]]>([
        ['host-missing', []],
        ['host-twice', ['Host: a', 'Host: b']],
        ['host-bad', ['Host: ' + r.pick(['[', '[::1', 'x:99999', '\u00ff', 'a b', '', 'taskrouter.twilio.com:99999', 'a'.repeat(10_000)])]],
        ['header-no-colon', ['Host: x', 'NoColonHere']],
        ['header-nul', ['Host: x', 'X-A: a\u0000b']],
        ['header-folded', ['Host: x', 'X-A: a', ' continued']],
        ['header-huge', ['Host: x', 'X-A: ' + 'a'.repeat(70_000)]],
        ['header-many', ['Host: x', ...Array.from({ length: 3000 }, (_, i) => `X-${i}: ${i}`)]],
        ['header-space-name', ['Host: x', 'X A: b']],
        ['header-bad-name', ['Host: x', '\u00ff: b']],
        ['auth-odd', ['Host: x', 'Authorization: Basic ' + r.pick(['', '=', '\u00ff', '%00', 'A'.repeat(12_000)])]],
      ]);
      const path = r.pick(['/health', '/taskrouter/v1/Workspaces', '/webchat/v1/Widgets/YW' + r.hex(32), '/conversations/v1/Conversations']);
      return { kind, bytes: crlf([`GET ${path} HTTP/1.1`, ...headers]) };
    }],
    // Malformed bodies and framing.
    [4, () => {
      const path = r.pick(['/taskrouter/v1/Workspaces', '/webchat/v1/Sessions', '/switchyard/v1/Agent/Sessions', '/event-bridge/v1/wschannels', '/conversations/v1/Gateway/Messaging/Inbound', '/health']);
      const [kind, headers, body] = r.pick<[string, string[], string]>([
        ['content-length-bad', [r.pick(['Content-Length: -1', 'Content-Length: abc', 'Content-Length: 1e3', 'Content-Length: 99999999999999999999'])], 'a=1'],
        ['content-length-twice', ['Content-Length: 3', 'Content-Length: 4'], 'a=1'],
        ['content-length-short', ['Content-Length: 10'], 'a=1'],
        ['chunked-bad', ['Transfer-Encoding: chunked'], r.pick(['zz\r\nabc\r\n0\r\n\r\n', '3\r\na=1\r\n', 'ffffffffffffffff\r\na\r\n', '-1\r\n\r\n'])],
        ['chunked-and-length', ['Transfer-Encoding: chunked', 'Content-Length: 3'], '3\r\na=1\r\n0\r\n\r\n'],
        ['transfer-encoding-odd', ['Transfer-Encoding: ' + r.pick(['gzip', 'chunked, gzip', 'identity', '\u00ff'])], 'a=1'],
        ['expect', ['Expect: ' + r.pick(['100-continue', 'nonsense']), 'Content-Length: 3'], 'a=1'],
        ['body-invalid-utf8', ['Content-Type: application/x-www-form-urlencoded', 'Content-Length: 8'], 'a=\u00ff\u00fe\u0080b=c'],
        ['body-nul', ['Content-Type: application/json', 'Content-Length: 9'], '{"a":"\u0000"}'],
      ]);
      return { kind, bytes: crlf([`POST ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...headers], body) };
    }],
  ])();
}

/** A WebSocket frame from a client: masked as the protocol requires, or broken in the protocol's own ways. */
function frame(r: Random): Buffer {
  const masked = (opcode: number, payload: Buffer, fin = true) => {
    const len = payload.length;
    const head = len < 126 ? Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | len]) : len < 65536 ? Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | 126, len >> 8, len & 255]) : Buffer.concat([Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | 127]), u64(len)]);
    const mask = Buffer.from([1, 2, 3, 4]);
    const body = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]));
    return Buffer.concat([head, mask, body]);
  };
  return r.pick<() => Buffer>([
    () => masked(1, Buffer.from('not json')),
    // Twilsock frames (binary): a header cut short, a length past the end, no init first, a bad token in init, an unknown method.
    () => masked(2, Buffer.from('TWILSOCK V3.0 9\r\n{"method":\r\n')),
    () => masked(2, Buffer.from('TWILSOCK V3.0 99999999\r\n{}\r\n')),
    () => masked(2, twilsock({ method: 'message', id: 'TM1', http_request: { host: 'aim.us1.twilio.com', path: '/Client/v2/Configuration', method: 'GET', params: {}, headers: {} } })),
    () => masked(2, twilsock({ method: 'init', id: 'TM1', token: r.pick(['', 'x', 'a.b.c', 'a.'.repeat(3000)]), registrations: [] })),
    () => masked(2, twilsock({ method: r.pick(['__proto__', 'update', 'reply', 'nope']), id: r.pick(['TM1', '\u0000', '']) })),
    () => masked(1, Buffer.from(JSON.stringify({ type: 'message', conversation_sid: 'CH' + r.hex(32), body: 'x' }))),
    () => masked(1, Buffer.from(JSON.stringify({ type: 'message', conversation_sid: 'x\u0000', body: '\u0000' }))),
    () => masked(1, Buffer.from('['.repeat(5000) + ']'.repeat(5000))),
    () => masked(1, Buffer.from(JSON.stringify({ type: r.pick([1, null, 'typing', '__proto__']), ref: { a: [1] } }))),
    () => masked(1, Buffer.from([0xff, 0xfe, 0x80])),
    () => masked(2, Buffer.from([0, 1, 2])),
    () => masked(r.pick([3, 7, 11, 15]), Buffer.from('reserved opcode')),
    () => masked(9, Buffer.alloc(200)),
    () => masked(1, Buffer.from('x'.repeat(70_000))),
    () => masked(0, Buffer.from('continuation without start')),
    () => masked(1, Buffer.from('{"type":"mess'), false),
    () => Buffer.from([0x81, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f]),
    () => Buffer.concat([Buffer.from([0x81, 0xff]), u64(2 ** 53), Buffer.from([1, 2, 3, 4])]),
    () => masked(8, Buffer.from([0x03, 0xe8, 0xff])),
  ])();
}

/** A twilsock frame as the SDK writes it: `TWILSOCK V3.0 <header length>\r\n<header>\r\n` and no payload. */
function twilsock(header: Record<string, unknown>): Buffer {
  const head = Buffer.from(JSON.stringify({ ...header, payload_size: 0 }));
  return Buffer.concat([Buffer.from(`TWILSOCK V3.0 ${head.length}\r\n`), head, Buffer.from('\r\n')]);
}

function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

/** Writes a raw case and waits for the answer's status line, or for the server to close the connection. */
export function sendRaw(port: number, c: RawCase, limitMs: number): Promise<RawOutcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let got = '';
    let done = false;
    const finish = (result: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ result, ms: performance.now() - started });
    };
    const status = () => /^HTTP\/1\.[01] (\d{3})/.exec(got)?.[1];
    const timer = setTimeout(() => finish(status() ?? 'timeout'), limitMs);
    socket.on('error', () => finish(status() ?? 'closed'));
    socket.on('close', () => finish(status() ?? 'closed'));
    socket.on('data', (d) => {
      const switching = !got && d.toString('latin1').startsWith('HTTP/1.1 101');
      got += d.toString('latin1');
      if (switching && c.frames) {
        // The handshake succeeded: send the frames, then close our side; the server must answer or close.
        for (const f of c.frames) socket.write(f);
        socket.end();
      } else if (!c.frames && status() && status() !== '101' && /\r\n\r\n/.test(got)) finish(status()!);
      else if (status() === '101' && !c.frames) finish('101');
    });
    socket.write(c.bytes);
    if (!c.frames && !/upgrade/i.test(c.bytes.toString('latin1'))) socket.end();
  });
}
