import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Clock } from '../core/clock.ts';
import type { Database } from '../store/database.ts';
import type { ConversationsApi } from '../conversations/services.ts';
import type { DeliveryAdapter } from '../conversations/gateway/outbound.ts';
import type { Flex } from '../flex/services.ts';

/** What a channel gateway is given: the app for its webhooks, the services it lands messages in. */
export interface ChannelDeps {
  app: FastifyInstance;
  db: Database;
  clock: Clock;
  conversations: ConversationsApi;
  flex: Flex;
  log: FastifyBaseLogger;
}

/**
 * A gateway between Conversations and a real channel (email, Messenger, WhatsApp Cloud API):
 * inbound through its own listener or webhook routes (registered when it is made), outbound
 * through its delivery adapter, tried before the HTTP adapter of SWITCHYARD_OUTBOUND_URL(S).
 */
export interface Channel {
  readonly name: string;
  adapter?: DeliveryAdapter;
  /** Starts listening (an SMTP port); called once the server is wired. */
  start?(): Promise<void>;
  /** Stops listening and finishes what it accepted; called before the store closes. */
  close?(): Promise<void>;
}

export type ChannelFactory = (deps: ChannelDeps) => Channel;
