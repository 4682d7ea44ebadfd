import { isoDate } from '../../../core/clock.ts';
import type { DeliverySummary } from '../../service/messages.ts';
import type { ConversationRow, MediaEntry, MessageRow, ParticipantRow } from '../../model.ts';
import { conversationObjects, userObjects } from './names.ts';

/**
 * What the SDK reads in the Sync objects' data (its field names, not REST's: `text` for the body,
 * `memberSid`, `lastConsumedMessageIndex`...). Attributes stay JSON text where the SDK parses them.
 * Pure: rows in, data out.
 */

/** The conversation document. */
export function conversationData(c: ConversationRow, last: Pick<MessageRow, 'message_index' | 'date_created'> | null) {
  const names = conversationObjects(c.sid);
  return {
    sid: c.sid,
    messages: names.messages,
    roster: names.roster,
    uniqueName: c.unique_name,
    friendlyName: c.friendly_name,
    attributes: c.attributes,
    createdBy: c.created_by ?? '',
    dateCreated: isoDate(c.date_created),
    dateUpdated: isoDate(c.date_updated),
    lastMessage: last ? { index: Number(last.message_index), timestamp: isoDate(last.date_created) } : null,
    state: { current: c.state, dateUpdated: isoDate(c.date_updated) },
  };
}

/** A media's category as the SDK knows them: an email's bodies and history stay apart from its attachments (`media`). */
const CATEGORIES = new Set(['media', 'body', 'history']);

function mediaOf(m: MessageRow) {
  const entries = m.media ? (JSON.parse(m.media) as MediaEntry[]) : [];
  return entries.map((e) => ({
    sid: e.sid,
    category: typeof e.category === 'string' && CATEGORIES.has(e.category) ? e.category : 'media',
    filename: e.filename ?? null,
    contentType: e.content_type ?? null,
    size: e.size ?? null,
  }));
}

/** A message: an item of the messages list, at its index. */
export function messageData(m: MessageRow, delivery: DeliverySummary | null) {
  const medias = mediaOf(m);
  return {
    sid: m.sid,
    author: m.author,
    text: m.body,
    subject: m.subject,
    contentSid: m.content_sid,
    attributes: m.attributes,
    timestamp: isoDate(m.date_created),
    dateUpdated: isoDate(m.date_updated),
    type: medias.length > 0 ? 'media' : 'text',
    memberSid: m.participant_sid,
    medias: medias.length > 0 ? medias : null,
    media: medias[0] ?? null,
    delivery,
    channelMetadata: false,
  };
}

/** A participant: an item of the roster map, keyed by its SID. */
export function participantData(p: ParticipantRow, serviceSid: string) {
  return {
    sid: p.sid,
    identity: p.identity,
    type: p.identity !== null ? 'chat' : (p.binding_type ?? 'sms'),
    attributes: p.attributes,
    roleSid: p.role_sid,
    dateCreated: isoDate(p.date_created),
    dateUpdated: isoDate(p.date_updated),
    lastConsumedMessageIndex: p.last_read_message_index === null ? null : Number(p.last_read_message_index),
    lastConsumptionTimestamp: p.last_read_timestamp,
    userInfo: p.identity !== null ? userObjects(serviceSid, p.identity).info : null,
    bindings: p.address ? { [p.binding_type ?? 'sms']: { address: p.address, proxy_address: p.proxy_address } } : {},
  };
}

/** A conversation of the user: an item of its conversations map, keyed by conversation SID. */
export function userConversationData(p: ParticipantRow, notificationLevel: string) {
  const names = conversationObjects(p.conversation_sid);
  return {
    channel_sid: p.conversation_sid,
    channel: names.document,
    messages: names.messages,
    roster: names.roster,
    status: 'joined',
    lastConsumedMessageIndex: p.last_read_message_index === null ? null : Number(p.last_read_message_index),
    notificationLevel,
  };
}

/** The user info map's items, by key: friendlyName, attributes, reachability. */
export function userInfoData(user: { friendly_name: string | null; attributes: string } | null, online: boolean) {
  return {
    friendlyName: { value: user?.friendly_name ?? null },
    attributes: { value: user?.attributes ?? '{}' },
    reachability: { online, notifiable: false },
  };
}
