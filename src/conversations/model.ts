import { Table } from '../store/table.ts';

/**
 * Conversations v1 as stored: one row type and one table each. Times are epoch milliseconds;
 * lists (JSON arrays, objects) are JSON text. See migration 5 for the schema.
 */

export type ConversationState = 'initializing' | 'active' | 'inactive' | 'closed';

/**
 * A Conversation Service (IS): the container of conversations (and users, roles, bindings). An
 * account has as many as it creates; its default (conversation_config) is created on first use.
 */
export interface ServiceRow {
  sid: string;
  account_sid: string;
  friendly_name: string;
  /** Service Configuration: role SIDs as stored (null until set), and the reachability indicator. */
  default_conversation_creator_role_sid: string | null;
  default_conversation_role_sid: string | null;
  default_chat_service_role_sid: string | null;
  reachability_enabled: boolean;
  /** JSON of ServiceNotifications. */
  notifications: string;
  /** Service webhooks: when either URL is set they replace the account's for this service. */
  pre_webhook_url: string | null;
  post_webhook_url: string | null;
  webhook_method: 'GET' | 'POST';
  /** JSON array of event names. */
  webhook_filters: string;
  date_created: number;
  date_updated: number;
}

/** A service's push notification settings (Configuration/Notifications), stored as JSON. */
export interface ServiceNotifications {
  log_enabled: boolean;
  new_message: {
    enabled: boolean;
    template: string | null;
    sound: string | null;
    badge_count_enabled: boolean;
    with_media: { enabled: boolean; template: string | null };
  };
  added_to_conversation: { enabled: boolean; template: string | null; sound: string | null };
  removed_from_conversation: { enabled: boolean; template: string | null; sound: string | null };
}

export type PushBindingType = 'apn' | 'gcm' | 'fcm' | 'twilsock';

/** A push binding of a service (BS): one device address of one identity, as the SDK registers it. */
export interface BindingRow {
  sid: string;
  account_sid: string;
  chat_service_sid: string;
  credential_sid: string | null;
  endpoint: string;
  identity: string;
  binding_type: PushBindingType;
  /** The push token (registration id); not shown by the API, unique per service and type. */
  address: string;
  /** JSON array of message types (new_message, added_to_conversation, ...). */
  message_types: string;
  date_created: number;
  date_updated: number;
}

/** Account-level configuration: defaults for new conversations and the account's webhook settings. */
export interface ConfigRow {
  account_sid: string;
  default_chat_service_sid: string;
  default_messaging_service_sid: string | null;
  /** ISO 8601 durations as given; null, or a zero duration, means none. */
  default_inactive_timer: string | null;
  default_closed_timer: string | null;
  webhook_method: 'GET' | 'POST';
  /** JSON array of event names. */
  webhook_filters: string;
  pre_webhook_url: string | null;
  post_webhook_url: string | null;
  webhook_target: 'webhook' | 'flex';
  date_created: number;
  date_updated: number;
}

export interface ConversationRow {
  sid: string;
  account_sid: string;
  chat_service_sid: string;
  messaging_service_sid: string | null;
  friendly_name: string | null;
  unique_name: string | null;
  attributes: string;
  state: ConversationState;
  /** The durations as given (ISO 8601), null when not set. */
  timer_inactive: string | null;
  timer_closed: string | null;
  /** When the timers move (or moved) the state: last activity + duration. */
  date_inactive: number | null;
  date_closed: number | null;
  /** Email binding: JSON {"address","name"} or null. */
  email_address: string | null;
  email_name: string | null;
  created_by: string | null;
  /** Index the next message gets (0, 1, 2, ... per conversation; never reused). */
  next_message_index: number;
  date_created: number;
  date_updated: number;
}

export interface ParticipantRow {
  sid: string;
  account_sid: string;
  conversation_sid: string;
  identity: string | null;
  /** Messaging binding: the participant's own address, the Twilio-side proxy, the group-MMS projection. */
  address: string | null;
  proxy_address: string | null;
  projected_address: string | null;
  /** sms, whatsapp, messenger, rcs, ... when the participant has a binding. */
  binding_type: string | null;
  /** 1 while the conversation is not closed: (address, proxy_address) is unique among open ones. */
  binding_open: boolean;
  attributes: string;
  role_sid: string | null;
  last_read_message_index: number | null;
  last_read_timestamp: string | null;
  date_created: number;
  date_updated: number;
}

export interface MediaEntry {
  sid: string;
  size: number | null;
  content_type: string | null;
  filename: string | null;
  [key: string]: unknown;
}

export interface MessageRow {
  sid: string;
  account_sid: string;
  conversation_sid: string;
  message_index: number;
  author: string;
  body: string | null;
  attributes: string;
  /** JSON array of MediaEntry, or null. */
  media: string | null;
  participant_sid: string | null;
  content_sid: string | null;
  content_variables: string | null;
  subject: string | null;
  date_created: number;
  date_updated: number;
}

export type ReceiptStatus = 'sent' | 'delivered' | 'read' | 'failed' | 'undelivered';

/** Delivery and read receipt of one message for one non-chat participant (written by the outbound gateway). */
export interface ReceiptRow {
  sid: string;
  account_sid: string;
  conversation_sid: string;
  message_sid: string;
  participant_sid: string;
  channel_message_sid: string | null;
  status: ReceiptStatus;
  error_code: number;
  date_created: number;
  date_updated: number;
}

export type WebhookTarget = 'webhook' | 'trigger' | 'studio';

export interface WebhookRow {
  sid: string;
  account_sid: string;
  conversation_sid: string;
  target: WebhookTarget;
  url: string | null;
  method: 'get' | 'post' | null;
  /** JSON arrays. */
  filters: string;
  triggers: string;
  flow_sid: string | null;
  replay_after: number | null;
  /** The conversation's last event when the webhook was added: it hears only later ones (null: all). */
  after_seq: number | null;
  date_created: number;
  date_updated: number;
}

export interface AddressRow {
  sid: string;
  account_sid: string;
  type: string;
  address: string;
  friendly_name: string | null;
  address_country: string | null;
  auto_enabled: boolean;
  auto_type: 'webhook' | 'studio' | 'default' | null;
  auto_service_sid: string | null;
  auto_webhook_url: string | null;
  auto_webhook_method: 'get' | 'post' | null;
  /** JSON array. */
  auto_webhook_filters: string;
  auto_studio_flow_sid: string | null;
  auto_studio_retry_count: number | null;
  date_created: number;
  date_updated: number;
}

export const services = new Table<ServiceRow>('conversation_services', ['reachability_enabled']);
export const bindings = new Table<BindingRow>('conversation_bindings');
export const conversations = new Table<ConversationRow>('conversations');
export const participants = new Table<ParticipantRow>('conversation_participants', ['binding_open']);
export const messages = new Table<MessageRow>('conversation_messages');
export const receipts = new Table<ReceiptRow>('conversation_receipts');
export const webhooks = new Table<WebhookRow>('conversation_webhooks');
export const addresses = new Table<AddressRow>('conversation_addresses', ['auto_enabled']);
