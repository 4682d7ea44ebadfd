import { randomBytes } from 'node:crypto';
import { TwilioError, invalidParameter } from '../../core/errors.ts';
import { isSid } from '../../core/sid.ts';
import { addresses, type WebhookTarget } from '../../conversations/model.ts';
import { autoCreationWebhook } from '../../conversations/service/configuration.ts';
import type { Cause } from '../../conversations/service/deps.ts';
import type { WebhookInput } from '../../conversations/service/webhooks.ts';
import { workspaces } from '../../taskrouter/model.ts';
import { parseRouting } from '../plan.ts';
import { FLEX, type FlexDeps } from './deps.ts';
import { checkReferences, type InteractionService } from './interactions.ts';

/** Web chat customers get identities of their own, so their tokens can never be an agent's. */
export const GUEST_PREFIX = 'guest-';

export const guestIdentity = () => GUEST_PREFIX + randomBytes(12).toString('hex');

/** A customer's web chat, however it was asked for (our widgets, Flex's /v2/WebChats). */
export interface CustomerChat {
  identity: string;
  /** The participant's `friendlyName` attribute, and so the task's customerName. */
  customerName?: string;
  conversation: { friendlyName?: string; attributes: Record<string, unknown>; chatServiceSid?: string };
  /** Routing.properties of the `web` interaction; none when the conversation's webhook routes the chat. */
  routing?: Record<string, unknown>;
  webhook?: WebhookInput & { target: WebhookTarget };
  cause: Cause;
}

/** POST /v2/WebChats, validated. */
export interface WebChatInput {
  addressSid: string;
  chatFriendlyName?: string;
  customerFriendlyName?: string;
  preEngagementData?: Record<string, unknown>;
  identity?: string;
}

/** A name that becomes the task's `from`, as Flex's Chat Flow sets it. */
const MAX_NAME = 256;

export class WebChatService {
  constructor(
    private readonly deps: FlexDeps,
    private readonly interactions: InteractionService,
  ) {}

  /**
   * A conversation with the customer in it (one transaction), then what routes it: a customer-
   * initiated `web` interaction, or the webhook given. The routing is checked before anything is
   * written; if routing fails after all, the conversation is removed again.
   */
  async start(accountSid: string, chat: CustomerChat): Promise<{ conversationSid: string; interactionSid: string | null }> {
    if (chat.routing) await checkReferences(this.deps.db, accountSid, parseRouting({ properties: chat.routing }, 'Routing'));
    const api = this.deps.conversations;
    const { friendlyName, attributes, chatServiceSid } = chat.conversation;
    const c = await this.deps.db.transaction(async (tx) => {
      const c = await api.conversations.create(accountSid, { friendlyName, attributes: JSON.stringify(attributes), chatServiceSid }, chat.cause, tx);
      const named = chat.customerName === undefined ? {} : { friendlyName: chat.customerName };
      await api.participants.create(accountSid, c.sid, { identity: chat.identity, attributes: JSON.stringify(named) }, chat.cause, tx);
      return c;
    });
    api.changed();
    try {
      if (chat.webhook) await api.webhooks.create(accountSid, c.sid, chat.webhook);
      if (!chat.routing) return { conversationSid: c.sid, interactionSid: null };
      const view = await this.interactions.create(accountSid, {
        channel: { type: 'web', initiated_by: 'customer', properties: { media_channel_sid: c.sid } },
        routing: { properties: chat.routing },
      });
      if (view.channel.status === 'failed')
        throw new TwilioError(view.channel.error_code ?? 20001, 400, `The chat could not be started: ${view.channel.error_message ?? 'routing failed'}`);
      return { conversationSid: c.sid, interactionSid: view.interaction.sid };
    } catch (err) {
      await api.conversations.delete(accountSid, c.sid, { source: chat.cause.source, webhooksEnabled: false }).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Flex's web chat for a `chat` address. A webhook address gets its webhook on the conversation
   * and the receiver routes, as on Twilio. A Studio address is routed here, as the Send to Flex of
   * Flex's Chat Flow would (there is no Studio): into the account's only workspace and its only
   * workflow, on the `chat` task channel, with `from` set to the customer's name.
   */
  async create(accountSid: string, input: WebChatInput): Promise<{ conversationSid: string; identity: string }> {
    const sid = input.addressSid;
    const address = isSid(sid, 'IG') ? await addresses.get(this.deps.db, sid, ['account_sid = ?', accountSid]) : undefined;
    if (!address) throw invalidParameter(`Invalid AddressSid parameter: Address Configuration ${sid} was not found`);
    if (address.type !== 'chat') throw invalidParameter(`Invalid AddressSid parameter: Address Configuration ${sid} is a '${address.type}' address; a web chat needs a 'chat' address`);
    const webhook = autoCreationWebhook(address);
    if (!address.auto_enabled || (address.auto_type !== 'studio' && !webhook))
      throw invalidParameter(`Invalid AddressSid parameter: Address Configuration ${sid} has no Flex integration: a web chat needs AutoCreation enabled, of type studio or webhook`);

    const pre = input.preEngagementData;
    const from = typeof pre?.friendlyName === 'string' ? pre.friendlyName : input.customerFriendlyName;
    if (from !== undefined && from.length > MAX_NAME) throw invalidParameter(`Invalid PreEngagementData parameter: friendlyName is longer than ${MAX_NAME} characters`);
    const routing = address.auto_type === 'studio' ? { workspace_sid: await this.onlyWorkspace(accountSid, sid), attributes: from ? { from } : {} } : undefined;
    const identity = input.identity ?? guestIdentity();
    const chat: CustomerChat = {
      identity,
      customerName: input.customerFriendlyName,
      conversation: { friendlyName: input.chatFriendlyName, attributes: pre ? { pre_engagement_data: pre } : {}, chatServiceSid: address.auto_service_sid ?? undefined },
      routing,
      webhook,
      cause: FLEX,
    };
    const started = await this.start(accountSid, chat).catch((err) => {
      if (err instanceof TwilioError && err.code === 20001 && /Routing/.test(err.message))
        throw invalidParameter(`Invalid AddressSid parameter: Address Configuration ${sid} cannot route chats: ${err.message}`);
      throw err;
    });
    return { conversationSid: started.conversationSid, identity };
  }

  private async onlyWorkspace(accountSid: string, addressSid: string): Promise<string> {
    const found = await workspaces.list(this.deps.db, { where: [['account_sid = ?', accountSid]], limit: 2 });
    if (found.length !== 1)
      throw invalidParameter(
        `Invalid AddressSid parameter: Address Configuration ${addressSid} cannot route chats: a Studio address's chats go to the account's only workspace, and this account has ${found.length === 0 ? 'none' : 'more than one'}`,
      );
    return found[0].sid;
  }
}
