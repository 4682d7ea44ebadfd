import type { ChannelType, InitiatedBy } from './model.ts';
import { isObject } from './plan.ts';

/**
 * The attributes of a task routed for an interaction channel, as Flex reads them: the caller's
 * own attributes, then the keys that tie the task to its interaction (which the caller cannot
 * override, or the task would lose its way back to the channel). Pure.
 */
export interface TaskAttributeInput {
  interactionSid: string;
  channelSid: string;
  inviteSid: string;
  conversationSid: string;
  channelType: ChannelType;
  /** Left out for invites and transfers, as Flex does: only the interaction's first task says who started it. */
  initiatedBy?: InitiatedBy;
  customer: { name?: string; address?: string };
  caller: Record<string, unknown>;
  /** More keys of our own (a transfer's target, say). */
  extra?: Record<string, unknown>;
}

export function taskAttributes(i: TaskAttributeInput): Record<string, unknown> {
  const customers: Record<string, unknown> = {};
  const address = i.customer.address;
  if (address !== undefined) {
    if (i.channelType === 'email') customers.email = address;
    else if (i.channelType === 'chat' || i.channelType === 'web') customers.identity = address;
    else customers.phone = address;
  }
  if (i.customer.name !== undefined) customers.name = i.customer.name;
  const callerConversations = isObject(i.caller.conversations) ? i.caller.conversations : {};
  const conversations: Record<string, unknown> = {
    ...callerConversations,
    conversation_id: i.interactionSid,
    media: [{ type: 'ChatTranscript', sid: i.conversationSid }],
  };
  if (i.initiatedBy) conversations.initiated_by = i.initiatedBy;
  const out: Record<string, unknown> = {
    customerAddress: address,
    customerName: i.customer.name ?? address,
    ...i.caller,
    customers: isObject(i.caller.customers) ? { ...customers, ...i.caller.customers } : customers,
    ...i.extra,
    flexInteractionSid: i.interactionSid,
    flexInteractionChannelSid: i.channelSid,
    flexChannelInviteSid: i.inviteSid,
    conversationSid: i.conversationSid,
    channelType: i.channelType,
    conversations,
  };
  if (i.initiatedBy) {
    out.initiatedBy = i.initiatedBy;
    out.direction = i.initiatedBy === 'agent' ? 'outbound' : 'inbound';
  }
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out;
}

/** Keys a transfer's task does not take over from the task it transfers: the tie to the old invite, who started the interaction, the old wrap-up. */
const NOT_CARRIED = new Set([
  'flexInteractionSid', 'flexInteractionChannelSid', 'flexChannelInviteSid', 'conversationSid', 'channelType',
  'initiatedBy', 'direction', 'transferSid', 'transferType', 'transferTarget', 'transferredFrom', 'disposition', 'conversations',
]);

/**
 * What a transfer's task carries over from the task it transfers, as Flex copies the original task's
 * attributes: who the customer is (customerName, customers, pre_engagement_data...) and the caller's
 * own keys, under whatever the transfer itself is given. Pure.
 */
export function carriedAttributes(from: Record<string, unknown>, given: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(from)) if (!NOT_CARRIED.has(k)) out[k] = v;
  return { ...out, ...given };
}
