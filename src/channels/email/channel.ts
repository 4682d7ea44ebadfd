import type { Transporter } from 'nodemailer';
import type { Channel, ChannelDeps, ChannelFactory } from '../channel.ts';
import type { EmailOptions } from './options.ts';
import { EmailListener } from './listener.ts';
import { EmailSender, relayTransport } from './sender.ts';

/**
 * The email gateway: mail in through its SMTP listener (when a port is configured), mail out
 * through the relay (when one is configured). Either side works without the other.
 */
export class EmailChannel implements Channel {
  readonly name = 'email';
  readonly adapter?: EmailSender;
  readonly listener?: EmailListener;
  private readonly transport?: Transporter;

  constructor(deps: ChannelDeps, options: EmailOptions) {
    const log = deps.log.child({ component: 'email' });
    if (options.relay) {
      this.transport = relayTransport(options.relay);
      this.adapter = new EmailSender(deps.db, deps.clock, this.transport, log);
    }
    if (options.listen) this.listener = new EmailListener(deps, options.listen);
  }

  async start(): Promise<void> {
    await this.listener?.start();
  }

  async close(): Promise<void> {
    await this.listener?.close();
    this.transport?.close();
  }
}

export function emailChannel(options: EmailOptions): ChannelFactory {
  return (deps) => new EmailChannel(deps, options);
}
