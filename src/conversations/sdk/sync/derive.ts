import { isoDate } from '../../../core/clock.ts';
import type { Executor } from '../../../store/database.ts';
import type { EventRow } from '../../events.ts';
import { conversations, messages, type ConversationRow, type MessageRow, type ParticipantRow } from '../../model.ts';
import { deliveries } from '../../service/messages.ts';
import type { UserRow } from '../../model-users.ts';
import { userInfoEvents } from './append.ts';
import { conversationObjects, userObjects } from './names.ts';
import { isOnline } from './presence.ts';
import type { NewSdkEvent } from './store.ts';
import { conversationData, messageData, participantData, userConversationData } from './views.ts';

interface Snapshot {
  user?: UserRow;
  conversation?: ConversationRow;
  participant?: ParticipantRow;
  previous?: ParticipantRow;
  message?: MessageRow;
}

/**
 * The Sync events one Conversations event makes, per object the SDK reads: the conversation's
 * document, messages list and roster map, and the conversations map of each identity concerned.
 * Item data comes from the event's snapshot; what the snapshot lacks (a document's last message, a
 * message's delivery summary) is read as it is now, which is at least as new.
 */
export async function syncEventsOf(tx: Executor, ev: EventRow, now: number): Promise<NewSdkEvent[]> {
  const data = JSON.parse(ev.data) as Snapshot;
  if (ev.event_type === 'onUserUpdated') return userEvents(tx, ev, data, now);
  const ch = ev.conversation_sid;
  if (!ch) return [];
  const names = conversationObjects(ch);
  const at = isoDate(Number(ev.date_created));
  const out: NewSdkEvent[] = [];
  const push = (objectSid: string, eventType: string, payload: Record<string, unknown>) =>
    out.push({ account_sid: ev.account_sid, object_sid: objectSid, conversation_sid: ch, event_type: eventType, payload: { ...payload, date_created: at } });
  const service = data.conversation?.chat_service_sid ?? (await conversations.get(tx, ch))?.chat_service_sid;
  const documentNow = async () => {
    const c = await conversations.get(tx, ch);
    if (c) push(names.document, 'document_updated', { document_data: conversationData(c, await lastMessage(tx, ch)) });
  };
  const myConversations = (p: ParticipantRow, eventType: string, item: unknown) => {
    if (p.identity === null || !service) return;
    push(userObjects(service, p.identity).conversations, eventType, { item_key: ch, item_data: item });
  };

  switch (ev.event_type) {
    case 'onConversationAdded':
    case 'onConversationUpdated':
    case 'onConversationStateUpdated':
      await documentNow();
      break;
    case 'onConversationRemoved': {
      push(names.document, 'document_removed', {});
      push(names.messages, 'list_removed', {});
      push(names.roster, 'map_removed', {});
      // Its participants went with it, without events of their own: each member's map loses it.
      for (const p of await membersAtRemoval(tx, ch)) myConversations(p, 'map_item_removed', userConversationData(p, 'default'));
      break;
    }
    case 'onParticipantAdded':
    case 'onParticipantUpdated': {
      const p = data.participant as ParticipantRow;
      const added = ev.event_type === 'onParticipantAdded';
      if (service) push(names.roster, added ? 'map_item_added' : 'map_item_updated', { item_key: p.sid, item_data: participantData(p, service) });
      const before = data.previous;
      // An identity given to a participant later (group MMS) makes it a member from then on.
      const joins = added || (before !== undefined && before.identity === null && p.identity !== null);
      myConversations(p, joins ? 'map_item_added' : 'map_item_updated', userConversationData(p, levelOf(p)));
      break;
    }
    case 'onParticipantRemoved': {
      const p = data.participant as ParticipantRow;
      if (service) push(names.roster, 'map_item_removed', { item_key: p.sid, item_data: participantData(p, service) });
      myConversations(p, 'map_item_removed', userConversationData(p, levelOf(p)));
      break;
    }
    case 'onMessageAdded':
    case 'onMessageUpdated': {
      const m = data.message as MessageRow;
      const delivery = (await deliveries(tx, [m.sid])).get(m.sid) ?? null;
      push(names.messages, ev.event_type === 'onMessageAdded' ? 'list_item_added' : 'list_item_updated', { item_index: Number(m.message_index), item_data: messageData(m, delivery) });
      if (ev.event_type === 'onMessageAdded') await documentNow();
      break;
    }
    case 'onMessageRemoved': {
      const m = data.message as MessageRow;
      push(names.messages, 'list_item_removed', { item_index: Number(m.message_index), item_data: messageData(m, null) });
      await documentNow();
      break;
    }
    case 'onDeliveryUpdated': {
      const m = await messages.get(tx, (data.message as MessageRow).sid);
      if (m) push(names.messages, 'list_item_updated', { item_index: Number(m.message_index), item_data: messageData(m, (await deliveries(tx, [m.sid])).get(m.sid) ?? null) });
      break;
    }
  }
  return out;
}

/** A user changed (name, attributes): its info map's items, as they now are. */
async function userEvents(tx: Executor, ev: EventRow, data: Snapshot, now: number): Promise<NewSdkEvent[]> {
  const u = data.user;
  if (!u) return [];
  const online = await isOnline(tx, u.chat_service_sid, u.identity, now);
  return userInfoEvents(ev.account_sid, u.chat_service_sid, u.identity, u, online, ['friendlyName', 'attributes'], Number(ev.date_created));
}

/** The conversation's latest message, for its document. */
export function lastMessage(db: Executor, conversationSid: string): Promise<MessageRow | null> {
  return db.get<MessageRow>('SELECT * FROM conversation_messages WHERE conversation_sid = ? ORDER BY message_index DESC LIMIT 1', [conversationSid]).then((m) => m ?? null);
}

/** The notification level kept on the participant (migration 15); 'default' until one is set. */
export function levelOf(p: ParticipantRow): string {
  return (p as ParticipantRow & { notification_level?: string | null }).notification_level === 'muted' ? 'muted' : 'default';
}

/** Who was in a conversation when it was deleted, from its own participant events (the rows are gone). */
async function membersAtRemoval(tx: Executor, conversationSid: string): Promise<ParticipantRow[]> {
  const rows = await tx.all<{ event_type: string; data: string }>(
    "SELECT event_type, data FROM conversation_events WHERE conversation_sid = ? AND event_type IN ('onParticipantAdded', 'onParticipantUpdated', 'onParticipantRemoved') ORDER BY seq",
    [conversationSid],
  );
  const members = new Map<string, ParticipantRow>();
  for (const r of rows) {
    const p = (JSON.parse(r.data) as Snapshot).participant;
    if (!p) continue;
    if (r.event_type === 'onParticipantRemoved') members.delete(p.sid);
    else members.set(p.sid, p);
  }
  return [...members.values()];
}
