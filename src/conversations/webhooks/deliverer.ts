import type { Clock } from '../../core/clock.ts';
import { PollingPump } from '../../core/pump.ts';
import { Outbound, type Send } from '../../outbound/http.ts';
import { OrderedOutbox } from '../../outbound/ordered.ts';
import type { Database, Executor } from '../../store/database.ts';
import { settledSeq } from '../../store/outbox.ts';
import { contiguousRun, type EventRow } from '../events.ts';
import type { MessageRow, ParticipantRow, ReceiptStatus, WebhookRow } from '../model.ts';
import type { ConversationsApi } from '../services.ts';
import { jsonList } from '../service/deps.ts';
import { UNKNOWN_DELIVERY_ERROR, type DeliveryAdapter, type OutboundMessage } from '../gateway/outbound.ts';
import { hookSettings, serviceOfEvent, type HookSettings } from './hooks.ts';
import { postEventParams } from './params.ts';

export interface ConversationDeliveryOptions {
  /** How long a webhook receiver or the outbound endpoint has to answer (Twilio: 5 s). */
  timeoutMs?: number;
  /** Attempts per delivery before it is given up (the first one included). */
  maxAttempts?: number;
  /** Wait after the first failure; doubles after each further one, up to retryMaxMs. */
  retryBaseMs?: number;
  retryMaxMs?: number;
}

const DEFAULTS: Required<ConversationDeliveryOptions> = { timeoutMs: 5_000, maxAttempts: 10, retryBaseMs: 1_000, retryMaxMs: 5 * 60_000 };

interface DeliveryRow {
  seq: number;
  queue: string;
  kind: 'post' | 'get' | 'outbound';
  account_sid: string;
  event_seq: number;
  url: string | null;
  body: string;
  attempts: number;
  next_attempt_at: number;
  locked_until: number;
}

const FANOUT_BATCH = 200;
/** fanoutBatch: the seq after the cursor is missing (still being written, or rolled back). */
const GAP = -1;
const POLL_MS = 1_000;

/**
 * What Conversations sends out on its own, from the outbox (conversation_events):
 *
 * 1. Fan-out: every event, once, becomes rows in conversation_deliveries: post-event webhooks
 *    (the PostWebhookUrl of the conversation's service, or else the account's, when its Filters
 *    name the event: hooks.ts; each conversation-scoped 'webhook' whose filters name it; each
 *    'trigger' webhook whose keyword starts a new message), only for events with webhooks enabled; and, for every onMessageAdded,
 *    one outbound delivery per non-chat participant other than the author. The cursor row is
 *    locked (PostgreSQL: FOR UPDATE) so one node fans out each event.
 * 2. Sending: per queue (webhooks of one conversation; outbound messages of one conversation),
 *    strictly in order, by the same ordered-outbox sender as TaskRouter's event callbacks
 *    (outbound/ordered.ts): retried with backoff, given up after the last attempt (an outbound
 *    message then gets a failed receipt), claimed so that one node sends each.
 */
export class ConversationDeliverer {
  private readonly sender: OrderedOutbox<DeliveryRow>;
  private readonly runner = new PollingPump(() => this.pump(), POLL_MS);

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly api: ConversationsApi,
    readonly adapter: DeliveryAdapter | null,
    options: ConversationDeliveryOptions = {},
    outbound = new Outbound(),
  ) {
    this.sender = new OrderedOutbox<DeliveryRow>(db, clock, outbound, {
      table: 'conversation_deliveries',
      queueColumn: 'queue',
      policy: { ...DEFAULTS, ...options },
      accountOf: (row) => row.account_sid,
      deliver: (row, send) => this.deliver(row, send),
      givenUp: async (row) => {
        if (row.kind === 'outbound') await this.receipt(row, { status: 'failed', errorCode: UNKNOWN_DELIVERY_ERROR });
      },
    });
  }

  // ---- Fan-out ---------------------------------------------------------------------------------

  /**
   * Turns the events after the cursor into deliveries. Returns how many events it read. On
   * PostgreSQL a seq is taken before its transaction commits, so a later event can become visible
   * before an earlier one: the cursor passes a missing seq only once its writer has finished
   * (settledSeq), or that event would never be sent.
   */
  async fanout(): Promise<number> {
    // Most wakes after the last batch find nothing: a read says so without a write transaction.
    const next = await this.db.get(
      "SELECT 1 AS one FROM conversation_events WHERE seq > COALESCE((SELECT seq FROM conversation_cursors WHERE name = 'fanout'), 0) ORDER BY seq LIMIT 1",
    );
    if (!next) return 0;
    if (this.db.seqsCommitInOrder) return this.fanoutBatch(Infinity);
    const n = await this.fanoutBatch('contiguous');
    return n === GAP ? this.fanoutBatch(await settledSeq(this.db, 'conversation_events')) : n;
  }

  /** One batch after the cursor, up to a settled seq, or as far as seqs follow on without a gap (else GAP). */
  private fanoutBatch(upTo: number | 'contiguous'): Promise<number> {
    return this.db.transaction(async (tx) => {
      const cursor = await tx.get<{ seq: number }>(`SELECT seq FROM conversation_cursors WHERE name = 'fanout'${this.db.forUpdate}`);
      const after = Number(cursor?.seq ?? 0);
      let events = await tx.all<EventRow>(`SELECT * FROM conversation_events WHERE seq > ? ORDER BY seq LIMIT ${FANOUT_BATCH}`, [after]);
      if (upTo === 'contiguous') {
        const run = contiguousRun(events, after);
        if (run.length === 0 && events.length > 0) return GAP;
        events = run;
      } else events = events.filter((ev) => Number(ev.seq) <= upTo);
      if (events.length === 0) return 0;
      const now = this.clock.now();
      const seen: FanoutMemo = { hooks: new Map(), scoped: new Map() };
      for (const ev of events) await this.fanoutOne(tx, ev, now, seen);
      const last = Number(events[events.length - 1].seq);
      if (cursor) await tx.run(`UPDATE conversation_cursors SET seq = ? WHERE name = 'fanout'`, [last]);
      else await tx.run(`INSERT INTO conversation_cursors (name, seq) VALUES ('fanout', ?)`, [last]);
      return events.length;
    });
  }

  private async fanoutOne(tx: Executor, ev: EventRow, now: number, seen: FanoutMemo): Promise<void> {
    const add = (queue: string, kind: DeliveryRow['kind'], url: string | null, body: string) =>
      tx.run('INSERT INTO conversation_deliveries (queue, kind, account_sid, event_seq, url, body, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
        queue,
        kind,
        ev.account_sid,
        ev.seq,
        url,
        body,
        now,
      ]);
    const webhookQueue = `wh:${ev.conversation_sid ?? ev.account_sid}`;
    if (Number(ev.webhooks_enabled) === 1) {
      const serviceSid = await serviceOfEvent(tx, ev);
      const hooks = await once(seen.hooks, `${ev.account_sid} ${serviceSid}`, () => hookSettings(tx, ev.account_sid, serviceSid));
      const chatService = hooks?.chatServiceSid ?? serviceSid ?? '';
      if (hooks?.postUrl && hooks.filters.includes(ev.event_type)) {
        await add(webhookQueue, hooks.method === 'GET' ? 'get' : 'post', hooks.postUrl, postEventParams(ev, chatService).toString());
      }
      if (ev.conversation_sid) {
        const conversationSid = ev.conversation_sid;
        const scoped = await once(seen.scoped, conversationSid, () =>
          tx.all<WebhookRow>('SELECT * FROM conversation_webhooks WHERE conversation_sid = ? ORDER BY seq', [conversationSid]),
        );
        for (const w of scoped) {
          // Added after this event (the fan-out ran late): it was not there to hear it.
          if (!w.url || (w.after_seq !== null && Number(ev.seq) <= Number(w.after_seq))) continue;
          const kind = w.method === 'get' ? 'get' : 'post';
          if (w.target === 'webhook' && jsonList(w.filters).includes(ev.event_type)) {
            await add(webhookQueue, kind, w.url, postEventParams(ev, chatService, w.sid).toString());
          } else if (w.target === 'trigger' && ev.event_type === 'onMessageAdded' && triggered(ev, jsonList(w.triggers))) {
            await add(webhookQueue, kind, w.url, postEventParams(ev, chatService, w.sid).toString());
          }
        }
      }
    }
    if (ev.event_type === 'onMessageAdded' && ev.conversation_sid && this.adapter) {
      const m = (JSON.parse(ev.data) as { message: MessageRow }).message;
      const targets = await tx.all<ParticipantRow>(
        'SELECT * FROM conversation_participants WHERE conversation_sid = ? AND address IS NOT NULL ORDER BY seq',
        [ev.conversation_sid],
      );
      const mediaUrls = m.media ? (JSON.parse(m.media) as { url?: unknown }[]).map((x) => x.url).filter((u): u is string => typeof u === 'string') : [];
      for (const p of targets) {
        if (p.sid === m.participant_sid || p.address === m.author) continue;
        const out: OutboundMessage = {
          accountSid: ev.account_sid,
          conversationSid: ev.conversation_sid,
          messageSid: m.sid,
          participantSid: p.sid,
          to: p.address as string,
          from: p.proxy_address,
          body: m.body,
          mediaUrls,
        };
        if (this.adapter.handles(out)) await add(`out:${ev.conversation_sid}`, 'outbound', null, JSON.stringify(out));
      }
    }
  }

  // ---- Sending ---------------------------------------------------------------------------------

  /** Fans out, then starts sending every queue whose head is due. Returns how many queues it started. */
  async pump(): Promise<number> {
    await this.fanoutAll();
    return this.sender.pump();
  }

  private async fanoutAll(): Promise<void> {
    while ((await this.fanout()) === FANOUT_BATCH);
  }

  /** Fans out and sends everything due now, waiting for every answer. Returns how many requests were made. */
  async flush(): Promise<number> {
    const before = this.sender.requests;
    do {
      await this.fanoutAll();
      await this.sender.flush();
      // Sending may have recorded receipts (new events): one more round if so.
    } while ((await this.fanout()) > 0);
    return this.sender.requests - before;
  }

  /** True when the delivery is done with: sent, or (outbound) its receipt recorded. */
  private async deliver(row: DeliveryRow, send: Send): Promise<boolean> {
    if (row.kind === 'outbound') return this.sendOutbound(row, send);
    const params = new URLSearchParams(row.body);
    if (Number(row.attempts) > 0) params.set('RetryCount', String(row.attempts));
    const get = row.kind === 'get';
    const result = await send({ method: get ? 'GET' : 'POST', url: row.url as string, params, idempotencyToken: get ? undefined : `${row.event_seq}-${row.seq}` });
    return result.ok;
  }

  private async sendOutbound(row: DeliveryRow, send: Send): Promise<boolean> {
    if (!this.adapter) return true;
    let outcome;
    try {
      outcome = await this.adapter.deliver(JSON.parse(row.body) as OutboundMessage, { send });
    } catch {
      outcome = { status: 'retry' as const };
    }
    const status = outcome.status;
    if (status === 'retry') return false;
    await this.receipt(row, { ...outcome, status });
    return true;
  }

  private async receipt(row: DeliveryRow, outcome: { status: ReceiptStatus; channelMessageSid?: string; errorCode?: number }): Promise<void> {
    const m = JSON.parse(row.body) as OutboundMessage;
    try {
      await this.api.messages.recordReceipt(m.accountSid, m.conversationSid, m.messageSid, {
        participantSid: m.participantSid,
        status: outcome.status,
        channelMessageSid: outcome.channelMessageSid ?? null,
        errorCode: outcome.errorCode,
      });
    } catch {
      // The message, participant or conversation is gone: nothing to record.
    }
  }

  // ---- Running ---------------------------------------------------------------------------------

  /** Something committed: fan out and send what became due (only once started). */
  wake(): void {
    this.runner.wake();
  }

  /** Runs on its own: woken by commits on this node, polling for the rest. */
  start(): void {
    this.runner.start();
  }

  /** Stops sending: requests under way are canceled and left for the next run (before the database closes). */
  async stop(): Promise<void> {
    this.sender.abort();
    await this.runner.stop();
    await this.sender.idle();
  }
}

/** A 'trigger' webhook fires when a new message's body starts with one of its keywords (case-insensitive, whole word). */
function triggered(ev: EventRow, triggers: string[]): boolean {
  const body = ((JSON.parse(ev.data) as { message?: MessageRow }).message?.body ?? '').trim().toLowerCase();
  return triggers.some((t) => {
    const k = t.trim().toLowerCase();
    return k !== '' && (body === k || body.startsWith(k + ' '));
  });
}

/** What one fan-out batch read once for all its events (its transaction's view: nothing in it changes them). */
interface FanoutMemo {
  hooks: Map<string, Promise<HookSettings | undefined>>;
  scoped: Map<string, Promise<WebhookRow[]>>;
}

function once<T>(memo: Map<string, Promise<T>>, key: string, read: () => Promise<T>): Promise<T> {
  let got = memo.get(key);
  if (!got) memo.set(key, (got = read()));
  return got;
}
