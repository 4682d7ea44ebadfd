import { notFound } from '../../core/errors.ts';
import type { Executor } from '../../store/database.ts';
import { conversations, participants, type ConversationRow, type ParticipantRow } from '../model.ts';
import type { NotificationLevel, UserRow } from '../model-users.ts';
import { findConversation, lockedConversation, requireService, write, type Cause, type Deps } from './deps.ts';
import type { ParticipantService } from './participants.ts';
import type { ServiceRef } from './roles.ts';
import { findUser } from './users.ts';

/** A conversation of a user: the participant standing for the user's identity there, with the read state. */
export interface UserConversationView {
  user: UserRow;
  participant: ParticipantRow;
  conversation: ConversationRow;
  notificationLevel: NotificationLevel;
  /** Messages after the participant's read horizon; null while it has none. */
  unreadMessagesCount: number | null;
}

export interface UserConversationInput {
  notificationLevel?: NotificationLevel;
  lastReadMessageIndex?: number;
  lastReadTimestamp?: string;
}

/** How many messages of the conversation come after the participant's last read index (null: no read horizon yet). */
export async function unreadCount(db: Executor, p: Pick<ParticipantRow, 'conversation_sid' | 'last_read_message_index'>): Promise<number | null> {
  if (p.last_read_message_index === null) return null;
  const row = await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM conversation_messages WHERE conversation_sid = ? AND message_index > ?', [
    p.conversation_sid,
    p.last_read_message_index,
  ]);
  return Number(row?.n ?? 0);
}

/** The notification level kept on the participant (migration 15); 'default' until one is set. */
function levelOf(p: ParticipantRow): NotificationLevel {
  return (p as ParticipantRow & { notification_level?: string | null }).notification_level === 'muted' ? 'muted' : 'default';
}

/** User Conversations (/v1/Users/{User}/Conversations, and the service-scoped twin). */
export class UserConversationService {
  constructor(
    private readonly deps: Deps,
    private readonly participantService: ParticipantService,
  ) {}

  private async view(db: Executor, user: UserRow, participant: ParticipantRow, conversation: ConversationRow): Promise<UserConversationView> {
    return { user, participant, conversation, notificationLevel: levelOf(participant), unreadMessagesCount: await unreadCount(db, participant) };
  }

  /** The user and its participant in the conversation, or 20404 at the path the caller used. */
  private async locate(db: Executor, service: ServiceRef, scoped: string | undefined, userRef: string, conversationRef: string, lock = false) {
    const path = `${scoped ? `/v1/Services/${scoped}` : '/v1'}/Users/${userRef}`;
    const user = await findUser(db, service, userRef, path);
    const missing = () => notFound(`${path}/Conversations/${conversationRef}`);
    const found = await findConversation(db, service.account_sid, conversationRef, service.sid).catch(() => undefined);
    if (!found) throw missing();
    const c = lock ? await lockedConversation(this.deps.db, db, service.account_sid, found.sid) : found;
    const p = await participants.first(db, ['conversation_sid = ?', c.sid], ['identity = ?', user.identity]);
    if (!p) throw missing();
    return { user, conversation: c, participant: p };
  }

  async list(accountSid: string, serviceSid: string | undefined, userRef: string, limit: number, offset: number): Promise<UserConversationView[]> {
    const service = await requireService(this.deps, accountSid, serviceSid);
    const db = this.deps.db;
    const user = await findUser(db, service, userRef, `${serviceSid ? `/v1/Services/${serviceSid}` : '/v1'}/Users/${userRef}`);
    const rows = await participants.list(db, {
      where: [['identity = ?', user.identity], ['conversation_sid IN (SELECT sid FROM conversations WHERE chat_service_sid = ?)', service.sid]],
      limit,
      offset,
    });
    const out: UserConversationView[] = [];
    for (const p of rows) {
      const c = await conversations.get(db, p.conversation_sid);
      if (c) out.push(await this.view(db, user, p, c));
    }
    return out;
  }

  async get(accountSid: string, serviceSid: string | undefined, userRef: string, conversationRef: string): Promise<UserConversationView> {
    const service = await requireService(this.deps, accountSid, serviceSid);
    const { user, conversation, participant } = await this.locate(this.deps.db, service, serviceSid, userRef, conversationRef);
    return this.view(this.deps.db, user, participant, conversation);
  }

  /** The read horizon goes through the participant (its update and event); the notification level is the user's own. */
  async update(
    accountSid: string,
    serviceSid: string | undefined,
    userRef: string,
    conversationRef: string,
    input: UserConversationInput,
    cause: Cause,
  ): Promise<UserConversationView> {
    const service = await requireService(this.deps, accountSid, serviceSid);
    return write(this.deps, async (tx) => {
      const { user, conversation, participant } = await this.locate(tx, service, serviceSid, userRef, conversationRef, true);
      if (input.notificationLevel !== undefined)
        await tx.run('UPDATE conversation_participants SET notification_level = ? WHERE sid = ?', [input.notificationLevel, participant.sid]);
      if (input.lastReadMessageIndex !== undefined || input.lastReadTimestamp !== undefined)
        await this.participantService.update(
          accountSid,
          conversation.sid,
          participant.sid,
          { lastReadMessageIndex: input.lastReadMessageIndex, lastReadTimestamp: input.lastReadTimestamp },
          cause,
          tx,
        );
      const after = (await participants.get(tx, participant.sid)) as ParticipantRow;
      return this.view(tx, user, after, conversation);
    });
  }

  /** The user leaves the conversation: its participant is removed. */
  async delete(accountSid: string, serviceSid: string | undefined, userRef: string, conversationRef: string, cause: Cause): Promise<void> {
    const service = await requireService(this.deps, accountSid, serviceSid);
    await write(this.deps, async (tx) => {
      const { conversation, participant } = await this.locate(tx, service, serviceSid, userRef, conversationRef, true);
      await this.participantService.delete(accountSid, conversation.sid, participant.sid, cause, tx);
    });
  }
}
