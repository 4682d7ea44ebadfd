import { TwilioError } from '../../core/errors.ts';
import { conversations as conversationRows, participants, type AddressRow, type MediaEntry } from '../../conversations/model.ts';
import { attachMedia, insertMedia } from '../../conversations/sdk/media/store.ts';
import { autoCreationWebhook } from '../../conversations/service/configuration.ts';
import type { Cause } from '../../conversations/service/deps.ts';
import { preEvent } from '../../conversations/webhooks/pre-event.ts';
import type { Executor } from '../../store/database.ts';
import type { ChannelDeps } from '../channel.ts';
import type { InboundMail } from './parse.ts';
import { contentOf, type Content } from './content.ts';
import { noNewConversations, notRoutable, refusedByWebhook } from './replies.ts';
import { flexWorkspace, routesToFlex, sendToFlex } from '../send-to-flex.ts';
import { isKnown, recordMessageId, senderConversation, threadConversation } from './threads.ts';

const GATEWAY: Cause = { source: 'gateway', webhooksEnabled: true };

export type Landed = { result: 'added' | 'created'; conversationSid: string; messageSid: string } | { result: 'duplicate' };

/**
 * Lands one mail for one receiving address: in the open conversation of its thread (In-Reply-To,
 * then References), else the newest open conversation of this address the sender is in, else a new
 * conversation as the address's auto-creation says (refused when it has none). A mail whose
 * Message-ID is already known (sent twice) lands once. Throws an SmtpReply to refuse it.
 */
export async function landMail(deps: ChannelDeps, address: AddressRow, sender: { address: string; name: string | null }, mail: InboundMail): Promise<Landed> {
  const { db } = deps;
  const account = address.account_sid;
  if (mail.messageId && (await isKnown(db, account, mail.messageId))) return { result: 'duplicate' };
  const content = contentOf(mail);
  const existing = (await threadConversation(db, account, mail.thread)) ?? (await senderConversation(db, account, sender.address, address.address));
  if (existing) return { result: 'added', conversationSid: existing, messageSid: await addMessage(deps, account, existing, sender, mail, content) };

  if (!address.auto_enabled) throw noNewConversations(address.address);
  const workspaceSid = routesToFlex(address) ? await flexWorkspace(db, account) : undefined;
  if (routesToFlex(address) && !workspaceSid) {
    deps.log.error({ address: address.address, accountSid: account }, "a Studio email address's mail goes to the account's only workspace, and the account has none or several: mail is deferred");
    throw notRoutable(address.address);
  }
  const chatServiceSid = address.auto_service_sid ?? undefined;
  await refusable(() =>
    preEvent(db, account, 'onConversationAdd', { Source: 'EMAIL', ChatServiceSid: chatServiceSid, 'MessagingBinding.Address': sender.address }),
  );
  const conversation = await db.transaction(async (tx) => {
    const c = await deps.conversations.conversations.create(
      account,
      { chatServiceSid, friendlyName: content.subject?.slice(0, 256), emailAddress: address.address, emailName: address.friendly_name ?? undefined },
      GATEWAY,
      tx,
    );
    await addSender(deps, tx, account, c.sid, sender);
    return c;
  });
  deps.conversations.changed();
  let messageSid: string;
  try {
    // Before the message: the scoped webhook hears the events that come after it is added.
    const webhook = autoCreationWebhook(address);
    if (webhook) await deps.conversations.webhooks.create(account, conversation.sid, webhook);
    messageSid = await addMessage(deps, account, conversation.sid, sender, mail, content);
  } catch (err) {
    await deps.conversations.conversations.delete(account, conversation.sid, { source: 'gateway', webhooksEnabled: false }).catch(() => undefined);
    throw err;
  }
  if (workspaceSid)
    await sendToFlex(deps.flex, deps.log, { accountSid: account, workspaceSid, conversationSid: conversation.sid, channelType: 'email', attributes: { from: sender.name ?? sender.address } });
  return { result: 'created', conversationSid: conversation.sid, messageSid };
}

/** The message (with its media and Message-ID) in one transaction; the sender joins first if not there. */
async function addMessage(deps: ChannelDeps, account: string, conversationSid: string, sender: { address: string; name: string | null }, mail: InboundMail, content: Content): Promise<string> {
  await refusable(() =>
    preEvent(deps.db, account, 'onMessageAdd', { Source: 'EMAIL', ConversationSid: conversationSid, Author: sender.address, Body: content.body, Subject: content.subject ?? undefined }),
  );
  const now = deps.clock.now();
  const sid = await deps.db.transaction(async (tx) => {
    const c = await conversationRows.get(tx, conversationSid);
    if (!c) throw new Error(`Conversation ${conversationSid} is gone`);
    if (!(await participants.first(tx, ['conversation_sid = ?', c.sid], ['lower(address) = ?', sender.address]))) await addSender(deps, tx, account, c.sid, sender);
    const media: MediaEntry[] = [];
    for (const part of content.parts) {
      const row = await insertMedia(
        tx,
        { account_sid: account, chat_service_sid: c.chat_service_sid, author: sender.address, category: part.category, content_type: part.contentType, filename: part.filename, size: part.content.length, date_created: now },
        part.content,
      );
      media.push({ sid: row.sid, size: row.size, content_type: row.content_type, filename: row.filename, category: part.category });
    }
    const view = await deps.conversations.messages.create(account, c.sid, { author: sender.address, body: content.body || undefined, subject: content.subject ?? undefined, media }, GATEWAY, tx);
    await attachMedia(tx, media.map((m) => m.sid), c.sid, view.message.sid);
    if (mail.messageId)
      await recordMessageId(tx, {
        account_sid: account,
        message_id: mail.messageId,
        conversation_sid: c.sid,
        message_sid: view.message.sid,
        direction: 'inbound',
        recipients: JSON.stringify(mail.recipients),
        date_created: now,
      });
    return view.message.sid;
  });
  deps.conversations.changed();
  return sid;
}

async function addSender(deps: ChannelDeps, tx: Executor, account: string, conversationSid: string, sender: { address: string; name: string | null }): Promise<void> {
  // Twilio's email participant: the address alone (no proxy address); the name as its friendlyName, as Flex sets it.
  const attributes = JSON.stringify(sender.name ? { friendlyName: sender.name } : {});
  await deps.conversations.participants.create(account, conversationSid, { address: sender.address, attributes }, GATEWAY, tx);
}

/** A pre-event webhook's refusal (Twilio's 50057) refuses the mail; anything else goes on up. */
async function refusable(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof TwilioError && err.code === 50057) throw refusedByWebhook();
    throw err;
  }
}
