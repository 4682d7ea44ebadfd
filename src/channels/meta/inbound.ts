import { TwilioError } from '../../core/errors.ts';
import { receive } from '../../conversations/gateway/inbound.ts';
import type { Executor } from '../../store/database.ts';
import type { ChannelDeps } from '../channel.ts';
import type { MetaOptions } from './options.ts';
import type { InboundMessage } from './events.ts';
import { graphUrl, messengerName } from './graph.ts';
import { studioRouting } from '../send-to-flex.ts';

/** Meta redelivers a webhook for days when it gets no 200: the ids landed are kept a week. */
const KEEP_IDS_MS = 7 * 24 * 60 * 60 * 1000;
const PRUNE_EVERY_MS = 60 * 60 * 1000;

/**
 * The account a page or number belongs to: the one whose Conversations address configuration
 * names it (type messenger, address messenger:<page id>; type whatsapp, address whatsapp:+<number>),
 * the oldest if several do. Without one, nobody here takes its messages.
 */
export async function accountOf(db: Executor, business: string): Promise<string | undefined> {
  const type = business.slice(0, business.indexOf(':'));
  const row = await db.get<{ account_sid: string }>('SELECT account_sid FROM conversation_addresses WHERE type = ? AND address = ? ORDER BY seq LIMIT 1', [type, business]);
  return row?.account_sid;
}

/**
 * Lands Meta's messages as the Twilio-shaped gateway lands SMS (`receive`): in the open
 * conversation of the sender and the page or number, else in a new one when the address's
 * auto-creation says so, with the sender's name (WhatsApp's profile; Messenger's looked up from
 * Graph) as the participant's friendlyName. Each Meta message id lands once.
 */
export class MetaInbound {
  private prunedAt = -Infinity;
  /** A conversation started for a Studio address goes to Flex, as the Twilio-shaped gateway's do. */
  private readonly afterReceive: ReturnType<typeof studioRouting>;

  constructor(
    private readonly deps: ChannelDeps,
    private readonly options: MetaOptions,
  ) {
    this.afterReceive = studioRouting(deps);
  }

  async land(m: InboundMessage): Promise<void> {
    const { db, log } = this.deps;
    if (await db.get('SELECT 1 AS x FROM meta_inbound_ids WHERE id = ?', [m.id])) return;
    const accountSid = await accountOf(db, m.to);
    if (accountSid === undefined) {
      log.info({ to: m.to }, 'a Meta message for a page or number no address configuration names: dropped');
    } else {
      const params = new URLSearchParams({ From: m.from, To: m.to, Body: m.body, NumMedia: String(m.media.length) });
      m.media.forEach((x, i) => {
        params.set(`MediaUrl${i}`, x.url);
        if (x.contentType) params.set(`MediaContentType${i}`, x.contentType);
      });
      const name = m.name ?? (await this.lookUpName(accountSid, m));
      if (name) params.set('ProfileName', name);
      try {
        const outcome = await receive(this.deps.conversations, accountSid, params);
        await this.afterReceive(accountSid, outcome, { address: m.from, name: name ?? undefined });
        if (outcome.result === 'ignored' || outcome.result === 'refused') log.info({ to: m.to, result: outcome.result }, 'a Meta message was not landed');
      } catch (err) {
        // What the message is (too long an address, say) stays so however often Meta sends it.
        if (!(err instanceof TwilioError)) throw err;
        log.info({ to: m.to, code: err.code, reason: err.message }, 'a Meta message was refused');
      }
    }
    await this.remember(m.id);
  }

  /** Only for a message that may start a conversation: one already open has its participant named. */
  private async lookUpName(accountSid: string, m: InboundMessage): Promise<string | undefined> {
    if (!m.lookup) return undefined;
    const open = await this.deps.db.get(
      'SELECT 1 AS x FROM conversation_participants WHERE account_sid = ? AND address = ? AND proxy_address = ? AND binding_open = 1',
      [accountSid, m.from, m.to],
    );
    if (open) return undefined;
    const { psid, token } = m.lookup;
    return messengerName(graphUrl(this.options.graphUrl, encodeURIComponent(psid), this.options.appSecret, token, { fields: 'name' }), token, this.options.lookupTimeoutMs);
  }

  private async remember(id: string): Promise<void> {
    const now = this.deps.clock.now();
    await this.deps.db.run('INSERT INTO meta_inbound_ids (id, date_received) VALUES (?, ?) ON CONFLICT (id) DO NOTHING', [id, now]);
    if (now - this.prunedAt < PRUNE_EVERY_MS) return;
    this.prunedAt = now;
    await this.deps.db.run('DELETE FROM meta_inbound_ids WHERE date_received < ?', [now - KEEP_IDS_MS]);
  }
}
