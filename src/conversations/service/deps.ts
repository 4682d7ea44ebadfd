import type { Clock } from '../../core/clock.ts';
import { invalidParameter, notFound } from '../../core/errors.ts';
import { isSid, newSid } from '../../core/sid.ts';
import type { Database, Executor } from '../../store/database.ts';
import { conversations, services, type ConfigRow, type ConversationRow, type ServiceRow } from '../model.ts';

/** What every Conversations service needs. */
export interface Deps {
  db: Database;
  clock: Clock;
  /** Called after every committed write: wakes whoever reads conversation_events (webhooks, gateways). */
  changed(): void;
}

/** Who asked and how: carried into the events a change records. */
export interface Cause {
  source: 'api' | 'timer' | 'gateway';
  /** X-Twilio-Webhook-Enabled for REST calls (false unless the header says true). */
  webhooksEnabled: boolean;
}

export const API: Cause = { source: 'api', webhooksEnabled: false };

/**
 * Runs fn in one transaction, then tells the listeners something changed. Given the transaction of
 * another product (an interaction set up with its task), fn joins it: that caller commits, then
 * calls `changed()`.
 */
export async function write<T>(deps: Deps, fn: (tx: Executor) => Promise<T>, outer?: Executor): Promise<T> {
  if (outer) return fn(outer);
  const result = await deps.db.transaction(fn);
  deps.changed();
  return result;
}

/**
 * Serialises changes to one conversation (message indexes, timers, state, the webhook limit).
 * PostgreSQL: an advisory lock held to the end of the transaction; SQLite runs one transaction at a time.
 */
export async function lockConversation(db: Database, tx: Executor, conversationSid: string): Promise<void> {
  if (db.dialect === 'postgres') await tx.run('SELECT pg_advisory_xact_lock(hashtext(?))', [`conversation:${conversationSid}`]);
}

/**
 * The account's default Conversation Service and configuration, created on first use. Safe under
 * concurrency: both inserts yield to one that got there first.
 */
export async function accountDefaults(db: Executor, accountSid: string, now: number): Promise<{ service: ServiceRow; config: ConfigRow }> {
  let service = await services.first(db, ['account_sid = ?', accountSid]);
  if (!service) {
    await db.run(
      'INSERT INTO conversation_services (sid, account_sid, friendly_name, date_created, date_updated) VALUES (?, ?, ?, ?, ?) ON CONFLICT (account_sid) DO NOTHING',
      [newSid('IS'), accountSid, 'Default Conversation Service', now, now],
    );
    service = (await services.first(db, ['account_sid = ?', accountSid])) as ServiceRow;
  }
  let config = await db.get<ConfigRow>('SELECT * FROM conversation_config WHERE account_sid = ?', [accountSid]);
  if (!config) {
    await db.run(
      'INSERT INTO conversation_config (account_sid, default_chat_service_sid, default_messaging_service_sid, default_inactive_timer, default_closed_timer, ' +
        'webhook_method, webhook_filters, pre_webhook_url, post_webhook_url, webhook_target, date_created, date_updated) ' +
        'VALUES (?, ?, NULL, NULL, NULL, ?, ?, NULL, NULL, ?, ?, ?) ON CONFLICT (account_sid) DO NOTHING',
      [accountSid, service.sid, 'POST', '[]', 'webhook', now, now],
    );
    config = (await db.get<ConfigRow>('SELECT * FROM conversation_config WHERE account_sid = ?', [accountSid])) as ConfigRow;
  }
  return { service, config };
}

/**
 * Service-scoped paths (/v1/Services/IS.../...) act on the account's default service; any other
 * service SID is unknown here.
 */
export async function requireService(deps: Deps, accountSid: string, serviceSid: string | undefined): Promise<ServiceRow> {
  const { service } = await accountDefaults(deps.db, accountSid, deps.clock.now());
  if (serviceSid !== undefined && serviceSid !== service.sid) throw notFound(`/v1/Services/${serviceSid}`);
  return service;
}

/** A conversation by SID or unique name, within the account. */
export async function findConversation(db: Executor, accountSid: string, sidOrName: string): Promise<ConversationRow> {
  const row = isSid(sidOrName, 'CH')
    ? await conversations.get(db, sidOrName, ['account_sid = ?', accountSid])
    : await conversations.first(db, ['account_sid = ?', accountSid], ['unique_name = ?', sidOrName]);
  if (!row) throw notFound(`/v1/Conversations/${sidOrName}`);
  return row;
}

/** The conversation, locked for the rest of the transaction (re-read after taking the lock). */
export async function lockedConversation(db: Database, tx: Executor, accountSid: string, sidOrName: string): Promise<ConversationRow> {
  const found = await findConversation(tx, accountSid, sidOrName);
  await lockConversation(db, tx, found.sid);
  const row = await conversations.get(tx, found.sid);
  if (!row) throw notFound(`/v1/Conversations/${sidOrName}`);
  return row;
}

/** The row after a patch: the patch's defined values over the old ones. */
export function patched<R>(row: R, patch: Partial<R>): R {
  const out = { ...row };
  for (const [k, v] of Object.entries(patch)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** JSON text of a string array stored in a column. */
export function jsonList(text: string | null | undefined): string[] {
  if (!text) return [];
  try {
    const v = JSON.parse(text);
    return Array.isArray(v) ? v.map(String) : [];
  } catch {
    return [];
  }
}

export function requireNonEmpty(value: string | undefined, name: string): void {
  if (value !== undefined && value.trim() === '') throw invalidParameter(`${name} must not be empty`);
}
