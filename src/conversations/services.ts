import type { Clock } from '../core/clock.ts';
import type { Database } from '../store/database.ts';
import type { ServiceRow } from './model.ts';
import { ConfigurationService } from './service/configuration.ts';
import { ConversationService } from './service/conversations.ts';
import { CredentialService } from './service/credentials.ts';
import { requireService, type Deps } from './service/deps.ts';
import { MessageService } from './service/messages.ts';
import { ParticipantService } from './service/participants.ts';
import { RoleService } from './service/roles.ts';
import { UserConversationService } from './service/user-conversations.ts';
import { UserService } from './service/users.ts';
import { WebhookService } from './service/webhooks.ts';
import { BindingService } from './service/bindings.ts';
import { ConversationWithParticipantsService } from './service/conversation-with-participants.ts';
import { ServiceConfigurationService } from './service/service-configuration.ts';
import { ServiceService } from './service/services.ts';
import { ConversationTimers } from './timers.ts';

export type ConversationsApi = ReturnType<typeof conversationsServices>;

/**
 * Conversations v1: the services (one per resource), the state timers, and change listeners.
 * Everything that changes records its events in conversation_events (see events.ts) and calls
 * the `onChange` listeners after committing.
 */
export function conversationsServices(base: { db: Database; clock: Clock }) {
  const listeners: (() => void)[] = [];
  const deps: Deps = {
    ...base,
    changed: () => {
      for (const l of listeners) l();
    },
  };
  const timers = new ConversationTimers(base.db, base.clock, deps.changed);
  const participants = new ParticipantService(deps);
  const conversations = new ConversationService(deps);
  return {
    db: base.db,
    clock: base.clock,
    conversations,
    participants,
    users: new UserService(deps),
    userConversations: new UserConversationService(deps, participants),
    roles: new RoleService(deps),
    credentials: new CredentialService(deps),
    messages: new MessageService(deps),
    webhooks: new WebhookService(deps),
    configuration: new ConfigurationService(deps),
    services: new ServiceService(deps),
    serviceConfiguration: new ServiceConfigurationService(deps),
    bindings: new BindingService(deps),
    conversationWithParticipants: new ConversationWithParticipantsService(deps, conversations, participants),
    timers,
    /** Fires every conversation timer due now (tests move the clock, then call this). */
    tick: () => timers.tick(),
    /** Called after every committed change (new rows in conversation_events). */
    /** Tells the listeners about a change committed in another product's transaction (see `write`). */
    changed: () => deps.changed(),
    onChange(listener: () => void) {
      listeners.push(listener);
    },
    /** The service a path names (any of the account's), or the default: 404 for another account's or none. */
    requireService: (accountSid: string, serviceSid: string | undefined): Promise<ServiceRow> => requireService(deps, accountSid, serviceSid),
  };
}
