import { TwilioError } from '../../../core/errors.ts';
import type { Executor } from '../../../store/database.ts';
import { conversations, participants, type ConversationRow } from '../../model.ts';
import type { SdkPrincipal } from '../principal.ts';
import type { SyncObject, SyncType } from './names.ts';

/** Sync's own codes: a missing document, list or map, and an object the identity may not read (403). */
const NOT_FOUND: Record<SyncType, number> = { document: 54100, list: 54150, map: 54200 };
export const syncNotFound = (type: SyncType, name: string) => new TwilioError(NOT_FOUND[type], 404, `${type[0].toUpperCase()}${type.slice(1)} ${name} not found`);
export const syncForbidden = (name: string) => new TwilioError(54007, 403, `Access to ${name} is forbidden for this identity`);
/** The SDK's objects are written by the server only, never by a client. */
export const syncReadOnly = (name: string) => new TwilioError(54007, 403, `${name} is read-only: it changes through the Conversations API`);

/**
 * Whether the principal may read the object: a conversation's objects only by its participants (the
 * document also by its creator, who reads it before joining), an identity's conversations only by
 * itself, a user's info by anyone of the service where that user exists. Anything else in another
 * account or service is as good as missing. Returns the conversation when the object is one of its.
 */
export async function readable(db: Executor, p: SdkPrincipal, o: SyncObject, name: string): Promise<ConversationRow | null> {
  if (!('conversationSid' in o)) {
    if (o.serviceSid !== p.serviceSid) throw syncNotFound(o.type, name);
    if (o.kind === 'my_conversations') {
      if (o.identity !== p.identity) throw syncForbidden(name);
      return null;
    }
    const user = await db.get('SELECT sid FROM conversation_users WHERE chat_service_sid = ? AND identity = ?', [o.serviceSid, o.identity]);
    if (!user) throw syncNotFound(o.type, name);
    return null;
  }
  const c = await conversations.get(db, o.conversationSid);
  if (!c || c.account_sid !== p.accountSid || c.chat_service_sid !== p.serviceSid) throw syncNotFound(o.type, name);
  if (await participants.first(db, ['conversation_sid = ?', c.sid], ['identity = ?', p.identity])) return c;
  if (o.kind === 'conversation' && c.created_by === p.identity) return c;
  throw syncForbidden(name);
}
