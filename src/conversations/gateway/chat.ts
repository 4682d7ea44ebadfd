import type { FastifyInstance } from 'fastify';
import { routeUpgrade } from '../../http/upgrades.ts';
import { Pump } from '../../core/pump.ts';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { AccessTokenError, verifyAccessToken } from '../../core/access-token.ts';
import type { Clock } from '../../core/clock.ts';
import { invalidParameter, TwilioError } from '../../core/errors.ts';
import { parseJson } from '../../core/input.ts';
import { settledEventsSince } from '../events.ts';
import type { MessageRow, ParticipantRow } from '../model.ts';
import type { Cause } from '../service/deps.ts';
import type { ConversationsApi } from '../services.ts';
import { preEvent } from '../webhooks/pre-event.ts';
import { DEFAULT_SOCKETS_PER_IDENTITY, jsonFrameLimit, refuseUpgrade, SocketEndpoint } from '../../http/websocket-limits.ts';
import { MAX_ATTRIBUTES } from '../http/validate.ts';
import { MAX_BODY } from '../service/messages.ts';

/**
 * The chat WebSocket: ws(s)://HOST/conversations/v1/Gateway/Chat?token=JWT, where JWT is a Twilio
 * access token with a ChatGrant (twilio.jwt.AccessToken, signed with an API key secret; or as
 * `Authorization: Bearer JWT`). A bad, expired or forged token gets HTTP 401 and no socket.
 *
 * Server → client (JSON text frames):
 *   {"type":"ready","identity":"alice"}
 *   {"type":"message","conversation_sid":"CH...","message":{"sid","index","author","body","attributes","participant_sid","media","date_created"}}
 *     for every message added to a conversation where the identity is a participant (its own included);
 *   {"type":"participant","event":"joined"|"left","conversation_sid","participant_sid","identity","attributes"}
 *     for every participant added to or removed from such a conversation (`attributes` parsed: an
 *     object), so a customer's page can say "Alice joined" / "Alice left the chat"; the one who left
 *     gets the frame too;
 *   {"type":"ack","ref":...,"conversation_sid","message_sid","index"} / {"type":"error","ref":...,"code","message"}
 * Client → server:
 *   {"type":"message","conversation_sid":"CH... or unique name","body":"...","attributes":"{}","ref":any}
 *     adds a message authored by the token's identity, which must be a participant.
 */
export const CHAT_PATH = '/conversations/v1/Gateway/Chat';

const GATEWAY: Cause = { source: 'gateway', webhooksEnabled: true };
const POLL_MS = 1_000;
/** A client frame carries one message: its body and attributes at their longest, however escaped. */
export const CHAT_MAX_FRAME = jsonFrameLimit(MAX_BODY + MAX_ATTRIBUTES);

interface Session {
  accountSid: string;
  identity: string;
}

export class ChatGateway {
  private readonly endpoint: SocketEndpoint;
  private readonly sockets = new Map<string, Set<WebSocket>>();
  private cursor: number | null = null;
  private readonly waker = new Pump(() => this.push());
  private readonly timer: NodeJS.Timeout;

  constructor(
    app: FastifyInstance,
    private readonly api: ConversationsApi,
    private readonly clock: Clock,
    socketsPerIdentity = DEFAULT_SOCKETS_PER_IDENTITY,
  ) {
    this.endpoint = new SocketEndpoint({ maxFrameBytes: CHAT_MAX_FRAME, perIdentity: socketsPerIdentity });
    routeUpgrade(app, CHAT_PATH, (req, socket, head) => this.upgrade(req, socket, head));
    this.timer = setInterval(() => this.wake(), POLL_MS);
    this.timer.unref();
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const token = url.searchParams.get('token') ?? bearer ?? '';
    let session: Session;
    // Only a bad token is a 401; anything else (the store failing) reaches the upgrade router's guard as a 500.
    await this.ensureCursor();
    try {
      const t = await verifyAccessToken(
        token,
        async (sid, account) => (await this.api.db.get<{ secret: string }>('SELECT secret FROM api_keys WHERE sid = ? AND account_sid = ?', [sid, account]))?.secret,
        this.clock.now(),
        'chat',
      );
      session = { accountSid: t.accountSid, identity: t.identity };
    } catch (err) {
      if (!(err instanceof AccessTokenError)) throw err;
      return refuseUpgrade(socket, new TwilioError(err.code, 401, err.message));
    }
    this.endpoint.accept(`${session.accountSid}|${session.identity}`, req, socket, head, (ws) => this.open(ws, session));
  }

  private open(ws: WebSocket, s: Session): void {
    const key = `${s.accountSid}|${s.identity}`;
    let set = this.sockets.get(key);
    if (!set) this.sockets.set(key, (set = new Set()));
    set.add(ws);
    ws.on('close', () => {
      set.delete(ws);
      if (set.size === 0) this.sockets.delete(key);
    });
    ws.on('message', (data) => void this.onFrame(ws, s, data.toString()));
    ws.send(JSON.stringify({ type: 'ready', identity: s.identity }));
  }

  private async onFrame(ws: WebSocket, s: Session, text: string): Promise<void> {
    let frame: Record<string, unknown>;
    try {
      const v = parseJson(text, 'frame');
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw invalidParameter('Invalid frame: must be a JSON object');
      frame = v as Record<string, unknown>;
    } catch (err) {
      ws.send(JSON.stringify({ type: 'error', code: 20001, message: (err as Error).message }));
      return;
    }
    const ref = frame.ref;
    try {
      if (frame.type !== 'message') throw new TwilioError(20001, 400, `Unknown frame type '${String(frame.type)}'`);
      const conversation = typeof frame.conversation_sid === 'string' ? frame.conversation_sid : '';
      const body = typeof frame.body === 'string' ? frame.body : undefined;
      const attributes = typeof frame.attributes === 'string' ? frame.attributes : undefined;
      // Attributes are JSON text inside the frame: held to the same rules as the frame itself.
      if (attributes !== undefined) parseJson(attributes, 'attributes');
      // Only a participant may write (throws 20404 otherwise).
      const { conversation: c } = await this.api.participants.get(s.accountSid, conversation, s.identity);
      await preEvent(this.api.db, s.accountSid, 'onMessageAdd', { Source: 'SDK', ClientIdentity: s.identity, ConversationSid: c.sid, Author: s.identity, Body: body, Attributes: attributes });
      const m = await this.api.messages.create(s.accountSid, c.sid, { author: s.identity, body, attributes }, GATEWAY);
      ws.send(JSON.stringify({ type: 'ack', ref, conversation_sid: c.sid, message_sid: m.message.sid, index: m.message.message_index }));
    } catch (err) {
      const e = err instanceof TwilioError ? err : new TwilioError(20500, 500, 'An internal server error occurred');
      ws.send(JSON.stringify({ type: 'error', ref, code: e.code, message: e.message }));
    }
  }

  private async ensureCursor(): Promise<void> {
    if (this.cursor !== null) return;
    const row = await this.api.db.get<{ seq: number | null }>('SELECT MAX(seq) AS seq FROM conversation_events');
    this.cursor ??= Number(row?.seq ?? 0);
  }

  /** Something committed (here or, by polling, on another node): push new messages to their sockets. */
  wake(): void {
    if (this.cursor === null) return;
    this.waker.wake();
  }

  private async push(): Promise<void> {
    for (;;) {
      const events = await settledEventsSince(this.api.db, this.cursor ?? 0, 200);
      if (events.length === 0) return;
      for (const ev of events) {
        this.cursor = Number(ev.seq);
        if (!ev.conversation_sid || this.sockets.size === 0) continue;
        let frame: string;
        const to = new Set<string>();
        if (ev.event_type === 'onMessageAdded') {
          const m = (JSON.parse(ev.data) as { message: MessageRow }).message;
          frame = JSON.stringify({ type: 'message', conversation_sid: ev.conversation_sid, message: messageView(m) });
        } else if (ev.event_type === 'onParticipantAdded' || ev.event_type === 'onParticipantRemoved') {
          const p = (JSON.parse(ev.data) as { participant: ParticipantRow }).participant;
          frame = JSON.stringify({
            type: 'participant',
            event: ev.event_type === 'onParticipantAdded' ? 'joined' : 'left',
            conversation_sid: ev.conversation_sid,
            participant_sid: p.sid,
            identity: p.identity,
            attributes: parseObject(p.attributes),
          });
          // The one removed is no longer a participant, but was in it: they hear that they left.
          if (p.identity) to.add(p.identity);
        } else continue;
        const rows = await this.api.db.all<{ identity: string }>(
          'SELECT identity FROM conversation_participants WHERE conversation_sid = ? AND identity IS NOT NULL',
          [ev.conversation_sid],
        );
        for (const { identity } of rows) to.add(identity);
        for (const identity of to) for (const ws of this.sockets.get(`${ev.account_sid}|${identity}`) ?? []) ws.send(frame);
      }
    }
  }

  /** Waits for pushes under way (tests). */
  async idle(): Promise<void> {
    await this.waker.idle();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    for (const set of this.sockets.values()) for (const ws of set) ws.terminate();
    this.sockets.clear();
    await this.idle();
    await this.endpoint.close();
  }
}

/** A message as the socket (and the web chat transcript) shows it. */
export function messageView(m: MessageRow) {
  return {
    sid: m.sid,
    index: Number(m.message_index),
    author: m.author,
    body: m.body,
    attributes: m.attributes,
    participant_sid: m.participant_sid,
    media: m.media ? JSON.parse(m.media) : null,
    date_created: new Date(Number(m.date_created)).toISOString(),
  };
}

/** Participant attributes are JSON text in the store; a frame carries the object ({} if not an object). */
function parseObject(text: string | null | undefined): Record<string, unknown> {
  try {
    const v = JSON.parse(text ?? '{}');
    return v && typeof v === 'object' && !Array.isArray(v) ? v : {};
  } catch {
    return {};
  }
}
