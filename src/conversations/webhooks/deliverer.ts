import type { Clock } from '../../core/clock.ts';
import { Pump } from '../../core/pump.ts';
import { claimHead } from '../../store/outbox.ts';
import { twilioSignature } from '../../core/signature.ts';
import type { Database, Executor } from '../../store/database.ts';
import { authTokenOf, postSigned } from '../../taskrouter/engine/delivery.ts';
import type { EventRow } from '../events.ts';
import type { ConfigRow, MessageRow, ParticipantRow, ReceiptStatus, WebhookRow } from '../model.ts';
import type { ConversationsApi } from '../services.ts';
import { jsonList } from '../service/deps.ts';
import { UNKNOWN_DELIVERY_ERROR, type DeliveryAdapter, type OutboundMessage } from '../gateway/outbound.ts';
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

const MAX_PARALLEL_QUEUES = 32;
const FANOUT_BATCH = 200;
const POLL_MS = 1_000;

/**
 * What Conversations sends out on its own, from the outbox (conversation_events):
 *
 * 1. Fan-out: every event, once, becomes rows in conversation_deliveries: post-event webhooks
 *    (account Configuration/Webhooks PostWebhookUrl when its Filters name the event; each
 *    conversation-scoped 'webhook' whose filters name it; each 'trigger' webhook whose keyword
 *    starts a new message), only for events with webhooks enabled; and, for every onMessageAdded,
 *    one outbound delivery per non-chat participant other than the author. The cursor row is
 *    locked (PostgreSQL: FOR UPDATE) so one node fans out each event.
 * 2. Sending: per queue (webhooks of one conversation; outbound messages of one conversation),
 *    strictly in order, like TaskRouter's event callbacks: a failure is retried with exponential
 *    backoff, and the delivery is given up after the last attempt so the ones behind it can go.
 *    The head of a queue is claimed (locked_until, FOR UPDATE SKIP LOCKED) before it is sent.
 */
export class ConversationDeliverer {
  private readonly opts: Required<ConversationDeliveryOptions>;
  private readonly draining = new Map<string, Promise<void>>();
  private readonly stopping = new AbortController();
  private attempts = 0;
  private running = false;
  private pollTimer: NodeJS.Timeout | null = null;
  private readonly waker = new Pump(async () => {
    await this.pump();
  }, { active: () => this.running });

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly api: ConversationsApi,
    readonly adapter: DeliveryAdapter | null,
    options: ConversationDeliveryOptions = {},
  ) {
    this.opts = { ...DEFAULTS, ...options };
  }

  private get leaseMs() {
    return 2 * this.opts.timeoutMs + 30_000;
  }

  // ---- Fan-out ---------------------------------------------------------------------------------

  /** Turns the events after the cursor into deliveries. Returns how many events it read. */
  async fanout(): Promise<number> {
    return this.db.transaction(async (tx) => {
      const lock = this.db.dialect === 'postgres' ? ' FOR UPDATE' : '';
      const cursor = await tx.get<{ seq: number }>(`SELECT seq FROM conversation_cursors WHERE name = 'fanout'${lock}`);
      const after = Number(cursor?.seq ?? 0);
      const events = await tx.all<EventRow>(`SELECT * FROM conversation_events WHERE seq > ? ORDER BY seq LIMIT ${FANOUT_BATCH}`, [after]);
      if (events.length === 0) return 0;
      const now = this.clock.now();
      for (const ev of events) await this.fanoutOne(tx, ev, now);
      const last = Number(events[events.length - 1].seq);
      if (cursor) await tx.run(`UPDATE conversation_cursors SET seq = ? WHERE name = 'fanout'`, [last]);
      else await tx.run(`INSERT INTO conversation_cursors (name, seq) VALUES ('fanout', ?)`, [last]);
      return events.length;
    });
  }

  private async fanoutOne(tx: Executor, ev: EventRow, now: number): Promise<void> {
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
      const config = await tx.get<ConfigRow>('SELECT * FROM conversation_config WHERE account_sid = ?', [ev.account_sid]);
      const chatService = config?.default_chat_service_sid ?? '';
      if (config && config.post_webhook_url && config.webhook_target === 'webhook' && jsonList(config.webhook_filters).includes(ev.event_type)) {
        const kind = config.webhook_method === 'GET' ? 'get' : 'post';
        await add(webhookQueue, kind, config.post_webhook_url, postEventParams(ev, chatService).toString());
      }
      if (ev.conversation_sid) {
        const scoped = await tx.all<WebhookRow>('SELECT * FROM conversation_webhooks WHERE conversation_sid = ? ORDER BY seq', [ev.conversation_sid]);
        for (const w of scoped) {
          if (!w.url) continue;
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

  async pump(): Promise<number> {
    await this.fanoutAll();
    const now = this.clock.now();
    const heads = await this.db.all<{ queue: string }>(
      `SELECT d.queue FROM conversation_deliveries d
         JOIN (SELECT queue, MIN(seq) AS head FROM conversation_deliveries GROUP BY queue) h ON h.head = d.seq
        WHERE d.next_attempt_at <= ? AND d.locked_until <= ?
        ORDER BY d.seq LIMIT ${MAX_PARALLEL_QUEUES * 2}`,
      [now, now],
    );
    let started = 0;
    for (const { queue } of heads) {
      if (this.draining.has(queue) || this.draining.size >= MAX_PARALLEL_QUEUES || this.stopping.signal.aborted) continue;
      const run = this.drain(queue)
        .catch(() => undefined)
        .finally(() => this.draining.delete(queue));
      this.draining.set(queue, run);
      started++;
    }
    return started;
  }

  private async fanoutAll(): Promise<void> {
    while ((await this.fanout()) === FANOUT_BATCH);
  }

  /** Fans out and sends everything due now, waiting for every answer. Returns how many requests were made. */
  async flush(): Promise<number> {
    const before = this.attempts;
    for (;;) {
      const started = await this.pump();
      if (started === 0 && this.draining.size === 0) {
        // Sending may have recorded receipts (new events): one more round if so.
        if ((await this.fanout()) === 0) break;
        continue;
      }
      await Promise.all([...this.draining.values()]);
    }
    return this.attempts - before;
  }

  private async drain(queue: string): Promise<void> {
    while (!this.stopping.signal.aborted) {
      const row = await this.claimHead(queue);
      if (!row) return;
      await this.send(row);
    }
  }

  private claimHead(queue: string): Promise<DeliveryRow | undefined> {
    return claimHead<DeliveryRow>(this.db, this.clock, 'conversation_deliveries', 'queue', queue, this.leaseMs);
  }


  private async done(row: DeliveryRow): Promise<void> {
    await this.db.run('DELETE FROM conversation_deliveries WHERE seq = ?', [row.seq]);
  }

  private async send(row: DeliveryRow): Promise<void> {
    const token = await authTokenOf(this.db, row.account_sid);
    if (token === undefined) return this.done(row);
    this.attempts++;
    let ok: boolean;
    if (row.kind === 'outbound') ok = await this.sendOutbound(row, token);
    else {
      const body = new URLSearchParams(row.body);
      if (Number(row.attempts) > 0) body.set('RetryCount', String(row.attempts));
      const result =
        row.kind === 'get'
          ? await getSigned(row.url as string, body, token, this.opts.timeoutMs, this.stopping.signal)
          : await postSigned(row.url as string, body, token, this.opts.timeoutMs, `${row.event_seq}-${row.seq}`, this.stopping.signal);
      ok = result.ok;
    }
    if (ok) return this.done(row);
    if (this.stopping.signal.aborted) {
      await this.db.run('UPDATE conversation_deliveries SET locked_until = 0 WHERE seq = ?', [row.seq]);
      return;
    }
    const attempts = Number(row.attempts) + 1;
    if (attempts >= this.opts.maxAttempts) {
      if (row.kind === 'outbound') await this.receipt(row, { status: 'failed', errorCode: UNKNOWN_DELIVERY_ERROR });
      return this.done(row);
    }
    const wait = Math.min(this.opts.retryMaxMs, this.opts.retryBaseMs * 2 ** (attempts - 1));
    await this.db.run('UPDATE conversation_deliveries SET attempts = ?, next_attempt_at = ?, locked_until = 0 WHERE seq = ?', [
      attempts,
      this.clock.now() + wait,
      row.seq,
    ]);
  }

  /** True when the outcome is final (a receipt was recorded). */
  private async sendOutbound(row: DeliveryRow, token: string): Promise<boolean> {
    if (!this.adapter) return true;
    const m = JSON.parse(row.body) as OutboundMessage;
    let outcome;
    try {
      outcome = await this.adapter.deliver(m, { authToken: token, timeoutMs: this.opts.timeoutMs, signal: this.stopping.signal });
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

  wake(): void {
    this.waker.wake();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.pollTimer = setInterval(() => this.wake(), POLL_MS);
    this.pollTimer.unref();
    this.wake();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = null;
    this.stopping.abort();
    await this.waker.idle();
    while (this.draining.size > 0) await Promise.all([...this.draining.values()]);
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

/** A GET webhook: the parameters in the query string, the full URL signed (no body). */
async function getSigned(url: string, params: URLSearchParams, authToken: string, timeoutMs: number, cancel?: AbortSignal): Promise<{ ok: boolean }> {
  const full = url + (url.includes('?') ? '&' : '?') + params.toString();
  try {
    const timeout = AbortSignal.timeout(timeoutMs);
    const res = await fetch(full, {
      method: 'GET',
      headers: { 'x-twilio-signature': twilioSignature(authToken, full), 'user-agent': 'TwilioProxy/1.1' },
      redirect: 'manual',
      signal: cancel ? AbortSignal.any([timeout, cancel]) : timeout,
    });
    await res.text();
    return { ok: res.status >= 200 && res.status < 300 };
  } catch {
    return { ok: false };
  }
}
