import type { Executor } from '../../store/database.ts';
import { parseDuration } from '../duration.ts';
import { recordEvent } from '../events.ts';
import { conversations, type ConversationRow, type ConversationState } from '../model.ts';
import type { Cause } from './deps.ts';

/**
 * A conversation's state and timers. States go active <-> inactive -> closed; closed is final.
 * Timers count from the conversation's last activity (creation, a new message, a new participant,
 * a move back to active): `date_inactive` = activity + Timers.Inactive, `date_closed` = activity +
 * Timers.Closed, as in Twilio's examples. A zero duration means no timer. Durable rows in
 * conversation_timers make them fire (see ../timers.ts): 'inactive' only while active,
 * 'closed' while not closed.
 */

export type StateReason = 'api' | 'timer' | 'activity';

/** Milliseconds of a stored duration; 0 or null means none. */
function ms(duration: string | null): number | null {
  if (!duration) return null;
  const v = parseDuration(duration);
  return v && v > 0 ? v : null;
}

export function inactiveDate(c: Pick<ConversationRow, 'timer_inactive'>, anchor: number): number | null {
  const d = ms(c.timer_inactive);
  return d === null ? null : anchor + d;
}

export function closedDate(c: Pick<ConversationRow, 'timer_closed'>, anchor: number): number | null {
  const d = ms(c.timer_closed);
  return d === null ? null : anchor + d;
}

/** Makes the timer rows match the conversation row (`created`: it is new, and has none yet). */
export async function syncTimers(tx: Executor, c: ConversationRow, created = false): Promise<void> {
  if (!created) await tx.run('DELETE FROM conversation_timers WHERE conversation_sid = ?', [c.sid]);
  const add = (kind: 'inactive' | 'closed', due: number) =>
    tx.run('INSERT INTO conversation_timers (kind, conversation_sid, account_sid, due_at) VALUES (?, ?, ?, ?)', [kind, c.sid, c.account_sid, due]);
  if (c.state === 'active' && c.date_inactive !== null) await add('inactive', c.date_inactive);
  if (c.state !== 'closed' && c.date_closed !== null) await add('closed', c.date_closed);
}

/**
 * Moves the conversation to `to` with everything that follows: closing frees its participants'
 * messaging bindings and stops its timers; becoming active again restarts them. Records
 * onConversationStateUpdated. Returns the row as it now is.
 */
export async function changeState(
  tx: Executor,
  c: ConversationRow,
  to: ConversationState,
  now: number,
  reason: StateReason,
  cause: Cause,
): Promise<ConversationRow> {
  if (c.state === to) return c;
  const next: ConversationRow = { ...c, state: to, date_updated: now };
  if (to === 'closed') {
    // Closed shows when it closed; a timer that can no longer fire is not shown.
    if (next.date_closed === null || next.date_closed > now) next.date_closed = now;
    if (next.date_inactive !== null && next.date_inactive > now) next.date_inactive = null;
    await tx.run('UPDATE conversation_participants SET binding_open = 0 WHERE conversation_sid = ?', [c.sid]);
  }
  if (to === 'active') {
    next.date_inactive = inactiveDate(next, now);
    next.date_closed = closedDate(next, now);
  }
  await conversations.update(tx, c.sid, {
    state: next.state,
    date_inactive: next.date_inactive,
    date_closed: next.date_closed,
    date_updated: next.date_updated,
  });
  await syncTimers(tx, next);
  await recordEvent(tx, now, {
    accountSid: c.account_sid,
    conversationSid: c.sid,
    type: 'onConversationStateUpdated',
    resourceSid: c.sid,
    source: cause.source,
    webhooksEnabled: cause.webhooksEnabled,
    data: { conversation: next, state_from: c.state, state_to: to, reason },
  });
  return next;
}

/**
 * Something happened in the conversation (a message, a participant joined): an inactive
 * conversation becomes active, and the timers start over from now.
 */
export async function activity(tx: Executor, c: ConversationRow, now: number, cause: Cause): Promise<ConversationRow> {
  if (c.state === 'closed') return c;
  if (c.state === 'inactive') return changeState(tx, c, 'active', now, 'activity', cause);
  const next: ConversationRow = { ...c, date_inactive: inactiveDate(c, now), date_closed: closedDate(c, now) };
  if (next.date_inactive !== c.date_inactive || next.date_closed !== c.date_closed) {
    await tx.run('UPDATE conversations SET date_inactive = ?, date_closed = ? WHERE sid = ?', [next.date_inactive, next.date_closed, c.sid]);
    await syncTimers(tx, next);
  }
  return next;
}
