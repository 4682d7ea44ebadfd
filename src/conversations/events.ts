import { insertRowLater, type Database, type Executor } from '../store/database.ts';
import { settledSeq } from '../store/outbox.ts';

/**
 * What happened in Conversations, recorded in the same transaction as the change itself (an
 * outbox): post-event webhooks, the outbound gateway and real-time chat delivery read these rows
 * in `seq` order, so nothing is announced that did not commit, and nothing that committed is lost
 * (on PostgreSQL, provided a reader passes gaps only as `settledEventsSince` does).
 *
 * Event names are Twilio's post-event webhook names. `data` is a snapshot of the rows involved
 * (conversation, participant, message, receipt, webhook, user) at the time of the event, plus for
 * onConversationStateUpdated `state_from`, `state_to` and `reason` ('api' | 'timer' | 'activity').
 */
export type ConversationEventType =
  | 'onConversationAdded'
  | 'onConversationUpdated'
  | 'onConversationRemoved'
  | 'onConversationStateUpdated'
  | 'onParticipantAdded'
  | 'onParticipantUpdated'
  | 'onParticipantRemoved'
  | 'onMessageAdded'
  | 'onMessageUpdated'
  | 'onMessageRemoved'
  | 'onDeliveryUpdated'
  | 'onUserUpdated';

export interface ConversationEvent {
  accountSid: string;
  conversationSid: string | null;
  type: ConversationEventType;
  /** The SID of the resource the event is about (CH, MB, IM, DY, US). */
  resourceSid: string;
  /** Who caused it: a REST call, a timer, a gateway (inbound message, delivery result), or the official SDK. */
  source: 'api' | 'timer' | 'gateway' | 'sdk';
  /**
   * Whether webhooks fire for it. For REST calls this is the X-Twilio-Webhook-Enabled header
   * (Twilio fires no webhooks for REST-initiated actions unless it says true); timers and gateways: true.
   */
  webhooksEnabled: boolean;
  data: Record<string, unknown>;
}

export interface EventRow {
  seq: number;
  account_sid: string;
  conversation_sid: string | null;
  event_type: ConversationEventType;
  resource_sid: string;
  source: string;
  webhooks_enabled: number;
  data: string;
  date_created: number;
}

export async function recordEvent(tx: Executor, now: number, e: ConversationEvent): Promise<void> {
  const row = {
    account_sid: e.accountSid,
    conversation_sid: e.conversationSid,
    event_type: e.type,
    resource_sid: e.resourceSid,
    source: e.source,
    webhooks_enabled: e.webhooksEnabled ? 1 : 0,
    data: JSON.stringify(e.data),
    date_created: now,
  };
  await insertRowLater(tx, 'conversation_events', row);
}

/** Events after `afterSeq`, oldest first (for deliverers that keep a cursor). */
export function eventsSince(db: Executor, afterSeq: number, limit = 100): Promise<EventRow[]> {
  return db.all<EventRow>(`SELECT * FROM conversation_events WHERE seq > ? ORDER BY seq LIMIT ${Math.floor(limit)}`, [afterSeq]);
}

/**
 * The leading run of `events` (read after `afterSeq`) whose seqs follow on without a gap. On
 * PostgreSQL a seq is taken before its transaction commits, so an event behind a gap may still
 * appear: a cursor must not pass a gap until its writer is known to have finished (settledSeq).
 */
export function contiguousRun(events: EventRow[], afterSeq: number): EventRow[] {
  const gap = events.findIndex((ev, i) => Number(ev.seq) !== afterSeq + i + 1);
  return gap === -1 ? events : events.slice(0, gap);
}

/** Events after `afterSeq` that a cursor may pass: none is skipped for having committed late. */
export async function settledEventsSince(db: Database, afterSeq: number, limit = 100): Promise<EventRow[]> {
  const events = await eventsSince(db, afterSeq, limit);
  if (db.seqsCommitInOrder) return events;
  const run = contiguousRun(events, afterSeq);
  if (run.length > 0 || events.length === 0) return run;
  const settled = await settledSeq(db, 'conversation_events');
  return (await eventsSince(db, afterSeq, limit)).filter((ev) => Number(ev.seq) <= settled);
}
