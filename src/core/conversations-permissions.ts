/**
 * Conversations roles and permissions, as Twilio names them. A User holds a service role; a
 * Participant holds a conversation role in its conversation. An action is allowed when either
 * role grants its permission (or the "any" permission that covers it). Pure: no I/O.
 */

export type RoleType = 'service' | 'conversation';

export const SERVICE_PERMISSIONS = [
  'addParticipant',
  'createConversation',
  'deleteAnyMessage',
  'deleteConversation',
  'editAnyMessage',
  'editAnyMessageAttributes',
  'editAnyParticipantAttributes',
  'editAnyUserInfo',
  'editConversationAttributes',
  'editConversationName',
  'editOwnMessage',
  'editOwnMessageAttributes',
  'editOwnParticipantAttributes',
  'editOwnUserInfo',
  'joinConversation',
  'removeParticipant',
] as const;

export const CONVERSATION_PERMISSIONS = [
  'addNonChatParticipant',
  'addParticipant',
  'deleteAnyMessage',
  'deleteConversation',
  'deleteOwnMessage',
  'editAnyMessage',
  'editAnyMessageAttributes',
  'editAnyParticipantAttributes',
  'editConversationAttributes',
  'editConversationName',
  'editNotificationLevel',
  'editOwnMessage',
  'editOwnMessageAttributes',
  'editOwnParticipantAttributes',
  'leaveConversation',
  'removeParticipant',
  'sendMediaMessage',
  'sendMessage',
] as const;

export type Permission = (typeof SERVICE_PERMISSIONS)[number] | (typeof CONVERSATION_PERMISSIONS)[number];

const BY_TYPE: Record<RoleType, readonly string[]> = { service: SERVICE_PERMISSIONS, conversation: CONVERSATION_PERMISSIONS };

export function isPermission(value: string): value is Permission {
  return BY_TYPE.service.includes(value) || BY_TYPE.conversation.includes(value);
}

/** The first permission a role of this type cannot hold, if any (names are case-sensitive, as Twilio's). */
export function unknownPermission(type: RoleType, permissions: readonly string[]): string | undefined {
  return permissions.find((p) => !BY_TYPE[type].includes(p));
}

/** What an "any" permission also covers: editing or deleting anyone's includes one's own. */
const COVERED_BY: Partial<Record<Permission, Permission>> = {
  editOwnMessage: 'editAnyMessage',
  editOwnMessageAttributes: 'editAnyMessageAttributes',
  deleteOwnMessage: 'deleteAnyMessage',
  editOwnParticipantAttributes: 'editAnyParticipantAttributes',
  editOwnUserInfo: 'editAnyUserInfo',
};

/** Whether the granted permissions (a user's service role and participant's conversation role together) allow the action. */
export function allowed(granted: readonly string[], action: Permission): boolean {
  if (granted.includes(action)) return true;
  const wider = COVERED_BY[action];
  return wider !== undefined && granted.includes(wider);
}

/** Which built-in role fills which default of a service (see BUILTIN_ROLES). */
export type DefaultRoleKind = 'chatServiceRole' | 'conversationRole' | 'conversationCreatorRole';

export interface BuiltinRole {
  friendlyName: string;
  type: RoleType;
  permissions: readonly Permission[];
  /** The service default this role is unless the service's configuration names another. */
  defaultFor?: DefaultRoleKind;
}

/**
 * The roles every Conversation Service starts with. The names are Twilio's (a Conversations
 * service keeps Programmable Chat's "service admin", "service user", "channel admin", "channel
 * user"); the permissions are Chat's defaults in Conversations' names.
 */
export const BUILTIN_ROLES: readonly BuiltinRole[] = [
  {
    friendlyName: 'service admin',
    type: 'service',
    permissions: [
      'createConversation',
      'joinConversation',
      'deleteConversation',
      'addParticipant',
      'removeParticipant',
      'editConversationName',
      'editConversationAttributes',
      'editAnyMessage',
      'editAnyMessageAttributes',
      'deleteAnyMessage',
      'editAnyParticipantAttributes',
      'editAnyUserInfo',
      'editOwnUserInfo',
    ],
  },
  { friendlyName: 'service user', type: 'service', permissions: ['createConversation', 'joinConversation', 'editOwnUserInfo'], defaultFor: 'chatServiceRole' },
  {
    friendlyName: 'channel admin',
    type: 'conversation',
    permissions: [
      'sendMessage',
      'sendMediaMessage',
      'leaveConversation',
      'editNotificationLevel',
      'deleteConversation',
      'addParticipant',
      'addNonChatParticipant',
      'removeParticipant',
      'editConversationName',
      'editConversationAttributes',
      'editAnyMessage',
      'editAnyMessageAttributes',
      'deleteAnyMessage',
      'editAnyParticipantAttributes',
    ],
    defaultFor: 'conversationCreatorRole',
  },
  {
    friendlyName: 'channel user',
    type: 'conversation',
    permissions: [
      'sendMessage',
      'sendMediaMessage',
      'leaveConversation',
      'editNotificationLevel',
      'editOwnMessage',
      'editOwnMessageAttributes',
      'deleteOwnMessage',
      'editOwnParticipantAttributes',
    ],
    defaultFor: 'conversationRole',
  },
];
