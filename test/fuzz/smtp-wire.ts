import { connect, type Socket } from 'node:net';

/** How long any reply may take: past it the case is a finding (the listener hung). */
export const REPLY_MS = 5_000;

export interface Reply {
  code: number;
  text: string;
}

/**
 * A raw SMTP client: writes what the fuzz gives it as it is (no escaping of its own) and reads
 * the replies, multi-line ones whole. `closed` once the server hangs up.
 */
export class Wire {
  private buffer = '';
  private waiter: (() => void) | null = null;
  closed = false;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer += chunk.toString('latin1');
      this.waiter?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
    socket.on('error', () => undefined);
  }

  static open(port: number): Promise<Wire> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new Wire(socket)));
      socket.once('error', reject);
    });
  }

  write(data: string | Buffer): void {
    if (!this.closed) this.socket.write(data);
  }

  /** The next reply; null if the server hung up first. Throws past REPLY_MS. */
  async reply(): Promise<Reply | null> {
    const deadline = Date.now() + REPLY_MS;
    for (;;) {
      const parsed = this.take();
      if (parsed) return parsed;
      if (this.closed) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply within ${REPLY_MS} ms (buffer: ${JSON.stringify(this.buffer.slice(0, 200))})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          this.waiter = null;
          resolve();
        };
      });
    }
  }

  /** A command and its reply. */
  async command(line: string): Promise<Reply | null> {
    this.write(`${line}\r\n`);
    return this.reply();
  }

  private take(): Reply | null {
    let at = 0;
    for (;;) {
      const end = this.buffer.indexOf('\r\n', at);
      if (end < 0) return null;
      const line = this.buffer.slice(at, end);
      at = end + 2;
      const m = /^(\d{3})([ -])(.*)$/.exec(line);
      if (!m) continue;
      if (m[2] === ' ') {
        const text = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(at);
        return { code: Number(m[1]), text };
      }
    }
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }
}

/** A mail body as DATA carries it: lines starting with a dot doubled, CRLF line ends, the final dot line. */
export function dotStuffed(mail: Buffer): Buffer {
  const text = mail.toString('latin1').replace(/\r?\n/g, '\r\n');
  const stuffed = text.replace(/(^|\r\n)\./g, '$1..');
  return Buffer.from(`${stuffed}${stuffed.endsWith('\r\n') ? '' : '\r\n'}.\r\n`, 'latin1');
}

/** One mail transaction on an open connection: the reply of each step, up to the first refusal. */
export async function transaction(wire: Wire, from: string, to: string[], mail: Buffer): Promise<{ mail: Reply | null; rcpt: (Reply | null)[]; data: Reply | null; end: Reply | null }> {
  const out: { mail: Reply | null; rcpt: (Reply | null)[]; data: Reply | null; end: Reply | null } = { mail: null, rcpt: [], data: null, end: null };
  out.mail = await wire.command(`MAIL FROM:<${from}>`);
  if (out.mail?.code !== 250) return out;
  for (const r of to) out.rcpt.push(await wire.command(`RCPT TO:<${r}>`));
  out.data = await wire.command('DATA');
  if (out.data?.code !== 354) return out;
  wire.write(dotStuffed(mail));
  out.end = await wire.reply();
  return out;
}
