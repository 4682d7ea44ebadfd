/** Inbound: the SMTP listener the addresses' mail is delivered to (an MX, or a relay in front of it). */
export interface ListenOptions {
  /** 0: any free port (tests read it from the listener). */
  port: number;
  host: string;
  /** The name the server greets with (EHLO banner). */
  name: string;
  /** The largest message taken whole; a longer one is refused with 552. */
  maxBytes: number;
  /** STARTTLS is offered only with a certificate of the operator's: none, no STARTTLS. */
  tls?: { key: Buffer; cert: Buffer };
}

export type RelayTls = 'starttls' | 'implicit' | 'none';

/** Outbound: the relay (a submission server: the provider's, or the company's own MTA). */
export interface RelayOptions {
  host: string;
  port: number;
  /** starttls: the relay must upgrade (587); implicit: TLS from the first byte (465); none: plain (a relay on loopback). */
  tls: RelayTls;
  auth?: { user: string; pass: string };
  /** Connecting, the greeting, and each reply: past this the attempt is given up and retried later. */
  timeoutMs: number;
}

export interface EmailOptions {
  listen?: ListenOptions;
  relay?: RelayOptions;
}

/** The largest mail the listener takes unless configured otherwise. */
export const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;
