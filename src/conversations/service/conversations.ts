import { invalidParameter } from '../../core/errors.ts';
import { isSid, newSid } from '../../core/sid.ts';
import { isUniqueViolation, type Executor } from '../../store/database.ts';
import { conversationClosed, initialStateClosed, uniqueNameLooksLikeSid, uniqueNameTaken } from '../errors.ts';
import { recordEvent } from '../events.ts';
import { conversations, type ConversationRow, type ConversationState } from '../model.ts';
import { accountDefaults, lockedConversation, findConversation, lockService, serviceIn, write, type Cause, type Deps } from './deps.ts';
import { changeState, closedDate, inactiveDate, syncTimers } from './lifecycle.ts';

export interface ConversationInput {
  friendlyName?: string;
  uniqueName?: string;
  dateCreated?: number;
  dateUpdated?: number;
  messagingServiceSid?: string;
  attributes?: string;
  state?: 'active' | 'inactive' | 'closed';
  /** Validated ISO 8601 durations ('PT0S' switches a timer off). */
  timerInactive?: string;
  timerClosed?: string;
  emailAddress?: string;
  emailName?: string;
  /** The service to create it in (any of the account's); the account's default when not given. */
  chatServiceSid?: string;
  /** The identity that created it through the SDK (REST leaves it null). */
  createdBy?: string;
}

export interface ConversationFilter {
  /** Only this service's conversations (any service when not given). */
  serviceSid?: string;
  startDate?: number;
  endDate?: number;
  state?: ConversationState;
}

const UNIQUE_NAME_TAKEN = (name: string) => uniqueNameTaken(`Conversation with provided unique name already exists: '${name}'`);

export class ConversationService {
  constructor(private readonly deps: Deps) {}

  async create(accountSid: string, input: ConversationInput, cause: Cause, outer?: Executor): Promise<ConversationRow> {
    if (input.state === 'closed') throw initialStateClosed("A conversation cannot be created in state 'closed'");
    checkUniqueName(input.uniqueName);
    const now = this.deps.clock.now();
    return write(this.deps, async (tx) => {
      const { service: fallback, config } = await accountDefaults(tx, accountSid, now);
      await lockService(this.deps.db, tx, input.chatServiceSid ?? fallback.sid, 'shared');
      const service = await serviceIn(tx, accountSid, input.chatServiceSid ?? fallback.sid);
      if (input.uniqueName) await this.requireFreeName(tx, service.sid, input.uniqueName);
      const created = input.dateCreated ?? now;
      const row: ConversationRow = {
        sid: newSid('CH'),
        account_sid: accountSid,
        chat_service_sid: service.sid,
        messaging_service_sid: input.messagingServiceSid ?? config.default_messaging_service_sid,
        friendly_name: input.friendlyName ?? null,
        unique_name: input.uniqueName || null,
        attributes: input.attributes ?? '{}',
        state: input.state ?? 'active',
        timer_inactive: input.timerInactive ?? config.default_inactive_timer,
        timer_closed: input.timerClosed ?? config.default_closed_timer,
        date_inactive: null,
        date_closed: null,
        email_address: input.emailAddress ?? null,
        email_name: input.emailName ?? null,
        created_by: input.createdBy ?? null,
        next_message_index: 0,
        date_created: created,
        date_updated: input.dateUpdated ?? created,
      };
      // Timers run from now (the conversation's first activity), whatever DateCreated says.
      row.date_inactive = inactiveDate(row, now);
      row.date_closed = closedDate(row, now);
      await insertUniquely(() => conversations.insert(tx, row), row.unique_name);
      await syncTimers(tx, row, true);
      await recordEvent(tx, now, {
        accountSid,
        conversationSid: row.sid,
        type: 'onConversationAdded',
        resourceSid: row.sid,
        ...cause,
        data: { conversation: row },
      });
      return row;
    }, outer);
  }

  /** By SID or unique name; within one service when given. */
  get(accountSid: string, sidOrName: string, serviceSid?: string): Promise<ConversationRow> {
    return findConversation(this.deps.db, accountSid, sidOrName, serviceSid);
  }

  async list(accountSid: string, filter: ConversationFilter, limit: number, offset: number): Promise<ConversationRow[]> {
    const where: [string, ...(string | number)[]][] = [['account_sid = ?', accountSid]];
    if (filter.serviceSid !== undefined) where.push(['chat_service_sid = ?', filter.serviceSid]);
    if (filter.startDate !== undefined) where.push(['date_created >= ?', filter.startDate]);
    if (filter.endDate !== undefined) where.push(['date_created <= ?', filter.endDate]);
    if (filter.state !== undefined) where.push(['state = ?', filter.state]);
    return conversations.list(this.deps.db, { where, limit, offset });
  }

  async update(accountSid: string, sidOrName: string, input: ConversationInput, cause: Cause, outer?: Executor): Promise<ConversationRow> {
    checkUniqueName(input.uniqueName);
    const now = this.deps.clock.now();
    return write(this.deps, async (tx) => {
      let c = await lockedConversation(this.deps.db, tx, accountSid, sidOrName);
      const timersChange = input.timerInactive !== undefined || input.timerClosed !== undefined;
      if (c.state === 'closed' && ((input.state !== undefined && input.state !== 'closed') || timersChange))
        throw conversationClosed(`Conversation ${c.sid} is closed, which is final: its state and timers cannot change`);
      if (input.uniqueName && input.uniqueName !== c.unique_name) await this.requireFreeName(tx, c.chat_service_sid, input.uniqueName);

      const next: ConversationRow = { ...c };
      if (input.friendlyName !== undefined) next.friendly_name = input.friendlyName;
      // An empty UniqueName removes it.
      if (input.uniqueName !== undefined) next.unique_name = input.uniqueName || null;
      if (input.attributes !== undefined) next.attributes = input.attributes;
      if (input.messagingServiceSid !== undefined) next.messaging_service_sid = input.messagingServiceSid;
      if (input.emailAddress !== undefined) next.email_address = input.emailAddress || null;
      if (input.emailName !== undefined) next.email_name = input.emailName || null;
      if (input.dateCreated !== undefined) next.date_created = input.dateCreated;
      // A timer given in the update counts from now; the other keeps its date.
      if (input.timerInactive !== undefined) {
        next.timer_inactive = input.timerInactive;
        next.date_inactive = inactiveDate(next, now);
      }
      if (input.timerClosed !== undefined) {
        next.timer_closed = input.timerClosed;
        next.date_closed = closedDate(next, now);
      }
      next.date_updated = input.dateUpdated ?? now;
      const { sid: _sid, ...patch } = next;
      await insertUniquely(() => conversations.update(tx, c.sid, patch), next.unique_name);
      if (timersChange) await syncTimers(tx, next);
      c = next;
      await recordEvent(tx, now, {
          accountSid,
          conversationSid: c.sid,
          type: 'onConversationUpdated',
          resourceSid: c.sid,
          ...cause,
          data: { conversation: c },
        });
      if (input.state !== undefined && input.state !== c.state) c = await changeState(tx, c, input.state, now, 'api', cause);
      return c;
    }, outer);
  }

  async delete(accountSid: string, sidOrName: string, cause: Cause): Promise<void> {
    const now = this.deps.clock.now();
    await write(this.deps, async (tx) => {
      const c = await lockedConversation(this.deps.db, tx, accountSid, sidOrName);
      await tx.run('DELETE FROM conversation_timers WHERE conversation_sid = ?', [c.sid]);
      await conversations.delete(tx, ['sid = ?', c.sid]);
      await recordEvent(tx, now, {
        accountSid,
        conversationSid: c.sid,
        type: 'onConversationRemoved',
        resourceSid: c.sid,
        ...cause,
        data: { conversation: c },
      });
    });
  }

  /** Unique names are unique within a service. */
  private async requireFreeName(tx: Executor, serviceSid: string, name: string): Promise<void> {
    if (await conversations.first(tx, ['chat_service_sid = ?', serviceSid], ['unique_name = ?', name])) throw UNIQUE_NAME_TAKEN(name);
  }
}

function checkUniqueName(name: string | undefined): void {
  if (name && isSid(name, 'CH')) throw uniqueNameLooksLikeSid(`UniqueName '${name}' must not look like a Conversation SID (CH + 32 hex digits)`);
  if (name !== undefined && name.length > 256) throw invalidParameter('UniqueName is longer than 256 characters');
}

/** A clash on the unique-name index (two requests at once) is the same 50353 as the check before. */
async function insertUniquely<T>(write: () => Promise<T>, name: string | null): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isUniqueViolation(err)) throw UNIQUE_NAME_TAKEN(name ?? '');
    throw err;
  }
}
