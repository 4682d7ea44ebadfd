import { createHash } from 'node:crypto';
import type { Clock } from '../../core/clock.ts';
import { invalidParameter, notFound } from '../../core/errors.ts';
import { isSid, newSid } from '../../core/sid.ts';
import { BUILTIN_ROLES } from '../../core/conversations-permissions.ts';
import type { Database, Executor } from '../../store/database.ts';
import type { Condition } from '../../store/table.ts';
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
  source: 'api' | 'timer' | 'gateway' | 'sdk';
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
  await db.lock(tx, `conversation:${conversationSid}`);
}

/**
 * The account's default Conversation Service and configuration, created on first use. The first
 * default service's SID is derived from the account's, so nodes creating it at once insert the same
 * row (and the service lands before the configuration that names it).
 */
export async function accountDefaults(db: Executor, accountSid: string, now: number): Promise<{ service: ServiceRow; config: ConfigRow }> {
  let config = await readConfig(db, accountSid);
  if (!config) {
    const sid = firstServiceSid(accountSid);
    await insertService(db, { sid, accountSid, friendlyName: 'Default Conversation Service' }, now);
    await db.run(
      'INSERT INTO conversation_config (account_sid, default_chat_service_sid, default_messaging_service_sid, default_inactive_timer, default_closed_timer, ' +
        'webhook_method, webhook_filters, pre_webhook_url, post_webhook_url, webhook_target, date_created, date_updated) ' +
        'VALUES (?, ?, NULL, NULL, NULL, ?, ?, NULL, NULL, ?, ?, ?) ON CONFLICT (account_sid) DO NOTHING',
      [accountSid, sid, 'POST', '[]', 'webhook', now, now],
    );
    config = (await readConfig(db, accountSid)) as ConfigRow;
  }
  // The default cannot be deleted, nor made a service that is being deleted (both lock the configuration row).
  const service = await services.get(db, config.default_chat_service_sid);
  if (!service) throw new Error(`The default Conversation Service ${config.default_chat_service_sid} of ${accountSid} is missing`);
  return { service, config };
}

/**
 * The account's configuration, its row locked to the end of the transaction: changing the default
 * service and deleting a service take it first, so a default is never a deleted service.
 */
export async function lockedConfig(tx: Executor, accountSid: string, now: number): Promise<ConfigRow> {
  await accountDefaults(tx, accountSid, now);
  await tx.run('UPDATE conversation_config SET account_sid = account_sid WHERE account_sid = ?', [accountSid]);
  return (await readConfig(tx, accountSid)) as ConfigRow;
}

const readConfig = (db: Executor, accountSid: string) => db.get<ConfigRow>('SELECT * FROM conversation_config WHERE account_sid = ?', [accountSid]);

function firstServiceSid(accountSid: string): string {
  return 'IS' + createHash('sha256').update(`conversation-service:${accountSid}`).digest('hex').slice(0, 32);
}

/**
 * A new service, with its built-in roles; what it holds before anything is configured is the
 * schema's defaults (migration 14).
 */
export async function insertService(db: Executor, s: { sid: string; accountSid: string; friendlyName: string }, now: number): Promise<void> {
  await db.run(
    'INSERT INTO conversation_services (sid, account_sid, friendly_name, date_created, date_updated) VALUES (?, ?, ?, ?, ?) ON CONFLICT (sid) DO NOTHING',
    [s.sid, s.accountSid, s.friendlyName, now, now],
  );
  await insertBuiltinRoles(db, { sid: s.sid, account_sid: s.accountSid }, now);
}

/**
 * The roles a service starts with. Made with the service, so reading roles never writes; services
 * from before roles existed get them at start (`ensureBuiltinRoles`). Inserting twice (two nodes)
 * keeps one of each (unique per service and built-in name).
 */
async function insertBuiltinRoles(db: Executor, service: { sid: string; account_sid: string }, now: number): Promise<void> {
  for (const b of BUILTIN_ROLES)
    await db.run(
      'INSERT INTO conversation_roles (sid, account_sid, chat_service_sid, friendly_name, type, permissions, builtin, date_created, date_updated) ' +
        'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
      [newSid('RL'), service.account_sid, service.sid, b.friendlyName, b.type, JSON.stringify(b.permissions), b.friendlyName, now, now],
    );
}

/** Gives every service without its built-in roles (made before roles existed) those roles; run at start. */
export async function ensureBuiltinRoles(db: Database, now: number): Promise<void> {
  const missing = await db.all<{ sid: string; account_sid: string }>(
    `SELECT s.sid, s.account_sid FROM conversation_services s
      WHERE (SELECT COUNT(*) FROM conversation_roles r WHERE r.chat_service_sid = s.sid AND r.builtin IS NOT NULL) < ?`,
    [BUILTIN_ROLES.length],
  );
  for (const service of missing) await db.transaction((tx) => insertBuiltinRoles(tx, service, now));
}

/** A service of the account, or 404. */
export async function serviceIn(db: Executor, accountSid: string, serviceSid: string): Promise<ServiceRow> {
  const service = isSid(serviceSid, 'IS') ? await services.get(db, serviceSid, ['account_sid = ?', accountSid]) : undefined;
  if (!service) throw notFound(`/v1/Services/${serviceSid}`);
  return service;
}

/** The service a path names (/v1/Services/IS.../...), any of the account's; without one, the account's default. */
export async function requireService(deps: Deps, accountSid: string, serviceSid: string | undefined): Promise<ServiceRow> {
  const { service } = await accountDefaults(deps.db, accountSid, deps.clock.now());
  if (serviceSid === undefined || serviceSid === service.sid) return service;
  return serviceIn(deps.db, accountSid, serviceSid);
}

/**
 * A conversation by SID or unique name, within the account, and within one service when given
 * (unique names are unique per service; without a service a name matches the oldest).
 */
export async function findConversation(db: Executor, accountSid: string, sidOrName: string, serviceSid?: string): Promise<ConversationRow> {
  const where: Condition[] = [['account_sid = ?', accountSid]];
  if (serviceSid !== undefined) where.push(['chat_service_sid = ?', serviceSid]);
  const row = isSid(sidOrName, 'CH') ? await conversations.get(db, sidOrName, ...where) : await conversations.first(db, ...where, ['unique_name = ?', sidOrName]);
  if (!row) throw notFound(`/v1/Conversations/${sidOrName}`);
  return row;
}

/**
 * Keeps a service from being deleted while something is written in it (shared: every writer), or
 * waits for those writers and keeps new ones out (exclusive: the service's deletion).
 * PostgreSQL advisory locks to the end of the transaction; SQLite runs one transaction at a time.
 */
export async function lockService(db: Database, tx: Executor, serviceSid: string, mode: 'shared' | 'exclusive'): Promise<void> {
  await db.lock(tx, `service:${serviceSid}`, mode);
}

/** The conversation, locked for the rest of the transaction (re-read after taking the lock), with its service. */
export async function lockedConversation(db: Database, tx: Executor, accountSid: string, sidOrName: string): Promise<ConversationRow> {
  const found = await findConversation(tx, accountSid, sidOrName);
  await lockService(db, tx, found.chat_service_sid, 'shared');
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
