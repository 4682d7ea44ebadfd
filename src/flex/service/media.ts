import { TwilioError } from '../../core/errors.ts';
import { participants as conversationParticipants } from '../../conversations/model.ts';
import { findConversation } from '../../conversations/service/deps.ts';
import type { Executor } from '../../store/database.ts';
import type { ChannelType } from '../model.ts';
import type { MediaParticipant } from '../plan.ts';
import { FLEX, type FlexDeps } from './deps.ts';

/**
 * The media channel side of an interaction: the conversation and who is in it. Every method runs
 * inside the caller's transaction, through the Conversations services, so their rules, events and
 * webhooks apply as they do to any other change.
 */
export class Media {
  constructor(private readonly deps: FlexDeps) {}

  private get api() {
    return this.deps.conversations;
  }

  /** Adds a customer (or any non-agent) with the address fields of the channel's type; returns the MB SID. */
  async addCustomer(tx: Executor, accountSid: string, conversationSid: string, p: MediaParticipant, type: ChannelType): Promise<string> {
    const attributes = JSON.stringify(p.name ? { friendlyName: p.name, ...(p.level ? { level: p.level } : {}) } : p.level ? { level: p.level } : {});
    const input =
      type === 'chat' || type === 'web'
        ? { identity: p.identity, attributes }
        : { address: p.address, proxyAddress: type === 'email' ? undefined : p.proxyAddress, attributes };
    const row = await this.api.participants.create(accountSid, conversationSid, input, FLEX, tx);
    return row.sid;
  }

  /** Adds an agent by chat identity; an agent already there (another task of theirs) is kept as is. */
  async addAgent(tx: Executor, accountSid: string, conversationSid: string, identity: string, workerSid: string | null): Promise<string> {
    const there = await conversationParticipants.first(tx, ['conversation_sid = ?', conversationSid], ['identity = ?', identity]);
    if (there) return there.sid;
    const attributes = JSON.stringify(workerSid ? { member_type: 'agent', worker_sid: workerSid } : { member_type: 'agent' });
    const row = await this.api.participants.create(accountSid, conversationSid, { identity, attributes }, FLEX, tx);
    return row.sid;
  }

  /** Takes a participant out of the conversation; one already gone is fine. */
  async remove(tx: Executor, accountSid: string, conversationSid: string, participantSid: string | null): Promise<void> {
    if (!participantSid) return;
    if (!(await conversationParticipants.get(tx, participantSid, ['conversation_sid = ?', conversationSid]))) return;
    await this.api.participants.delete(accountSid, conversationSid, participantSid, FLEX, tx);
  }

  /** Moves the conversation to a state; a closed or deleted conversation stays as it is. */
  async setState(tx: Executor, accountSid: string, conversationSid: string, state: 'active' | 'inactive' | 'closed'): Promise<void> {
    try {
      const c = await findConversation(tx, accountSid, conversationSid);
      if (c.state === 'closed' || c.state === state) return;
      await this.api.conversations.update(accountSid, conversationSid, { state }, FLEX, tx);
    } catch (err) {
      if (err instanceof TwilioError && err.status === 404) return;
      throw err;
    }
  }
}
