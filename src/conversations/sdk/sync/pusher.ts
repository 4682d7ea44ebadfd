import { Pump } from '../../../core/pump.ts';
import type { Database } from '../../../store/database.ts';
import type { TwilsockSession } from '../../../twilsock/session.ts';
import type { SdkPrincipal } from '../principal.ts';
import { conversationObjects, type SyncType } from './names.ts';
import { eventsAfter, eventsOf, maxSeq, type SdkEventRow } from './store.ts';

type Session = TwilsockSession<SdkPrincipal>;

/** An object a session asked to follow, accepted: live once its replay is done. */
export interface Accepted {
  objectSid: string;
  type: SyncType;
  /** The last event the client has; it is replayed what came after. */
  lastEventId: number;
}

export interface Refused {
  objectSid: string;
  type: SyncType;
  error: { status: number; code: number; message: string };
}

interface Job {
  session: Session;
  correlationId: unknown;
  objects: Accepted[];
}

/**
 * Events replayed per object and poke unless configured; more make the replay 'interrupted', and
 * the client asks again from where it got. A whole poke (× MAX_BATCH objects) fits the
 * notification queue of twilsock/session.ts.
 */
export const REPLAY_LIMIT = 200;
const BATCH = 500;
const LIVE_TYPE: Record<SyncType, string> = { document: 'com.twilio.rtd.cds.document', list: 'com.twilio.rtd.cds.list', map: 'com.twilio.rtd.cds.map' };
export const SYNC_EVENT = 'twilio.sync.event';

/** Which object type an event belongs to, from its name (map_item_added, list_removed, document_updated...). */
function typeOf(eventType: string): SyncType | null {
  const m = /^(map|list|document)_/.exec(eventType);
  return m ? (m[1] as SyncType) : null;
}

/** The event as the SDK reads it: its id, the object it is about, what happened. */
function wire(row: SdkEventRow, type: SyncType): Record<string, unknown> {
  return { ...(JSON.parse(row.payload) as Record<string, unknown>), id: Number(row.seq), [`${type}_sid`]: row.object_sid };
}

/**
 * Pushes sdk_events to this node's SDK sessions, in seq order, behind a cursor of its own (started
 * at the newest event: sessions ask for what they missed when they subscribe). A subscription is
 * first replayed the object's events after the client's last_event_id, up to the cursor, as
 * strictly ordered twilio.sync.event notifications, then confirmed (subscription_established) and
 * from then on sent live; both happen in the one pump, so nothing is sent twice or out of order.
 * Other nodes' events are found by polling.
 */
export class SyncPusher {
  private cursor: number | null = null;
  private readonly jobs: Job[] = [];
  private readonly follows = new Follows();
  private readonly pump: Pump;

  constructor(
    private readonly db: Database,
    private readonly sessions: () => Iterable<Session>,
    /** Identities of a conversation's chat participants now (who hears its typing). */
    private readonly members: (conversationSid: string) => Promise<Set<string>>,
    onError: (err: unknown) => void,
    active: () => boolean,
    private readonly replayLimit = REPLAY_LIMIT,
  ) {
    this.pump = new Pump(() => this.run(), { onError, active });
  }

  wake(): void {
    this.pump.wake();
  }

  idle(): Promise<void> {
    return this.pump.idle();
  }

  /** Accepted objects are replayed and then followed; refused ones are answered subscription_failed at once. */
  subscribe(session: Session, correlationId: unknown, accepted: Accepted[], refused: Refused[]): void {
    if (refused.length > 0)
      session.notify(SYNC_EVENT, {
        event_type: 'subscription_failed',
        correlation_id: correlationId,
        events: refused.map((r) => ({ object_sid: r.objectSid, object_type: r.type, error: r.error })),
      });
    if (accepted.length === 0) return;
    this.jobs.push({ session, correlationId, objects: accepted });
    this.wake();
  }

  cancel(session: Session, correlationId: unknown, objects: { objectSid: string; type: SyncType }[]): void {
    for (const o of objects) this.follows.drop(session, o.objectSid);
    session.notify(SYNC_EVENT, {
      event_type: 'subscription_canceled',
      correlation_id: correlationId,
      events: objects.map((o) => ({ object_sid: o.objectSid, object_type: o.type })),
    });
  }

  forget(session: Session): void {
    this.follows.forget(session);
  }

  private async run(): Promise<void> {
    this.cursor ??= await maxSeq(this.db);
    while (this.jobs.length > 0) await this.replay(this.jobs.shift() as Job, this.cursor);
    for (;;) {
      const rows = await eventsAfter(this.db, this.cursor, BATCH);
      if (rows.length === 0) return;
      for (const row of rows) {
        await this.deliver(row);
        this.cursor = Number(row.seq);
      }
    }
  }

  private async replay(job: Job, upTo: number): Promise<void> {
    const { session } = job;
    if (!session.open) return;
    const established = [];
    for (const o of job.objects) {
      const rows = await eventsOf(this.db, o.objectSid, o.lastEventId, upTo, this.replayLimit + 1);
      const complete = rows.length <= this.replayLimit;
      let last = o.lastEventId;
      for (const row of rows.slice(0, this.replayLimit)) {
        session.notify(SYNC_EVENT, { event_type: row.event_type, correlation_id: job.correlationId, event: wire(row, o.type) });
        last = Number(row.seq);
      }
      if (complete) this.follows.add(session, o.objectSid);
      established.push({ object_sid: o.objectSid, object_type: o.type, replay_status: complete ? 'completed' : 'interrupted', last_event_id: last });
    }
    session.notify(SYNC_EVENT, { event_type: 'subscription_established', correlation_id: job.correlationId, events: established });
  }

  private async deliver(row: SdkEventRow): Promise<void> {
    if (row.object_sid === null) return this.notifyMembers(row);
    const type = typeOf(row.event_type);
    if (!type) return;
    const payload = { event_type: row.event_type, event: wire(row, type) };
    for (const session of this.follows.of(row.object_sid)) if (session.open) session.notify(LIVE_TYPE[type], payload);
    if (row.conversation_sid) this.afterDelivery(row, row.conversation_sid);
  }

  /**
   * Whoever left a conversation stops hearing it once told (the roster's removal is its last event
   * for them), and a removed conversation is followed by nobody: a client cannot keep listening to
   * a conversation it is no longer in.
   */
  private afterDelivery(row: SdkEventRow, conversationSid: string): void {
    const names = conversationObjects(conversationSid);
    let who: (p: SdkPrincipal) => boolean;
    if (row.event_type === 'document_removed') who = () => true;
    else if (row.event_type === 'map_item_removed' && row.object_sid === names.roster) {
      const identity = (JSON.parse(row.payload) as { item_data?: { identity?: string | null } }).item_data?.identity;
      if (!identity) return;
      who = (p) => p.identity === identity && p.accountSid === row.account_sid;
    } else return;
    for (const session of [...this.follows.of(names.document), ...this.follows.of(names.messages), ...this.follows.of(names.roster)]) {
      if (!session.principal || !who(session.principal)) continue;
      for (const name of Object.values(names)) this.follows.drop(session, name);
    }
  }

  /** A notification for a conversation's participants (typing): to their sessions here, the one it is about excepted. */
  private async notifyMembers(row: SdkEventRow): Promise<void> {
    if (!row.conversation_sid) return;
    const payload = JSON.parse(row.payload) as { identity?: string };
    const listeners = [...this.sessions()].filter((s) => s.open && s.principal?.accountSid === row.account_sid && s.principal.identity !== payload.identity);
    if (listeners.length === 0) return;
    const members = await this.members(row.conversation_sid);
    for (const s of listeners) if (members.has((s.principal as SdkPrincipal).identity)) s.notify(row.event_type, payload);
  }
}

/** Who follows which object, both ways (an event finds its followers without going through every session). */
class Follows {
  private readonly bySession = new Map<Session, Set<string>>();
  private readonly byObject = new Map<string, Set<Session>>();

  add(session: Session, objectSid: string): void {
    let objects = this.bySession.get(session);
    if (!objects) this.bySession.set(session, (objects = new Set()));
    objects.add(objectSid);
    let sessions = this.byObject.get(objectSid);
    if (!sessions) this.byObject.set(objectSid, (sessions = new Set()));
    sessions.add(session);
  }

  drop(session: Session, objectSid: string): void {
    this.bySession.get(session)?.delete(objectSid);
    const sessions = this.byObject.get(objectSid);
    sessions?.delete(session);
    if (sessions?.size === 0) this.byObject.delete(objectSid);
  }

  forget(session: Session): void {
    for (const objectSid of [...(this.bySession.get(session) ?? [])]) this.drop(session, objectSid);
    this.bySession.delete(session);
  }

  of(objectSid: string): ReadonlySet<Session> {
    return this.byObject.get(objectSid) ?? new Set();
  }
}
