import { simpleParser, type ParsedMail } from 'mailparser';
import nodemailer from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer/index.js';
import { pino } from 'pino';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import { EmailChannel } from '../../src/channels/email/channel.ts';
import type { EmailOptions } from '../../src/channels/email/options.ts';
import type { ChannelFactory } from '../../src/channels/channel.ts';

/** A mail the sink received: its envelope and the mail as a client would read it. */
export interface SunkMail {
  from: string;
  to: string[];
  raw: Buffer;
  mail: ParsedMail;
}

/**
 * The test's own SMTP server standing in for the relay (and, behind it, the customer's mailbox):
 * keeps every mail it accepts; `refuse` decides a recipient's answer (an SMTP code and text).
 */
export interface MailSink {
  port: number;
  mails: SunkMail[];
  refuse: (rcpt: string) => { code: number; message: string } | null;
  /** Resolves with the next mail (or one received and not yet taken). */
  next(): Promise<SunkMail>;
  close(): Promise<void>;
}

export async function startMailSink(): Promise<MailSink> {
  const waiting: ((m: SunkMail) => void)[] = [];
  let taken = 0;
  const sink: MailSink = {
    port: 0,
    mails: [],
    refuse: () => null,
    next() {
      if (taken < sink.mails.length) return Promise.resolve(sink.mails[taken++]);
      return new Promise((resolve) => waiting.push(resolve));
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      const refusal = sink.refuse(address.address);
      if (!refusal) return callback();
      callback(Object.assign(new Error(refusal.message), { responseCode: refusal.code }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', async () => {
        const raw = Buffer.concat(chunks);
        const m: SunkMail = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          mail: await simpleParser(raw),
        };
        sink.mails.push(m);
        const w = waiting.shift();
        if (w) {
          taken++;
          w(m);
        }
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  sink.port = (server.server.address() as AddressInfo).port;
  return sink;
}

/** Log lines of the email gateway, as JSON objects (a real pino logger writing into an array). */
export function captureLog(): { log: FastifyBaseLogger; lines: Record<string, any>[] } {
  const lines: Record<string, any>[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) }) as unknown as FastifyBaseLogger;
  return { log, lines };
}

/** The gateway on loopback: listening on a free port, relaying to the sink. Keeps the channel it made. */
export function emailGateway(sink: MailSink | null, extra: Partial<EmailOptions> = {}, log?: FastifyBaseLogger) {
  const made: { channel?: EmailChannel } = {};
  const options: EmailOptions = {
    listen: { port: 0, host: '127.0.0.1', name: 'mx.switchyard.test', maxBytes: 256 * 1024 },
    relay: sink ? { host: '127.0.0.1', port: sink.port, tls: 'none', timeoutMs: 5_000 } : undefined,
    ...extra,
  };
  const factory: ChannelFactory = (deps) => (made.channel = new EmailChannel(log ? { ...deps, log } : deps, options));
  return {
    factory,
    /** The port the gateway's SMTP listener took. */
    get port(): number {
      if (!made.channel?.listener) throw new Error('the email gateway has not started');
      return made.channel.listener.port;
    },
  };
}

/** A customer's mail client: sends to the gateway's listener over SMTP. */
export function mailClient(port: number) {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, pool: false });
  return {
    send: (mail: Mail.Options) => transport.sendMail(mail),
    close: () => transport.close(),
  };
}

/** An SMTP error as nodemailer reports it: the reply code and the command it answered. */
export type SmtpError = Error & { responseCode?: number; command?: string; response?: string };
