import { invalidParameter, notFound } from '../../core/errors.ts';
import { isSid, newSid } from '../../core/sid.ts';
import { isUniqueViolation, type Executor } from '../../store/database.ts';
import {
  bindingInUse,
  cannotAddIdentity,
  conversationClosed,
  emptyBindingAddress,
  groupParticipantExists,
  identityWithBinding,
  invalidBindingAddress,
  participantExists,
} from '../errors.ts';
import { recordEvent } from '../events.ts';
import { participants, type ConversationRow, type ParticipantRow } from '../model.ts';
import { findConversation, lockedConversation, write, type Cause, type Deps } from './deps.ts';
import { activity } from './lifecycle.ts';
import { joinService } from './users.ts';

export interface ParticipantInput {
  identity?: string;
  address?: string;
  proxyAddress?: string;
  projectedAddress?: string;
  attributes?: string;
  roleSid?: string;
  dateCreated?: number;
  dateUpdated?: number;
  lastReadMessageIndex?: number;
  lastReadTimestamp?: string;
}

/** A participant together with the conversation it is in, as ParticipantConversations shows it. */
export interface ParticipantConversationView {
  participant: ParticipantRow;
  conversation: ConversationRow;
}

const MAX_ADDRESS = 256;

/** The channel a messaging address belongs to, from its prefix (whatsapp:+1..., messenger:..., rcs:...). */
export function bindingType(address: string): string {
  const m = /^([a-z]+):/i.exec(address);
  if (m && ['whatsapp', 'messenger', 'rcs', 'gbm', 'apple', 'chat'].includes(m[1].toLowerCase())) return m[1].toLowerCase();
  if (address.includes('@')) return 'email';
  return 'sms';
}

function checkAddress(name: string, value: string | undefined): void {
  if (value === undefined) return;
  if (value.trim() === '') {
    if (name === 'MessagingBinding.Address') throw emptyBindingAddress('MessagingBinding.Address must not be empty');
    throw invalidBindingAddress(`${name} must not be empty`);
  }
  if (value.length > MAX_ADDRESS) throw invalidBindingAddress(`${name} is longer than ${MAX_ADDRESS} characters`);
}

export class ParticipantService {
  constructor(private readonly deps: Deps) {}

  async create(accountSid: string, conversation: string, input: ParticipantInput, cause: Cause, outer?: Executor): Promise<ParticipantRow> {
    checkAddress('MessagingBinding.Address', input.address);
    checkAddress('MessagingBinding.ProxyAddress', input.proxyAddress);
    checkAddress('MessagingBinding.ProjectedAddress', input.projectedAddress);
    if (input.identity !== undefined && (input.address !== undefined || input.proxyAddress !== undefined))
      throw identityWithBinding('Identity cannot be given together with MessagingBinding.Address or MessagingBinding.ProxyAddress');
    if (input.identity === undefined && input.address === undefined)
      throw invalidParameter('A participant needs either Identity (chat) or MessagingBinding.Address (SMS, WhatsApp, ...)');
    if (input.identity !== undefined && (input.identity.trim() === '' || input.identity.length > 256))
      throw invalidParameter('Identity must be 1 to 256 characters');
    if (input.projectedAddress !== undefined && input.identity === undefined)
      throw invalidParameter('MessagingBinding.ProjectedAddress is for chat participants (with Identity) in group MMS');
    const now = this.deps.clock.now();
    return write(this.deps, async (tx) => {
      const c = await lockedConversation(this.deps.db, tx, accountSid, conversation);
      if (c.state === 'closed') throw conversationClosed(`Conversation ${c.sid} is closed: no participant can be added`);
      if (input.identity !== undefined && (await participants.first(tx, ['conversation_sid = ?', c.sid], ['identity = ?', input.identity])))
        throw participantExists(`Participant with identity '${input.identity}' already exists in Conversation ${c.sid}`);
      if (input.address !== undefined) await this.checkBinding(tx, c, input.address, input.proxyAddress ?? null, null);
      const roleSid = input.roleSid ?? (await joinService(tx, c, input.identity, now));
      const created = input.dateCreated ?? now;
      const row: ParticipantRow = {
        sid: newSid('MB'),
        account_sid: accountSid,
        conversation_sid: c.sid,
        identity: input.identity ?? null,
        address: input.address ?? null,
        proxy_address: input.proxyAddress ?? null,
        projected_address: input.projectedAddress ?? null,
        binding_type: input.address !== undefined ? bindingType(input.address) : input.projectedAddress !== undefined ? 'sms' : null,
        binding_open: true,
        attributes: input.attributes ?? '{}',
        role_sid: roleSid,
        last_read_message_index: input.lastReadMessageIndex ?? null,
        last_read_timestamp: input.lastReadTimestamp ?? null,
        date_created: created,
        date_updated: input.dateUpdated ?? created,
      };
      await this.uniquely(() => participants.insert(tx, row), row, c);
      await activity(tx, c, now, cause);
      await recordEvent(tx, now, {
        accountSid,
        conversationSid: c.sid,
        type: 'onParticipantAdded',
        resourceSid: row.sid,
        ...cause,
        data: { participant: row, conversation: c },
      });
      return row;
    }, outer);
  }

  /**
   * An address with a proxy address is unique among the account's open conversations (Twilio's
   * 50416); an address without one (a group MMS member) is unique within its conversation (50437).
   */
  private async checkBinding(tx: Executor, c: ConversationRow, address: string, proxy: string | null, self: string | null): Promise<void> {
    if (proxy !== null) {
      const clash = await tx.get<{ conversation_sid: string; sid: string }>(
        'SELECT conversation_sid, sid FROM conversation_participants WHERE account_sid = ? AND address = ? AND proxy_address = ? AND binding_open = 1 LIMIT 2',
        [c.account_sid, address, proxy],
      );
      if (clash && clash.sid !== self)
        throw bindingInUse(`A binding for this participant and proxy address already exists in Conversation ${clash.conversation_sid}`);
    } else {
      const clash = await participants.first(tx, ['conversation_sid = ?', c.sid], ['address = ?', address], ['proxy_address IS NULL']);
      if (clash && clash.sid !== self) throw groupParticipantExists(`Participant with address '${address}' already exists in Conversation ${c.sid}`);
    }
  }

  /** Two requests at once: the unique indexes decide, with the same errors as the checks. */
  private async uniquely<T>(fn: () => Promise<T>, row: ParticipantRow, c: ConversationRow): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      const text = `${(err as { constraint?: string }).constraint ?? ''} ${(err as Error).message ?? ''}`;
      if (/identity/.test(text)) throw participantExists(`Participant with identity '${row.identity}' already exists in Conversation ${c.sid}`);
      throw bindingInUse('A binding for this participant and proxy address already exists in another open Conversation');
    }
  }

  async get(accountSid: string, conversation: string, sidOrIdentity: string): Promise<{ conversation: ConversationRow; participant: ParticipantRow }> {
    const c = await findConversation(this.deps.db, accountSid, conversation);
    return { conversation: c, participant: await this.find(this.deps.db, c, sidOrIdentity, conversation) };
  }

  private async find(db: Executor, c: ConversationRow, sidOrIdentity: string, conversationParam: string): Promise<ParticipantRow> {
    const p = isSid(sidOrIdentity, 'MB')
      ? await participants.get(db, sidOrIdentity, ['conversation_sid = ?', c.sid])
      : await participants.first(db, ['conversation_sid = ?', c.sid], ['identity = ?', sidOrIdentity]);
    if (!p) throw notFound(`/v1/Conversations/${conversationParam}/Participants/${sidOrIdentity}`);
    return p;
  }

  async list(accountSid: string, conversation: string, limit: number, offset: number): Promise<{ conversation: ConversationRow; participants: ParticipantRow[] }> {
    const c = await findConversation(this.deps.db, accountSid, conversation);
    return { conversation: c, participants: await participants.list(this.deps.db, { where: [['conversation_sid = ?', c.sid]], limit, offset }) };
  }

  async update(accountSid: string, conversation: string, sidOrIdentity: string, input: ParticipantInput, cause: Cause, outer?: Executor): Promise<ParticipantRow> {
    checkAddress('MessagingBinding.ProxyAddress', input.proxyAddress);
    checkAddress('MessagingBinding.ProjectedAddress', input.projectedAddress);
    const now = this.deps.clock.now();
    return write(this.deps, async (tx) => {
      const c = await lockedConversation(this.deps.db, tx, accountSid, conversation);
      const p = await this.find(tx, c, sidOrIdentity, conversation);
      const next: ParticipantRow = { ...p };
      if (input.identity !== undefined && input.identity !== p.identity) {
        if (p.address !== null) throw identityWithBinding('A participant with a messaging binding address cannot have an Identity');
        if (p.identity !== null) throw cannotAddIdentity(`Participant ${p.sid} already has an identity`);
        if (p.projected_address === null && input.projectedAddress === undefined)
          throw cannotAddIdentity(`Participant ${p.sid} has no projected address: an identity cannot be added to it`);
        if (input.identity.trim() === '' || input.identity.length > 256) throw invalidParameter('Identity must be 1 to 256 characters');
        if (await participants.first(tx, ['conversation_sid = ?', c.sid], ['identity = ?', input.identity]))
          throw participantExists(`Participant with identity '${input.identity}' already exists in Conversation ${c.sid}`);
        next.identity = input.identity;
      }
      if (input.proxyAddress !== undefined && input.proxyAddress !== p.proxy_address) {
        if (p.address === null) throw invalidParameter('MessagingBinding.ProxyAddress applies only to participants with a messaging binding address');
        if (next.binding_open) await this.checkBinding(tx, c, p.address, input.proxyAddress, p.sid);
        next.proxy_address = input.proxyAddress;
      }
      if (input.projectedAddress !== undefined) {
        if (p.address !== null) throw invalidParameter('MessagingBinding.ProjectedAddress applies only to chat participants');
        next.projected_address = input.projectedAddress;
        next.binding_type = 'sms';
      }
      if (input.attributes !== undefined) next.attributes = input.attributes;
      if (input.roleSid !== undefined) next.role_sid = input.roleSid;
      if (input.lastReadMessageIndex !== undefined) next.last_read_message_index = input.lastReadMessageIndex;
      if (input.lastReadTimestamp !== undefined) next.last_read_timestamp = input.lastReadTimestamp;
      if (input.dateCreated !== undefined) next.date_created = input.dateCreated;
      next.date_updated = input.dateUpdated ?? now;
      const { sid: _sid, ...patch } = next;
      await this.uniquely(() => participants.update(tx, p.sid, patch), next, c);
      await recordEvent(tx, now, {
        accountSid,
        conversationSid: c.sid,
        type: 'onParticipantUpdated',
        resourceSid: p.sid,
        ...cause,
        data: { participant: next, previous: p, conversation: c },
      });
      return next;
    }, outer);
  }

  async delete(accountSid: string, conversation: string, sidOrIdentity: string, cause: Cause, outer?: Executor): Promise<void> {
    const now = this.deps.clock.now();
    await write(this.deps, async (tx) => {
      const c = await lockedConversation(this.deps.db, tx, accountSid, conversation);
      const p = await this.find(tx, c, sidOrIdentity, conversation);
      await participants.delete(tx, ['sid = ?', p.sid]);
      await recordEvent(tx, now, {
        accountSid,
        conversationSid: c.sid,
        type: 'onParticipantRemoved',
        resourceSid: p.sid,
        ...cause,
        data: { participant: p, conversation: c },
      });
    }, outer);
  }

  /**
   * ParticipantConversations: every conversation (any state) that has a participant with this
   * identity or address; only one service's when `serviceSid` is given.
   */
  async conversationsOf(
    accountSid: string,
    by: { identity?: string; address?: string; serviceSid?: string },
    limit: number,
    offset: number,
  ): Promise<ParticipantConversationView[]> {
    const [column, value] = by.identity !== undefined ? ['identity', by.identity] : ['address', by.address as string];
    const service = by.serviceSid === undefined ? '' : ' AND c.chat_service_sid = ?';
    const rows = await this.deps.db.all<Record<string, unknown>>(
      `SELECT p.sid AS p_sid FROM conversation_participants p JOIN conversations c ON c.sid = p.conversation_sid ` +
        `WHERE p.account_sid = ? AND p.${column} = ?${service} ORDER BY p.seq LIMIT ${Math.floor(limit)} OFFSET ${Math.floor(offset)}`,
      by.serviceSid === undefined ? [accountSid, value] : [accountSid, value, by.serviceSid],
    );
    const out: ParticipantConversationView[] = [];
    for (const r of rows) {
      const participant = await participants.get(this.deps.db, String(r.p_sid));
      if (!participant) continue;
      const conversation = await findConversation(this.deps.db, accountSid, participant.conversation_sid).catch(() => undefined);
      if (conversation) out.push({ participant, conversation });
    }
    return out;
  }
}
