import { inUse, invalidParameter } from '../../core/errors.ts';
import { newSid } from '../../core/sid.ts';
import type { Executor } from '../../store/database.ts';
import { recordEvent } from '../events.ts';
import { conversations, services, type ServiceRow } from '../model.ts';
import { accountDefaults, insertService, lockService, lockedConfig, serviceIn, write, type Deps } from './deps.ts';

/** Conversation Services: several per account beside the default (which conversation_config names). */
export class ServiceService {
  constructor(private readonly deps: Deps) {}

  async create(accountSid: string, friendlyName: string): Promise<ServiceRow> {
    if (friendlyName.trim() === '') throw invalidParameter('FriendlyName must not be empty');
    const now = this.deps.clock.now();
    return write(this.deps, async (tx) => {
      // The default exists before any other, so it lists first, as on Twilio.
      await accountDefaults(tx, accountSid, now);
      const sid = newSid('IS');
      await insertService(tx, { sid, accountSid, friendlyName }, now);
      return serviceIn(tx, accountSid, sid);
    });
  }

  async list(accountSid: string, limit: number, offset: number): Promise<ServiceRow[]> {
    await accountDefaults(this.deps.db, accountSid, this.deps.clock.now());
    return services.list(this.deps.db, { where: [['account_sid = ?', accountSid]], limit, offset });
  }

  get(accountSid: string, sid: string): Promise<ServiceRow> {
    return serviceIn(this.deps.db, accountSid, sid);
  }

  /**
   * Deletes a service with everything in it: its conversations (and their participants, messages,
   * receipts, webhooks, timers), bindings, and whatever else refers to it with ON DELETE CASCADE.
   * Readers of conversation_events learn each conversation is gone (no webhooks: they went with it).
   * The account's default service, and one an address configuration creates conversations in,
   * stay until they are no longer that.
   */
  async delete(accountSid: string, sid: string): Promise<void> {
    const now = this.deps.clock.now();
    await write(this.deps, async (tx) => {
      const config = await lockedConfig(tx, accountSid, now);
      const service = await serviceIn(tx, accountSid, sid);
      if (service.sid === config.default_chat_service_sid)
        throw inUse(`Conversation Service ${service.sid} is the account's default (Configuration DefaultChatServiceSid); make another service the default first`);
      // Writers in the service (and address configurations naming it) finish first; new ones wait, then find it gone.
      await lockService(this.deps.db, tx, service.sid, 'exclusive');
      const address = await tx.get<{ sid: string }>('SELECT sid FROM conversation_addresses WHERE account_sid = ? AND auto_service_sid = ? LIMIT 1', [accountSid, service.sid]);
      if (address) throw inUse(`Address configuration ${address.sid} creates conversations in Conversation Service ${service.sid}; change or delete it first`);
      await removeConversations(tx, service, now);
      await services.delete(tx, ['sid = ?', service.sid]);
    });
  }
}

async function removeConversations(tx: Executor, service: ServiceRow, now: number): Promise<void> {
  const gone = await conversations.list(tx, { where: [['chat_service_sid = ?', service.sid]] });
  for (const c of gone)
    await recordEvent(tx, now, {
      accountSid: service.account_sid,
      conversationSid: c.sid,
      type: 'onConversationRemoved',
      resourceSid: c.sid,
      source: 'api',
      webhooksEnabled: false,
      data: { conversation: c },
    });
  await tx.run('DELETE FROM conversation_timers WHERE conversation_sid IN (SELECT sid FROM conversations WHERE chat_service_sid = ?)', [service.sid]);
  await conversations.delete(tx, ['chat_service_sid = ?', service.sid]);
}
