import { Table } from '../store/table.ts';

/**
 * Flex Interactions as stored (migration 8). Times are epoch milliseconds; JSON objects are text.
 * An interaction has one channel; every task routed for the channel has one invite row, which is
 * how a TaskRouter event finds its way back to the channel.
 */

export const CHANNEL_TYPES = ['sms', 'whatsapp', 'web', 'chat', 'email', 'messenger', 'gbm'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];
export type InitiatedBy = 'customer' | 'agent' | 'api';
export type ChannelStatus = 'setup' | 'active' | 'failed' | 'closed' | 'inactive';
export type ParticipantType = 'supervisor' | 'customer' | 'external' | 'agent' | 'unknown';
export type ParticipantStatus = 'active' | 'wrapup' | 'closed';
export type TransferType = 'warm' | 'cold';
export type TransferStatus = 'active' | 'failed' | 'completed';

export interface InteractionRow {
  sid: string;
  account_sid: string;
  channel_sid: string;
  interaction_context_sid: string | null;
  webhook_ttid: string | null;
  date_created: number;
  date_updated: number;
}

export interface ChannelRow {
  sid: string;
  account_sid: string;
  interaction_sid: string;
  type: ChannelType;
  initiated_by: InitiatedBy;
  status: ChannelStatus;
  error_code: number | null;
  error_message: string | null;
  conversation_sid: string | null;
  workspace_sid: string | null;
  /** While status is 'setup': the validated request (a SetupPlan), so a restart can finish it. */
  setup: string | null;
  date_created: number;
  date_updated: number;
}

export interface InviteRow {
  sid: string;
  account_sid: string;
  interaction_sid: string;
  channel_sid: string;
  workspace_sid: string;
  task_sid: string;
  /** Set when the task was made for a transfer. */
  transfer_sid: string | null;
  /** JSON: the Routing object as given. */
  routing: string;
  date_created: number;
}

export interface ParticipantRow {
  sid: string;
  account_sid: string;
  interaction_sid: string;
  channel_sid: string;
  type: ParticipantType;
  status: ParticipantStatus;
  media_properties: string | null;
  routing_properties: string | null;
  /** The Conversations participant (MB) standing for it in the conversation, while it is there. */
  conversation_participant_sid: string | null;
  worker_sid: string | null;
  task_sid: string | null;
  date_created: number;
  date_updated: number;
}

export interface TransferRow {
  sid: string;
  account_sid: string;
  interaction_sid: string;
  channel_sid: string;
  type: TransferType;
  status: TransferStatus;
  from_participant: string;
  to_target: string;
  task_sid: string | null;
  date_created: number;
  date_updated: number;
}

export const interactions = new Table<InteractionRow>('interactions');
export const channels = new Table<ChannelRow>('interaction_channels');
export const invites = new Table<InviteRow>('interaction_invites');
export const participants = new Table<ParticipantRow>('interaction_participants');
export const transfers = new Table<TransferRow>('interaction_transfers');
