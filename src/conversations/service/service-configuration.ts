import type { Executor } from '../../store/database.ts';
import { services, type ServiceNotifications, type ServiceRow } from '../model.ts';
import { lockService, serviceIn, write, type Deps } from './deps.ts';
import { inService, roleDefaults, roleOfType, type RoleDefaults } from './roles.ts';

export interface ServiceConfigInput {
  defaultConversationCreatorRoleSid?: string;
  defaultConversationRoleSid?: string;
  defaultChatServiceRoleSid?: string;
  reachabilityEnabled?: boolean;
}

/** Notification settings to change: only what is given changes. */
export interface NotificationsInput {
  logEnabled?: boolean;
  newMessage?: { enabled?: boolean; template?: string; sound?: string; badgeCountEnabled?: boolean; withMediaEnabled?: boolean; withMediaTemplate?: string };
  addedToConversation?: { enabled?: boolean; template?: string; sound?: string };
  removedFromConversation?: { enabled?: boolean; template?: string; sound?: string };
}

export interface ServiceWebhooksInput {
  method?: 'GET' | 'POST';
  filters?: string[];
  /** '' clears. */
  preWebhookUrl?: string;
  postWebhookUrl?: string;
}

/** A service's push notification settings: what is stored over the defaults (all off, no templates). */
export function notifications(s: ServiceRow): ServiceNotifications {
  const stored = JSON.parse(s.notifications || '{}') as Partial<ServiceNotifications>;
  return {
    log_enabled: stored.log_enabled ?? false,
    new_message: {
      enabled: stored.new_message?.enabled ?? false,
      template: stored.new_message?.template ?? null,
      sound: stored.new_message?.sound ?? null,
      badge_count_enabled: stored.new_message?.badge_count_enabled ?? false,
      with_media: { enabled: stored.new_message?.with_media?.enabled ?? false, template: stored.new_message?.with_media?.template ?? null },
    },
    added_to_conversation: { enabled: false, template: null, sound: null, ...stored.added_to_conversation },
    removed_from_conversation: { enabled: false, template: null, sound: null, ...stored.removed_from_conversation },
  };
}

/**
 * A service's Configuration, Configuration/Notifications and Configuration/Webhooks. Default role
 * SIDs name roles of the service (roles.ts reads them); push settings are stored and shown, nothing
 * is pushed; the webhooks fire (webhooks/hooks.ts says which apply).
 */
export class ServiceConfigurationService {
  constructor(private readonly deps: Deps) {}

  /** The service with the default roles in effect (its built-in roles, made on first use, until others are set). */
  async get(accountSid: string, serviceSid: string): Promise<{ service: ServiceRow; roles: RoleDefaults }> {
    const service = await serviceIn(this.deps.db, accountSid, serviceSid);
    return inService(this.deps, service, async (tx) => ({ service, roles: await roleDefaults(tx, service) }));
  }

  /** Role SIDs must name roles of this service of the right type (50100 otherwise). */
  update(accountSid: string, serviceSid: string, input: ServiceConfigInput): Promise<{ service: ServiceRow; roles: RoleDefaults }> {
    return this.change(
      accountSid,
      serviceSid,
      async (s, tx) => {
        const role = async (sid: string | undefined, type: 'conversation' | 'service') => (sid === undefined ? undefined : (await roleOfType(tx, s, sid, type)).sid);
        return {
          default_conversation_creator_role_sid: (await role(input.defaultConversationCreatorRoleSid, 'conversation')) ?? s.default_conversation_creator_role_sid,
          default_conversation_role_sid: (await role(input.defaultConversationRoleSid, 'conversation')) ?? s.default_conversation_role_sid,
          default_chat_service_role_sid: (await role(input.defaultChatServiceRoleSid, 'service')) ?? s.default_chat_service_role_sid,
          reachability_enabled: input.reachabilityEnabled ?? s.reachability_enabled,
        };
      },
      async (service, tx) => ({ service, roles: await roleDefaults(tx, service) }),
    );
  }

  updateNotifications(accountSid: string, serviceSid: string, input: NotificationsInput): Promise<ServiceRow> {
    return this.change(accountSid, serviceSid, (s) => {
      const n = notifications(s);
      const nm = input.newMessage ?? {};
      const next: ServiceNotifications = {
        log_enabled: input.logEnabled ?? n.log_enabled,
        new_message: {
          enabled: nm.enabled ?? n.new_message.enabled,
          template: nm.template ?? n.new_message.template,
          sound: nm.sound ?? n.new_message.sound,
          badge_count_enabled: nm.badgeCountEnabled ?? n.new_message.badge_count_enabled,
          with_media: { enabled: nm.withMediaEnabled ?? n.new_message.with_media.enabled, template: nm.withMediaTemplate ?? n.new_message.with_media.template },
        },
        added_to_conversation: merged(n.added_to_conversation, input.addedToConversation),
        removed_from_conversation: merged(n.removed_from_conversation, input.removedFromConversation),
      };
      return { notifications: JSON.stringify(next) };
    });
  }

  updateWebhooks(accountSid: string, serviceSid: string, input: ServiceWebhooksInput): Promise<ServiceRow> {
    return this.change(accountSid, serviceSid, (s) => ({
      webhook_method: input.method ?? s.webhook_method,
      webhook_filters: input.filters === undefined ? s.webhook_filters : JSON.stringify(input.filters),
      pre_webhook_url: input.preWebhookUrl === undefined ? s.pre_webhook_url : input.preWebhookUrl || null,
      post_webhook_url: input.postWebhookUrl === undefined ? s.post_webhook_url : input.postWebhookUrl || null,
    }));
  }

  /** One service's settings changed in one transaction, its row locked first so concurrent changes lose nothing. */
  private change<R = ServiceRow>(
    accountSid: string,
    serviceSid: string,
    patch: (s: ServiceRow, tx: Executor) => Partial<ServiceRow> | Promise<Partial<ServiceRow>>,
    result: (s: ServiceRow, tx: Executor) => Promise<R> = async (s) => s as R,
  ): Promise<R> {
    const now = this.deps.clock.now();
    return write(this.deps, async (tx) => {
      await lockService(this.deps.db, tx, serviceSid, 'shared');
      await tx.run('UPDATE conversation_services SET date_updated = ? WHERE sid = ? AND account_sid = ?', [now, serviceSid, accountSid]);
      const s = await serviceIn(tx, accountSid, serviceSid);
      const next: ServiceRow = { ...s, ...(await patch(s, tx)), date_updated: now };
      const { sid: _sid, ...columns } = next;
      await services.update(tx, s.sid, columns);
      return result(next, tx);
    });
  }
}

function merged<T extends { enabled: boolean; template: string | null; sound: string | null }>(old: T, given: { enabled?: boolean; template?: string; sound?: string } | undefined): T {
  return { ...old, enabled: given?.enabled ?? old.enabled, template: given?.template ?? old.template, sound: given?.sound ?? old.sound };
}
