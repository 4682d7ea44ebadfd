import type { ConversationRow, ParticipantRow } from '../model.ts';
import type { ConversationInput, ConversationService } from './conversations.ts';
import { findConversation, write, type Cause, type Deps } from './deps.ts';
import type { ParticipantInput, ParticipantService } from './participants.ts';

/** Twilio's documented limit of participants in one request. */
export const MAX_PARTICIPANTS = 10;

/**
 * ConversationWithParticipants: a conversation and its first participants in one transaction, each
 * participant under the same rules as when added alone. All or nothing: a participant that cannot
 * join (a binding in use, an identity twice) leaves no conversation behind.
 */
export class ConversationWithParticipantsService {
  constructor(
    private readonly deps: Deps,
    private readonly conversations: ConversationService,
    private readonly participants: ParticipantService,
  ) {}

  create(accountSid: string, input: ConversationInput, people: ParticipantInput[], cause: Cause): Promise<{ conversation: ConversationRow; participants: ParticipantRow[] }> {
    return write(this.deps, async (tx) => {
      const conversation = await this.conversations.create(accountSid, input, cause, tx);
      const added: ParticipantRow[] = [];
      for (const p of people) added.push(await this.participants.create(accountSid, conversation.sid, p, cause, tx));
      // As it is after its participants joined (their activity restarts its timers).
      return { conversation: await findConversation(tx, accountSid, conversation.sid), participants: added };
    });
  }
}
