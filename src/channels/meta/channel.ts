import type { ChannelFactory } from '../channel.ts';
import { MetaAdapter } from './adapter.ts';
import type { MetaOptions } from './options.ts';
import { MetaInbound } from './inbound.ts';
import { MetaReceipts } from './receipts.ts';
import { metaWebhook } from './webhook.ts';

/**
 * Facebook Messenger and WhatsApp through Meta's own APIs (one Meta app): the webhook brings
 * messages into conversations and statuses into receipts; the adapter sends through the Send API
 * and the Cloud API.
 */
export function metaChannel(options: MetaOptions): ChannelFactory {
  return (deps) => {
    const inbound = new MetaInbound(deps, options);
    const receipts = new MetaReceipts(deps);
    metaWebhook(deps.app, options, async (events) => {
      // In order: a message and then its status in one delivery must land in that order.
      for (const e of events) {
        if (e.kind === 'message') await inbound.land(e);
        else if (e.kind === 'status') await receipts.status(e);
        else await receipts.watermark(e);
      }
    });
    return { name: 'meta', adapter: new MetaAdapter(options, deps.db, deps.clock) };
  };
}
