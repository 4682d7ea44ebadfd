import type { Random } from './random.ts';

/**
 * Malformed mail for the SMTP fuzz: a plausible mail, then a few of the ways mail is broken in
 * the wild (and by attackers) applied to it. Seeded, so a finding replays.
 */

const CHARSETS = ['utf-8', 'iso-8859-1', 'no-such-charset', 'utf-7', '', '"', 'utf-16'];
const ENCODINGS = ['base64', 'quoted-printable', '7bit', '8bit', 'binary', 'x-uuencode', 'bogus'];
const TYPES = ['text/plain', 'text/html', 'multipart/mixed', 'multipart/alternative', 'message/rfc822', 'application/octet-stream', 'image/png', '', 'text', '/'];

function junk(rng: Random, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(rng.chance(0.7) ? 32 + rng.int(95) : rng.int(256));
  return s;
}

/** Text without CR or LF (a header value or a line). */
function line(rng: Random, n: number): string {
  return junk(rng, n).replace(/[\r\n]/g, ' ');
}

function part(rng: Random, depth: number): string[] {
  const type = rng.pick(TYPES);
  if (type.startsWith('multipart/') && depth < 60) {
    const boundary = rng.chance(0.1) ? '' : `b${rng.hex(6)}`;
    const children = Array.from({ length: 1 + rng.int(3) }, () => part(rng, depth + 1 + (rng.chance(0.3) ? 10 : 0)));
    const closed = rng.chance(0.7);
    return [
      `Content-Type: ${type}; boundary="${boundary}"`,
      '',
      ...(rng.chance(0.2) ? [line(rng, 40)] : []),
      ...children.flatMap((c) => [`--${rng.chance(0.9) ? boundary : rng.hex(4)}`, ...c]),
      ...(closed ? [`--${boundary}--`] : []),
    ];
  }
  const encoding = rng.pick(ENCODINGS);
  const headers = [`Content-Type: ${type}; charset=${rng.pick(CHARSETS)}${rng.chance(0.3) ? `; name="${rng.pick(['../../etc/passwd', 'a'.repeat(400), '\u0000.exe', line(rng, 20)])}"` : ''}`];
  if (rng.chance(0.8)) headers.push(`Content-Transfer-Encoding: ${encoding}`);
  if (rng.chance(0.3)) headers.push(`Content-Disposition: ${rng.pick(['attachment', 'inline', 'attachment; filename=', 'x'])}`);
  const body =
    encoding === 'base64' && rng.chance(0.5)
      ? Buffer.from(junk(rng, 200), 'latin1').toString('base64').replace(/(.{76})/g, '$1\n') + (rng.chance(0.5) ? '!!==@@' : '')
      : encoding === 'quoted-printable'
        ? `${line(rng, 60)}=ZZ=\n=${rng.hex(1)}`
        : Array.from({ length: 1 + rng.int(6) }, () => line(rng, rng.chance(0.05) ? 3000 : 1 + rng.int(80))).join('\n');
  return [...headers, '', body];
}

/** A broken mail from `from` to `to`. */
export function malformedMail(rng: Random, from: string, to: string): Buffer {
  const headers: string[] = [];
  const add = (h: string) => headers.push(h);
  add(rng.chance(0.8) ? `From: ${rng.pick([`"${line(rng, 12)}" <${from}>`, from, '<<<@@>', `=?utf-8?B?${rng.hex(5)}?= <${from}>`, `${from}, ${from}`, `"${'n'.repeat(400)}" <${'s'.repeat(300)}@fuzz.test>`])}` : `X-Nothing: here`);
  add(`To: ${rng.chance(0.9) ? to : `${line(rng, 10)}:;`}`);
  if (rng.chance(0.8)) add(`Subject: ${rng.pick([line(rng, 30), '=?utf-8?B?broken', '=?x?Q?=ZZ?=', '', 'a'.repeat(2000)])}`);
  if (rng.chance(0.5)) add(`Message-ID: <${rng.hex(12)}@fuzz.test>`);
  if (rng.chance(0.3)) add(`In-Reply-To: ${rng.pick(['<>', '<<', line(rng, 40), `<${rng.hex(8)}@x>`])}`);
  if (rng.chance(0.2)) add(`References: ${Array.from({ length: rng.int(300) }, () => `<${rng.hex(10)}@r>`).join(' ')}`);
  if (rng.chance(0.3)) add('MIME-Version: 1.0');
  if (rng.chance(0.2)) add(line(rng, 30));
  if (rng.chance(0.1)) add(` folded continuation with nothing before it`);
  if (rng.chance(0.1)) add(`X-Long: ${'h'.repeat(5000)}`);
  if (rng.chance(0.1)) add(`Date: ${line(rng, 20)}`);
  const body = rng.chance(0.1) ? [] : rng.chance(0.5) ? part(rng, 0) : ['', line(rng, 80)];
  const text = [...headers, ...body].join(rng.chance(0.9) ? '\r\n' : '\n');
  // NUL bytes and a lone CR now and then: what no client should send and some do.
  return Buffer.from(rng.chance(0.1) ? text.replace(/e/g, '\u0000') : rng.chance(0.05) ? text.replace(/\r\n/g, '\r') : text, 'latin1');
}

/** A mail a responder or a mailer daemon writes (it must be dropped). */
export function loopMail(rng: Random, from: string, to: string): { envelopeFrom: string; mail: Buffer; rule: RegExp } {
  const kind = rng.int(5);
  const base = (extra: string[], contentType = 'text/plain') =>
    Buffer.from([`From: ${from}`, `To: ${to}`, 'Subject: Automatic reply', ...extra, `Content-Type: ${contentType}`, '', 'I am away.', ''].join('\r\n'));
  if (kind === 0) return { envelopeFrom: '', mail: base([]), rule: /empty MAIL FROM/ };
  if (kind === 1) return { envelopeFrom: from, mail: base([`Auto-Submitted: ${rng.pick(['auto-replied', 'auto-generated', 'auto-notified; owner-email="x@y"'])}`]), rule: /Auto-Submitted/ };
  if (kind === 2) return { envelopeFrom: from, mail: base([`Precedence: ${rng.pick(['bulk', 'junk', 'list', 'BULK'])}`]), rule: /Precedence/ };
  if (kind === 3) return { envelopeFrom: from, mail: base([`${rng.pick(['X-Autoreply', 'X-Autorespond'])}: yes`]), rule: /x-auto/ };
  return { envelopeFrom: from, mail: base([], 'multipart/report; report-type=delivery-status; boundary="r"'), rule: /multipart\/report/ };
}

/** A command line as a broken or hostile client sends it. */
export function garbageCommand(rng: Random): string {
  return rng.pick([
    () => line(rng, rng.int(100)),
    () => `${rng.pick(['MAIL FROM:', 'RCPT TO:', 'HELO', 'EHLO', 'AUTH PLAIN', 'STARTTLS', 'VRFY', 'EXPN', 'BDAT 10', 'XCLIENT ADDR=1.2.3.4'])}${line(rng, rng.int(60))}`,
    () => `MAIL FROM:<${'a'.repeat(rng.int(2000))}@x> SIZE=${rng.pick(['-1', '99999999999', 'abc'])}`,
    () => `RCPT TO:<${line(rng, 30)}>`,
    () => 'DATA',
    () => 'x'.repeat(rng.pick([1000, 5000, 20000])),
  ])();
}
