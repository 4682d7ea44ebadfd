import { invalidParameter, notFound } from '../../core/errors.ts';
import { isSid, newSid } from '../../core/sid.ts';
import { isUniqueViolation, type Executor } from '../../store/database.ts';
import { addresses, type AddressRow, type ConfigRow, type ServiceRow } from '../model.ts';
import { accountDefaults, lockService, lockedConfig, serviceIn, write, type Deps } from './deps.ts';
import type { WebhookInput } from './webhooks.ts';

export interface ConfigInput {
  defaultChatServiceSid?: string;
  defaultMessagingServiceSid?: string;
  /** Validated durations; '' clears. */
  defaultInactiveTimer?: string;
  defaultClosedTimer?: string;
}

export interface WebhookConfigInput {
  method?: 'GET' | 'POST';
  filters?: string[];
  preWebhookUrl?: string;
  postWebhookUrl?: string;
  target?: 'webhook' | 'flex';
}

export interface AddressInput {
  type?: string;
  address?: string;
  friendlyName?: string;
  addressCountry?: string;
  autoEnabled?: boolean;
  autoType?: 'webhook' | 'studio' | 'default';
  autoServiceSid?: string;
  autoWebhookUrl?: string;
  autoWebhookMethod?: 'get' | 'post';
  autoWebhookFilters?: string[];
  autoStudioFlowSid?: string;
  autoStudioRetryCount?: number;
}

/** Account-level Configuration, Configuration/Webhooks and Configuration/Addresses. */
export class ConfigurationService {
  constructor(private readonly deps: Deps) {}

  async get(accountSid: string): Promise<{ config: ConfigRow; service: ServiceRow }> {
    return accountDefaults(this.deps.db, accountSid, this.deps.clock.now());
  }

  async update(accountSid: string, input: ConfigInput): Promise<{ config: ConfigRow; service: ServiceRow }> {
    const now = this.deps.clock.now();
    return write(this.deps, async (tx) => {
      // Locked first: the new default cannot be a service being deleted meanwhile.
      const config = await lockedConfig(tx, accountSid, now);
      const service =
        input.defaultChatServiceSid === undefined
          ? await serviceIn(tx, accountSid, config.default_chat_service_sid)
          : await serviceIn(tx, accountSid, input.defaultChatServiceSid).catch(() => {
              throw invalidParameter(`Invalid DefaultChatServiceSid: ${input.defaultChatServiceSid} is not a Conversation Service of this account`);
            });
      const next: ConfigRow = { ...config, default_chat_service_sid: service.sid, date_updated: now };
      if (input.defaultMessagingServiceSid !== undefined) next.default_messaging_service_sid = input.defaultMessagingServiceSid || null;
      if (input.defaultInactiveTimer !== undefined) next.default_inactive_timer = input.defaultInactiveTimer || null;
      if (input.defaultClosedTimer !== undefined) next.default_closed_timer = input.defaultClosedTimer || null;
      await this.save(tx, next);
      return { config: next, service };
    });
  }

  async updateWebhooks(accountSid: string, input: WebhookConfigInput): Promise<ConfigRow> {
    const now = this.deps.clock.now();
    return write(this.deps, async (tx) => {
      const config = await lockedConfig(tx, accountSid, now);
      const next: ConfigRow = { ...config, date_updated: now };
      if (input.method !== undefined) next.webhook_method = input.method;
      if (input.filters !== undefined) next.webhook_filters = JSON.stringify(input.filters);
      if (input.preWebhookUrl !== undefined) next.pre_webhook_url = input.preWebhookUrl || null;
      if (input.postWebhookUrl !== undefined) next.post_webhook_url = input.postWebhookUrl || null;
      if (input.target !== undefined) next.webhook_target = input.target;
      await this.save(tx, next);
      return next;
    });
  }

  private async save(tx: Executor, c: ConfigRow): Promise<void> {
    await tx.run(
      'UPDATE conversation_config SET default_chat_service_sid = ?, default_messaging_service_sid = ?, default_inactive_timer = ?, default_closed_timer = ?, ' +
        'webhook_method = ?, webhook_filters = ?, pre_webhook_url = ?, post_webhook_url = ?, webhook_target = ?, date_updated = ? WHERE account_sid = ?',
      [
        c.default_chat_service_sid,
        c.default_messaging_service_sid,
        c.default_inactive_timer,
        c.default_closed_timer,
        c.webhook_method,
        c.webhook_filters,
        c.pre_webhook_url,
        c.post_webhook_url,
        c.webhook_target,
        c.date_updated,
        c.account_sid,
      ],
    );
  }

  // ---- Address configurations ------------------------------------------------------------------

  async createAddress(accountSid: string, input: AddressInput & { type: string; address: string }): Promise<AddressRow> {
    const now = this.deps.clock.now();
    return write(this.deps, async (tx) => {
      const { service } = await accountDefaults(tx, accountSid, now);
      const row: AddressRow = {
        sid: newSid('IG'),
        account_sid: accountSid,
        type: input.type,
        address: input.address,
        friendly_name: input.friendlyName ?? null,
        address_country: input.addressCountry ?? null,
        auto_enabled: input.autoEnabled ?? false,
        auto_type: input.autoType ?? null,
        auto_service_sid: input.autoServiceSid ?? null,
        auto_webhook_url: input.autoWebhookUrl ?? null,
        auto_webhook_method: input.autoWebhookMethod ?? null,
        auto_webhook_filters: JSON.stringify(input.autoWebhookFilters ?? []),
        auto_studio_flow_sid: input.autoStudioFlowSid ?? null,
        auto_studio_retry_count: input.autoStudioRetryCount ?? null,
        date_created: now,
        date_updated: now,
      };
      await completeAutoCreation(this.deps, tx, row, service);
      if (await addresses.first(tx, ['account_sid = ?', accountSid], ['type = ?', row.type], ['address = ?', row.address]))
        throw duplicateAddress(row);
      try {
        await addresses.insert(tx, row);
      } catch (err) {
        if (isUniqueViolation(err)) throw duplicateAddress(row);
        throw err;
      }
      return row;
    });
  }

  async getAddress(accountSid: string, sidOrAddress: string): Promise<AddressRow> {
    return findAddress(this.deps.db, accountSid, sidOrAddress);
  }

  listAddresses(accountSid: string, type: string | undefined, limit: number, offset: number): Promise<AddressRow[]> {
    const where: [string, ...string[]][] = [['account_sid = ?', accountSid]];
    if (type !== undefined) where.push(['type = ?', type.toLowerCase()]);
    return addresses.list(this.deps.db, { where, limit, offset });
  }

  /** The address configuration for an address (the inbound gateway's lookup), if any. */
  async addressFor(db: Executor, accountSid: string, address: string, type?: string): Promise<AddressRow | undefined> {
    const where: [string, ...string[]][] = [['account_sid = ?', accountSid], ['address = ?', address]];
    if (type !== undefined) where.push(['type = ?', type]);
    return addresses.first(db, ...where);
  }

  async updateAddress(accountSid: string, sidOrAddress: string, input: AddressInput): Promise<AddressRow> {
    const now = this.deps.clock.now();
    return write(this.deps, async (tx) => {
      const { service } = await accountDefaults(tx, accountSid, now);
      const a = await findAddress(tx, accountSid, sidOrAddress);
      const next: AddressRow = { ...a, date_updated: now };
      if (input.friendlyName !== undefined) next.friendly_name = input.friendlyName;
      if (input.autoEnabled !== undefined) next.auto_enabled = input.autoEnabled;
      if (input.autoType !== undefined) next.auto_type = input.autoType;
      if (input.autoServiceSid !== undefined) next.auto_service_sid = input.autoServiceSid;
      if (input.autoWebhookUrl !== undefined) next.auto_webhook_url = input.autoWebhookUrl;
      if (input.autoWebhookMethod !== undefined) next.auto_webhook_method = input.autoWebhookMethod;
      if (input.autoWebhookFilters !== undefined) next.auto_webhook_filters = JSON.stringify(input.autoWebhookFilters);
      if (input.autoStudioFlowSid !== undefined) next.auto_studio_flow_sid = input.autoStudioFlowSid;
      if (input.autoStudioRetryCount !== undefined) next.auto_studio_retry_count = input.autoStudioRetryCount;
      await completeAutoCreation(this.deps, tx, next, service);
      const { sid: _sid, ...patch } = next;
      await addresses.update(tx, a.sid, patch);
      return next;
    });
  }

  async deleteAddress(accountSid: string, sidOrAddress: string): Promise<void> {
    await write(this.deps, async (tx) => {
      const a = await findAddress(tx, accountSid, sidOrAddress);
      await addresses.delete(tx, ['sid = ?', a.sid]);
    });
  }
}

const duplicateAddress = (a: AddressRow) =>
  invalidParameter(`An address configuration for ${a.type} address '${a.address}' already exists in this account`);

/** Addressed by IG SID or by the address itself. */
async function findAddress(db: Executor, accountSid: string, sidOrAddress: string): Promise<AddressRow> {
  const a = isSid(sidOrAddress, 'IG')
    ? await addresses.get(db, sidOrAddress, ['account_sid = ?', accountSid])
    : await addresses.first(db, ['account_sid = ?', accountSid], ['address = ?', sidOrAddress]);
  if (!a) throw notFound(`/v1/Configuration/Addresses/${sidOrAddress}`);
  return a;
}

/** The scoped webhook a conversation auto-created for this address starts with, if its auto-creation is a webhook. */
export function autoCreationWebhook(a: AddressRow): (WebhookInput & { target: 'webhook' }) | undefined {
  if (a.auto_type !== 'webhook' || !a.auto_webhook_url) return undefined;
  const filters = JSON.parse(a.auto_webhook_filters || '[]') as string[];
  return { target: 'webhook', url: a.auto_webhook_url, method: a.auto_webhook_method ?? 'post', filters: filters.length > 0 ? filters : ['onMessageAdded'] };
}

/**
 * Auto-creation must be complete for its type: a webhook needs its URL, a studio flow its SID. The
 * conversation service is any of the account's (held against deletion to the end of the
 * transaction); it defaults to the account's default.
 */
async function completeAutoCreation(deps: Deps, tx: Executor, a: AddressRow, fallback: ServiceRow): Promise<void> {
  if (a.auto_service_sid !== null && a.auto_service_sid !== fallback.sid) {
    await lockService(deps.db, tx, a.auto_service_sid, 'shared');
    await serviceIn(tx, a.account_sid, a.auto_service_sid).catch(() => {
      throw invalidParameter(`Invalid AutoCreation.ConversationServiceSid: ${a.auto_service_sid} is not a Conversation Service of this account`);
    });
  }
  if (a.auto_type === 'webhook' || a.auto_type === 'studio') a.auto_service_sid ??= fallback.sid;
  if (a.auto_type === 'webhook' && !a.auto_webhook_url) throw invalidParameter("AutoCreation.WebhookUrl is required when AutoCreation.Type is 'webhook'");
  if (a.auto_type === 'webhook') a.auto_webhook_method ??= 'post';
  if (a.auto_type === 'studio' && !a.auto_studio_flow_sid) throw invalidParameter("AutoCreation.StudioFlowSid is required when AutoCreation.Type is 'studio'");
  if (a.auto_enabled && a.auto_type === null) a.auto_type = 'default';
}
