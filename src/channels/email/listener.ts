import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { AddressRow } from '../../conversations/model.ts';
import type { Log } from '../../ops/logger.ts';
import type { ChannelDeps } from '../channel.ts';
import { isOwnAddress, receivingAddress } from './addresses.ts';
import type { ListenOptions } from './options.ts';
import { landMail, type Landed } from './land.ts';
import { loopRule } from './loops.ts';
import { parseMail, usableAddress, type InboundMail } from './parse.ts';
import { localError, SmtpReply, tooBig, unknownRecipient, unreadable } from './replies.ts';

/** Recipients one mail may name; more are answered 452 (the sender sends them in another transaction). */
const MAX_RECIPIENTS = 50;
/** Connections open at once; more are refused with 421 (senders retry). */
const MAX_CLIENTS = 100;

/**
 * The inbound side: an SMTP server (smtp-server) that takes mail for the addresses configured
 * (RCPT TO of any other address: 550), reads each mail whole up to the size limit (over it: 552),
 * drops what loops (loops.ts: accepted, not landed, logged) and lands the rest (land.ts), once per
 * account its recipients belong to. No AUTH: it is where mail is delivered, not a relay.
 */
export class EmailListener {
  private readonly server: SMTPServer;
  private readonly inFlight = new Set<Promise<unknown>>();
  // Mail from one sender to one address lands in order, so two at once cannot both start a conversation.
  private readonly tails = new Map<string, Promise<unknown>>();
  private readonly log: Log;

  constructor(
    private readonly deps: ChannelDeps,
    private readonly options: ListenOptions,
  ) {
    this.log = deps.log.child({ component: 'email' });
    this.server = new SMTPServer({
      name: options.name,
      banner: 'Switchyard',
      size: options.maxBytes,
      authOptional: true,
      // RFC 2034 codes (5.1.1 no such mailbox, 4.3.0 try later): what senders' bounces quote to the author.
      hideENHANCEDSTATUSCODES: false,
      disabledCommands: options.tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
      ...(options.tls ? { key: options.tls.key, cert: options.tls.cert } : {}),
      maxClients: MAX_CLIENTS,
      maxRecipients: MAX_RECIPIENTS,
      logger: false,
      // The client's name is not used for anything, and a slow resolver would hold every connection up.
      disableReverseLookup: true,
      closeTimeout: 5_000,
      onRcptTo: (address, session, callback) => {
        this.track(receivingAddress(deps.db, address.address)).then(
          (row) => {
            if (row) return callback(null);
            const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
            callback(this.refused(unknownRecipient(address.address), { from, to: [address.address] }));
          },
          (err) => {
            this.log.error({ err }, 'looking up an email recipient failed');
            callback(localError());
          },
        );
      },
      onData: (stream, session, callback) => {
        this.track(this.receive(stream, session)).then(
          (answer) => callback(null, answer),
          (err) => callback(err instanceof SmtpReply ? err : localError()),
        );
      },
    });
    // Connection errors (a client gone mid-command, a TLS handshake refused) are the client's: noted, never thrown.
    this.server.on('error', (err) => this.log.debug({ err }, 'an SMTP connection failed'));
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.server.off('error', reject);
        resolve();
      });
    });
  }

  /** The port it listens on (the one chosen when configured with 0). */
  get port(): number {
    return (this.server.server.address() as AddressInfo).port;
  }

  /** Stops taking connections and waits for the mail being landed. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    p.finally(() => this.inFlight.delete(p)).catch(() => undefined);
    return p;
  }

  private async receive(stream: SMTPServerDataStream, session: SMTPServerSession): Promise<string> {
    const raw = await readAll(stream, this.options.maxBytes);
    const envelopeFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address.toLowerCase() : '';
    const rcpts = session.envelope.rcptTo.map((r) => r.address);
    const context = { from: envelopeFrom, to: rcpts };
    if (raw === null) throw this.refused(tooBig(`it is over ${this.options.maxBytes} bytes`), context);
    let mail: InboundMail;
    try {
      mail = await parseMail(raw);
    } catch (err) {
      this.log.info({ ...context, err }, 'an email could not be parsed');
      throw this.refused(unreadable(), context);
    }
    // The From header says who wrote; without a usable one, the envelope says who sent.
    const sender = mail.from ?? (envelopeFrom && usableAddress(envelopeFrom) ? { address: envelopeFrom, name: null } : null);
    const own = sender !== null && ((await isOwnAddress(this.deps.db, sender.address)) || (envelopeFrom !== '' && (await isOwnAddress(this.deps.db, envelopeFrom))));
    const rule = loopRule(envelopeFrom, mail, own);
    if (rule !== null || sender === null) {
      this.log.info({ ...context, messageId: mail.messageId, rule: rule ?? 'no sender address' }, 'email dropped');
      return 'OK: message accepted';
    }
    // One landing per account: the first of its addresses among the recipients receives the mail.
    const byAccount = new Map<string, AddressRow>();
    for (const to of rcpts) {
      const row = await receivingAddress(this.deps.db, to);
      if (row && !byAccount.has(row.account_sid)) byAccount.set(row.account_sid, row);
    }
    for (const address of byAccount.values()) {
      const key = `${address.account_sid} ${address.address.toLowerCase()} ${sender.address}`;
      let landed: Landed;
      try {
        landed = await this.serially(key, () => landMail(this.deps, address, sender, mail));
      } catch (err) {
        if (err instanceof SmtpReply) throw this.refused(err, context);
        this.log.error({ ...context, err }, 'landing an email failed');
        throw localError();
      }
      this.log.info({ ...context, messageId: mail.messageId, address: address.address, ...landed }, 'email received');
    }
    return 'OK: message accepted';
  }

  private refused(reply: SmtpReply, context: object): SmtpReply {
    this.log.info({ ...context, code: reply.responseCode, reason: reply.message }, 'email refused');
    return reply;
  }

  private serially<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const run = (this.tails.get(key) ?? Promise.resolve()).then(fn, fn);
    const tail = run.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return run;
  }
}

/** The message whole, or null once it is over the limit (the rest is read and let go, not kept). */
function readAll(stream: SMTPServerDataStream, maxBytes: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
      else chunks.length = 0;
    });
    stream.on('end', () => resolve(stream.sizeExceeded || size > maxBytes ? null : Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}
