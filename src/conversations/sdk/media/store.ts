import { invalidParameter } from '../../../core/errors.ts';
import { newSid } from '../../../core/sid.ts';
import type { Executor } from '../../../store/database.ts';
import type { MediaEntry } from '../../model.ts';

/** The largest media file the service takes (ours: media live in the store; the SDK is told through its options). */
export const MAX_MEDIA_BYTES = 5 * 1024 * 1024;

export interface MediaRow {
  sid: string;
  account_sid: string;
  chat_service_sid: string;
  author: string;
  category: string;
  content_type: string;
  filename: string | null;
  size: number;
  conversation_sid: string | null;
  message_sid: string | null;
  date_created: number;
}

const COLUMNS = 'sid, account_sid, chat_service_sid, author, category, content_type, filename, size, conversation_sid, message_sid, date_created';

export async function insertMedia(db: Executor, m: Omit<MediaRow, 'sid' | 'conversation_sid' | 'message_sid'>, content: Buffer): Promise<MediaRow> {
  const row: MediaRow = { ...m, sid: newSid('ME'), conversation_sid: null, message_sid: null };
  await db.run(`INSERT INTO sdk_media (${COLUMNS}, content) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
    row.sid,
    row.account_sid,
    row.chat_service_sid,
    row.author,
    row.category,
    row.content_type,
    row.filename,
    row.size,
    null,
    null,
    row.date_created,
    content.toString('base64'),
  ]);
  return row;
}

export function mediaRow(db: Executor, serviceSid: string, sid: string): Promise<MediaRow | undefined> {
  return db.get<MediaRow>(`SELECT ${COLUMNS} FROM sdk_media WHERE sid = ? AND chat_service_sid = ?`, [sid, serviceSid]);
}

export async function mediaContent(db: Executor, sid: string): Promise<Buffer | undefined> {
  const row = await db.get<{ content: string }>('SELECT content FROM sdk_media WHERE sid = ?', [sid]);
  return row ? Buffer.from(row.content, 'base64') : undefined;
}

/**
 * The media a message names, as its entries (size, type, name): each must be the author's own
 * upload to this service, not yet attached to a message.
 */
export async function mediaEntries(db: Executor, accountSid: string, serviceSid: string, author: string, sids: string[]): Promise<MediaEntry[]> {
  const out: MediaEntry[] = [];
  for (const sid of sids) {
    const m = await mediaRow(db, serviceSid, sid);
    if (!m || m.account_sid !== accountSid || m.author !== author || m.message_sid !== null) throw invalidParameter(`Invalid media_sids: ${sid} is not media uploaded to this service for a new message`);
    out.push({ sid: m.sid, size: Number(m.size), content_type: m.content_type, filename: m.filename });
  }
  return out;
}

/** Ties uploaded media to the message that carries them: from then on its conversation's participants may read them. */
export async function attachMedia(db: Executor, sids: string[], conversationSid: string, messageSid: string): Promise<void> {
  for (const sid of sids) await db.run('UPDATE sdk_media SET conversation_sid = ?, message_sid = ? WHERE sid = ? AND message_sid IS NULL', [conversationSid, messageSid, sid]);
}
