import type { Product } from '../http/context.ts';
import { channelRoutes } from './http/channels.ts';
import { interactionRoutes } from './http/interactions.ts';
import { inviteRoutes } from './http/invites.ts';
import { participantRoutes } from './http/participants.ts';
import { transferRoutes } from './http/transfers.ts';
import { webChatRoutes } from './http/webchats.ts';
import type { Flex } from './services.ts';

/** Flex v1 Interactions and v2 WebChats as an HTTP product: flex-api.twilio.com, or /flex-api on this server. */
export function flexProduct(flex: Flex): Product {
  return {
    name: 'flex-api',
    routes: [...interactionRoutes(flex), ...channelRoutes(flex), ...inviteRoutes(flex), ...participantRoutes(flex), ...transferRoutes(flex), ...webChatRoutes(flex)],
  };
}
