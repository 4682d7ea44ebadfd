import type { AddressRow } from '../../conversations/model.ts';
import type { Flex } from '../../flex/services.ts';
import type { Log } from '../../ops/logger.ts';
import type { Executor } from '../../store/database.ts';
import { workspaces } from '../../taskrouter/model.ts';

/**
 * What a new conversation of an email address becomes, by the address's AutoCreation.Type:
 * `webhook`, the conversation's scoped webhook (its receiver routes it, as on Twilio); `studio`,
 * a customer-initiated `email` interaction, as Flex's Send to Flex widget makes one (there is no
 * Studio here): routed into the account's only workspace by its only workflow, on the `email`
 * task channel when the workspace has one; `default`, the conversation alone.
 */
export const routesToFlex = (address: AddressRow) => address.auto_type === 'studio';

/** The workspace a Studio address's mail is routed in: the account's only one (none when it has none or several). */
export async function flexWorkspace(db: Executor, accountSid: string): Promise<string | undefined> {
  const found = await workspaces.list(db, { where: [['account_sid = ?', accountSid]], limit: 2 });
  return found.length === 1 ? found[0].sid : undefined;
}

export async function routeToFlex(
  flex: Flex,
  log: Log,
  route: { accountSid: string; workspaceSid: string; conversationSid: string; customer: string },
): Promise<void> {
  try {
    const view = await flex.interactions.create(route.accountSid, {
      channel: { type: 'email', initiated_by: 'customer', properties: { media_channel_sid: route.conversationSid } },
      routing: { properties: { workspace_sid: route.workspaceSid, attributes: { from: route.customer } } },
    });
    if (view.channel.status === 'failed')
      log.error({ conversationSid: route.conversationSid, interactionSid: view.interaction.sid, error: view.channel.error_message }, 'an email conversation could not be routed');
  } catch (err) {
    // The mail is in its conversation already; what failed is routing it, which the log tells the operator.
    log.error({ err, conversationSid: route.conversationSid }, 'an email conversation could not be routed');
  }
}
