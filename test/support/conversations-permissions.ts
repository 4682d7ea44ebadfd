import type { Permission, RoleType } from '../../src/core/conversations-permissions.ts';

/**
 * Every permission the official Conversations SDK (@twilio/conversations 3.x) can exercise: the
 * SDK call that needs it, and the role scope that can grant it. Tests of the permission check take
 * their cases from here, so the REST-side and the SDK-side tests cover the same list.
 */
export interface PermissionCase {
  permission: Permission;
  /** Where the permission is held for this action: the user's service role, or the participant's conversation role. */
  scope: RoleType;
  /** The SDK call, as an application writes it. */
  sdk: string;
  /** What the call is about: the conversation it acts in (null: the service), and whose resource (own or another identity's). */
  about: 'service' | 'conversation' | 'own' | 'other';
}

export const SDK_PERMISSIONS: readonly PermissionCase[] = [
  { permission: 'createConversation', scope: 'service', sdk: 'client.createConversation()', about: 'service' },
  { permission: 'joinConversation', scope: 'service', sdk: 'conversation.join()', about: 'service' },
  { permission: 'editOwnUserInfo', scope: 'service', sdk: 'client.user.updateFriendlyName() / updateAttributes()', about: 'own' },
  { permission: 'editAnyUserInfo', scope: 'service', sdk: '(await client.getUser(other)).updateAttributes()', about: 'other' },
  { permission: 'sendMessage', scope: 'conversation', sdk: "conversation.sendMessage('text')", about: 'conversation' },
  { permission: 'sendMediaMessage', scope: 'conversation', sdk: 'conversation.sendMessage({ contentType, media })', about: 'conversation' },
  { permission: 'leaveConversation', scope: 'conversation', sdk: 'conversation.leave()', about: 'own' },
  { permission: 'addParticipant', scope: 'conversation', sdk: 'conversation.add(identity)', about: 'conversation' },
  { permission: 'addNonChatParticipant', scope: 'conversation', sdk: 'conversation.addNonChatParticipant(proxy, address)', about: 'conversation' },
  { permission: 'removeParticipant', scope: 'conversation', sdk: 'conversation.removeParticipant(other) / participant.remove()', about: 'other' },
  { permission: 'editConversationName', scope: 'conversation', sdk: 'conversation.updateFriendlyName()', about: 'conversation' },
  { permission: 'editConversationAttributes', scope: 'conversation', sdk: 'conversation.updateAttributes()', about: 'conversation' },
  { permission: 'deleteConversation', scope: 'conversation', sdk: 'conversation.delete()', about: 'conversation' },
  { permission: 'editNotificationLevel', scope: 'conversation', sdk: "conversation.setUserNotificationLevel('muted')", about: 'own' },
  { permission: 'editOwnMessage', scope: 'conversation', sdk: 'message.updateBody() (own message)', about: 'own' },
  { permission: 'editAnyMessage', scope: 'conversation', sdk: "message.updateBody() (another's message)", about: 'other' },
  { permission: 'editOwnMessageAttributes', scope: 'conversation', sdk: 'message.updateAttributes() (own message)', about: 'own' },
  { permission: 'editAnyMessageAttributes', scope: 'conversation', sdk: "message.updateAttributes() (another's message)", about: 'other' },
  { permission: 'deleteOwnMessage', scope: 'conversation', sdk: 'message.remove() (own message)', about: 'own' },
  { permission: 'deleteAnyMessage', scope: 'conversation', sdk: "message.remove() (another's message)", about: 'other' },
  { permission: 'editOwnParticipantAttributes', scope: 'conversation', sdk: 'participant.updateAttributes() (own participant)', about: 'own' },
  { permission: 'editAnyParticipantAttributes', scope: 'conversation', sdk: "participant.updateAttributes() (another's participant)", about: 'other' },
];
