import type { RoleType } from '../core/conversations-permissions.ts';
import { Table } from '../store/table.ts';

/** Users, Roles and Credentials as stored (migration 15). Times are epoch milliseconds. */

export interface RoleRow {
  sid: string;
  account_sid: string;
  chat_service_sid: string;
  friendly_name: string;
  type: RoleType;
  /** JSON array of permission names. */
  permissions: string;
  /** The built-in role's name for the roles a service starts with; null for roles made through the API. */
  builtin: string | null;
  date_created: number;
  date_updated: number;
}

/** A chat identity in a Conversation Service; its identity is unique within the service. */
export interface UserRow {
  sid: string;
  account_sid: string;
  chat_service_sid: string;
  identity: string;
  friendly_name: string | null;
  attributes: string;
  /** A service role of the same service. */
  role_sid: string;
  date_created: number;
  date_updated: number;
}

export type PushType = 'apn' | 'gcm' | 'fcm';

/** A push credential: what it is for, never its secrets. */
export interface CredentialRow {
  sid: string;
  account_sid: string;
  friendly_name: string | null;
  type: PushType;
  sandbox: boolean;
  date_created: number;
  date_updated: number;
}

export type NotificationLevel = 'default' | 'muted';

export const roles = new Table<RoleRow>('conversation_roles');
export const users = new Table<UserRow>('conversation_users');
export const credentials = new Table<CredentialRow>('conversation_credentials', ['sandbox']);
