/**
 * The Sync objects the SDK reads, named so that the name alone says what they are (the name is
 * also the object's SID, so no table maps one to the other): per conversation a document (the
 * conversation), a list (its messages, item index = message index) and a map (its roster, keyed by
 * participant SID); per identity of a service a map of its conversations and a map of its user info.
 */
export type SyncObject =
  | { type: 'document'; kind: 'conversation'; conversationSid: string }
  | { type: 'list'; kind: 'messages'; conversationSid: string }
  | { type: 'map'; kind: 'roster'; conversationSid: string }
  | { type: 'map'; kind: 'my_conversations' | 'user_info'; serviceSid: string; identity: string };

export type SyncType = SyncObject['type'];

export const conversationObjects = (conversationSid: string) => ({
  document: `${conversationSid}.channel`,
  messages: `${conversationSid}.messages`,
  roster: `${conversationSid}.roster`,
});

/** An identity as a name part: base64url of its UTF-8, so any identity fits and reads back exactly. */
const encodeIdentity = (identity: string) => Buffer.from(identity, 'utf8').toString('base64url');

export const userObjects = (serviceSid: string, identity: string) => ({
  conversations: `${serviceSid}.${encodeIdentity(identity)}.conversations`,
  info: `${serviceSid}.${encodeIdentity(identity)}.info`,
});

const CONVERSATION = /^(CH[0-9a-f]{32})\.(channel|messages|roster)$/;
const USER = /^(IS[0-9a-f]{32})\.([A-Za-z0-9_-]+)\.(conversations|info)$/;

/** What a name stands for, or null when it is not one of ours. */
export function parseObject(name: string): SyncObject | null {
  const c = CONVERSATION.exec(name);
  if (c) {
    const conversationSid = c[1];
    if (c[2] === 'channel') return { type: 'document', kind: 'conversation', conversationSid };
    if (c[2] === 'messages') return { type: 'list', kind: 'messages', conversationSid };
    return { type: 'map', kind: 'roster', conversationSid };
  }
  const u = USER.exec(name);
  if (u) {
    const identity = Buffer.from(u[2], 'base64url').toString('utf8');
    // Only the canonical spelling: one object, one name.
    if (encodeIdentity(identity) !== u[2]) return null;
    return { type: 'map', kind: u[3] === 'conversations' ? 'my_conversations' : 'user_info', serviceSid: u[1], identity };
  }
  return null;
}
