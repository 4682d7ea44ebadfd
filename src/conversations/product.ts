import type { Product } from '../http/context.ts';
import { bindingRoutes } from './http/bindings.ts';
import { configurationRoutes } from './http/configuration.ts';
import { conversationWithParticipantsRoutes } from './http/conversation-with-participants.ts';
import { credentialRoutes } from './http/credentials.ts';
import { conversationRoutes } from './http/conversations.ts';
import { messageRoutes } from './http/messages.ts';
import { participantRoutes } from './http/participants.ts';
import { roleRoutes } from './http/roles.ts';
import { serviceConfigurationRoutes } from './http/service-configuration.ts';
import { serviceRoutes } from './http/services.ts';
import { userConversationRoutes } from './http/user-conversations.ts';
import { userRoutes } from './http/users.ts';
import { webhookRoutes } from './http/webhooks.ts';
import type { ConversationsApi } from './services.ts';
import { withPreEvents } from './webhooks/pre-event.ts';

/** Conversations v1 as an HTTP product: conversations.twilio.com, or /conversations on this server. */
export function conversationsProduct(api: ConversationsApi): Product {
  return {
    name: 'conversations',
    routes: withPreEvents(api.db, [
      ...configurationRoutes(api),
      ...serviceRoutes(api),
      ...serviceConfigurationRoutes(api),
      ...bindingRoutes(api),
      ...conversationWithParticipantsRoutes(api),
      ...conversationRoutes(api),
      ...participantRoutes(api),
      ...messageRoutes(api),
      ...webhookRoutes(api),
      ...userRoutes(api),
      ...userConversationRoutes(api),
      ...roleRoutes(api),
      ...credentialRoutes(api),
    ]),
  };
}
