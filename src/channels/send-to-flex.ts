import type { AddressRow } from '../conversations/model.ts';
import type { InboundOutcome } from '../conversations/gateway/inbound.ts';
import type { Flex } from '../flex/services.ts';
import type { ChannelType } from '../flex/model.ts';
import type { Log } from '../ops/logger.ts';
import type { Executor } from '../store/database.ts';
import { workspaces } from '../taskrouter/model.ts';

/**
 * What a new conversation of an address becomes, by the address's AutoCreation.Type: `webhook`,
 * the conversation's scoped webhook (its receiver routes it, as on Twilio); `studio`, a
 * customer-initiated interaction of the address's channel, as Flex's Send to Flex widget makes one
 * (there is no Studio here): routed into the account's only workspace by its only workflow;
 * `default`, the conversation alone. The same for every channel: SMS, WhatsApp, Messenger, email.
 */
export const routesToFlex = (address: AddressRow) => address.auto_type === 'studio';

/** The workspace a Studio address's conversations are routed in: the account's only one (none when it has none or several). */
export async function flexWorkspace(db: Executor, accountSid: string): Promise<string | undefined> {
  const found = await workspaces.list(db, { where: [['account_sid = ?', accountSid]], limit: 2 });
  return found.length === 1 ? found[0].sid : undefined;
}

export async function sendToFlex(
  flex: Flex,
  log: Log,
  route: { accountSid: string; workspaceSid: string; conversationSid: string; channelType: ChannelType; attributes: Record<string, unknown> },
): Promise<void> {
  try {
    const view = await flex.interactions.create(route.accountSid, {
      channel: { type: route.channelType, initiated_by: 'customer', properties: { media_channel_sid: route.conversationSid } },
      routing: { properties: { workspace_sid: route.workspaceSid, attributes: route.attributes } },
    });
    if (view.channel.status === 'failed')
      log.error({ conversationSid: route.conversationSid, interactionSid: view.interaction.sid, error: view.channel.error_message }, 'a conversation could not be sent to Flex');
  } catch (err) {
    // The message is in its conversation already; what failed is routing it, which the log tells the operator.
    log.error({ err, conversationSid: route.conversationSid }, 'a conversation could not be sent to Flex');
  }
}

/** The channel type of a messaging address as Flex names it (gbm is never routed: nothing can answer it). */
function channelTypeOf(address: string): ChannelType | undefined {
  if (/^whatsapp:/i.test(address)) return 'whatsapp';
  if (/^messenger:/i.test(address)) return 'messenger';
  if (/^gbm:/i.test(address)) return undefined;
  return 'sms';
}

/**
 * After the messaging gateway (Twilio-shaped, or Meta's) landed a message: a conversation it
 * started for a Studio address goes to Flex, its sender named as the customer.
 */
export function studioRouting(deps: { db: Executor; flex: Flex; log: Log }) {
  return async (accountSid: string, outcome: InboundOutcome, sender: { address: string; name?: string }): Promise<void> => {
    if (outcome.result !== 'created' || !routesToFlex(outcome.address)) return;
    const channelType = channelTypeOf(sender.address);
    if (!channelType) return;
    const workspaceSid = await flexWorkspace(deps.db, accountSid);
    if (!workspaceSid) {
      deps.log.error({ address: outcome.address.address, accountSid, conversationSid: outcome.conversationSid }, "a Studio address's conversations go to the account's only workspace, and the account has none or several: this one was not routed");
      return;
    }
    await sendToFlex(deps.flex, deps.log, {
      accountSid,
      workspaceSid,
      conversationSid: outcome.conversationSid,
      channelType,
      attributes: sender.name ? { customerName: sender.name } : {},
    });
  };
}
