import { isoDate } from '../../../core/clock.ts';
import { invalidParameter } from '../../../core/errors.ts';
import type { Executor } from '../../../store/database.ts';
import type { ConversationRow, MessageRow, ParticipantRow } from '../../model.ts';
import { deliveries } from '../../service/messages.ts';
import { lastMessage, levelOf } from './derive.ts';
import type { SyncObject } from './names.ts';
import { conversationData, messageData, participantData, userConversationData, userInfoData } from './views.ts';

/** Which items of a list or map a query asks for: one (Index/Key), or a page from a key in an order. */
export interface ItemQuery {
  /** One item only. */
  only?: string;
  /** Start here, inclusive (the SDK's From). */
  from?: string;
  order: 'asc' | 'desc';
  pageSize: number;
}

export interface Item {
  key: string | number;
  data: unknown;
  dateUpdated: number;
}

export interface ItemPage {
  items: Item[];
  /** Whether items come before the first (in the query's order), and after the last. */
  before: boolean;
  after: boolean;
}

export const MAX_PAGE_SIZE = 100;

/** Reads Sync's item query parameters (HideExpired is ignored: nothing here expires). */
export function itemQuery(q: URLSearchParams, keyName: 'Index' | 'Key'): ItemQuery {
  const size = q.get('PageSize');
  if (size !== null && !/^\d{1,3}$/.test(size)) throw invalidParameter('Invalid PageSize: must be an integer from 1 to 100');
  const pageSize = size === null ? 50 : Number(size);
  if (pageSize < 1 || pageSize > MAX_PAGE_SIZE) throw invalidParameter('Invalid PageSize: must be an integer from 1 to 100');
  const order = q.get('Order') ?? 'asc';
  if (order !== 'asc' && order !== 'desc') throw invalidParameter("Invalid Order: must be 'asc' or 'desc'");
  const only = q.get(keyName) ?? undefined;
  const from = q.get('From') ?? undefined;
  if (keyName === 'Index') for (const v of [only, from]) if (v !== undefined && !/^\d{1,15}$/.test(v)) throw invalidParameter(`Invalid ${v === only ? 'Index' : 'From'}: must be a list index`);
  return { only, from, order, pageSize };
}

/** The conversation document's data now. */
export async function documentOf(db: Executor, c: ConversationRow) {
  return conversationData(c, await lastMessage(db, c.sid));
}

/**
 * A page of a list's or map's items as they are now. Keys compare as the SDK compares them: list
 * indexes as numbers, map keys as strings (SIDs and the user info keys, all ASCII).
 */
export async function itemsOf(db: Executor, o: SyncObject, q: ItemQuery, now: number): Promise<ItemPage> {
  if (o.kind === 'user_info') {
    const user = await db.get<{ friendly_name: string | null; attributes: string; date_updated: number }>(
      'SELECT friendly_name, attributes, date_updated FROM conversation_users WHERE chat_service_sid = ? AND identity = ?',
      [o.serviceSid, o.identity],
    );
    const online = await db.get('SELECT 1 AS one FROM sdk_presence WHERE chat_service_sid = ? AND identity = ? AND expires_at > ?', [o.serviceSid, o.identity, now]);
    const data = userInfoData(user ?? null, online !== undefined);
    const all = Object.entries(data).map(([key, value]) => ({ key, data: value, dateUpdated: Number(user?.date_updated ?? now) }));
    return pageInMemory(all, q);
  }
  const page = await sqlPage(db, o, q);
  return page;
}

function pageInMemory(all: Item[], q: ItemQuery): ItemPage {
  const sorted = [...all].sort((a, b) => (a.key < b.key ? -1 : 1));
  if (q.order === 'desc') sorted.reverse();
  if (q.only !== undefined) return { items: sorted.filter((i) => String(i.key) === q.only), before: false, after: false };
  const past = (k: string | number) => (q.from === undefined ? false : q.order === 'asc' ? String(k) < q.from : String(k) > q.from);
  const start = sorted.findIndex((i) => !past(i.key));
  const rest = start < 0 ? [] : sorted.slice(start);
  return { items: rest.slice(0, q.pageSize), before: start > 0, after: rest.length > q.pageSize };
}

/** The SQL of each kind of list or map: its table, key column and rows. */
function source(o: SyncObject): { table: string; key: string; where: string; args: string[] } {
  switch (o.kind) {
    case 'messages':
      return { table: 'conversation_messages', key: 'message_index', where: 'conversation_sid = ?', args: [o.conversationSid] };
    case 'roster':
      return { table: 'conversation_participants', key: 'sid', where: 'conversation_sid = ?', args: [o.conversationSid] };
    case 'my_conversations':
      return {
        table: 'conversation_participants',
        key: 'conversation_sid',
        where: 'identity = ? AND conversation_sid IN (SELECT sid FROM conversations WHERE chat_service_sid = ?)',
        args: [o.identity, o.serviceSid],
      };
    default:
      throw new Error(`not a list or map: ${o.kind}`);
  }
}

async function sqlPage(db: Executor, o: SyncObject, q: ItemQuery): Promise<ItemPage> {
  const s = source(o);
  const numeric = o.kind === 'messages';
  const val = (v: string) => (numeric ? Number(v) : v);
  const dir = q.order === 'asc' ? 'ASC' : 'DESC';
  const onward = q.order === 'asc' ? '>=' : '<=';
  const behind = q.order === 'asc' ? '<' : '>';
  let rows: Record<string, unknown>[];
  let before = false;
  if (q.only !== undefined) rows = await db.all(`SELECT * FROM ${s.table} WHERE ${s.where} AND ${s.key} = ?`, [...s.args, val(q.only)]);
  else {
    const from = q.from === undefined ? '' : ` AND ${s.key} ${onward} ?`;
    const args = q.from === undefined ? s.args : [...s.args, val(q.from)];
    rows = await db.all(`SELECT * FROM ${s.table} WHERE ${s.where}${from} ORDER BY ${s.key} ${dir} LIMIT ${q.pageSize + 1}`, args);
    if (q.from !== undefined) before = (await db.get(`SELECT 1 AS one FROM ${s.table} WHERE ${s.where} AND ${s.key} ${behind} ? LIMIT 1`, [...s.args, val(q.from)])) !== undefined;
  }
  const after = q.only === undefined && rows.length > q.pageSize;
  const page = rows.slice(0, q.pageSize);
  return { items: await toItems(db, o, page), before, after };
}

async function toItems(db: Executor, o: SyncObject, rows: Record<string, unknown>[]): Promise<Item[]> {
  if (o.kind === 'messages') {
    const summaries = await deliveries(db, rows.map((r) => String(r.sid)));
    return (rows as unknown as MessageRow[]).map((m) => ({ key: Number(m.message_index), data: messageData(m, summaries.get(m.sid) ?? null), dateUpdated: Number(m.date_updated) }));
  }
  const ps = rows as unknown as ParticipantRow[];
  if (o.kind === 'roster') {
    const service = ps.length > 0 ? (await db.get<{ chat_service_sid: string }>('SELECT chat_service_sid FROM conversations WHERE sid = ?', [o.conversationSid]))?.chat_service_sid : undefined;
    return ps.map((p) => ({ key: p.sid, data: participantData(p, service ?? ''), dateUpdated: Number(p.date_updated) }));
  }
  return ps.map((p) => ({ key: p.conversation_sid, data: userConversationData(p, levelOf(p)), dateUpdated: Number(p.date_updated) }));
}

/** An item as Sync describes it; its last_event_id is the object's, read before the item (see sync.ts). */
export function itemDescriptor(item: Item, type: 'list' | 'map', url: string, lastEventId: number) {
  return {
    [type === 'list' ? 'index' : 'key']: item.key,
    data: item.data,
    url: `${url}/${encodeURIComponent(String(item.key))}`,
    revision: String(lastEventId),
    last_event_id: lastEventId,
    date_updated: isoDate(item.dateUpdated),
    date_expires: null,
  };
}
