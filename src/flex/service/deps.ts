import type { Clock } from '../../core/clock.ts';
import type { Log } from '../../ops/logger.ts';
import { invalidParameter, notFound } from '../../core/errors.ts';
import type { Cause } from '../../conversations/service/deps.ts';
import type { ConversationsApi } from '../../conversations/services.ts';
import type { Database, Executor } from '../../store/database.ts';
import type { TaskRouter } from '../../taskrouter/services.ts';
import type { WorkerRow } from '../../taskrouter/model.ts';
import { channels, interactions, type ChannelRow, type InteractionRow } from '../model.ts';

/**
 * What becomes of a channel whose last task ended abnormally (canceled, timed out, deleted) with
 * no agent left on it: `close` the channel and its conversation (the default), make both
 * `inactive`, or `keep` them open as Twilio does.
 */
export type OrphanPolicy = 'close' | 'inactive' | 'keep';

export interface FlexDeps {
  db: Database;
  clock: Clock;
  taskRouter: TaskRouter;
  conversations: ConversationsApi;
  orphans: OrphanPolicy;
  /** Where setups and polls that fail are reported. */
  log: Log;
}

/** Changes Flex makes to a conversation fire its webhooks, as a customer's app expects to hear of agents joining. */
export const FLEX: Cause = { source: 'api', webhooksEnabled: true };

export async function requireInteraction(db: Executor, accountSid: string, sid: string): Promise<InteractionRow> {
  const row = await interactions.get(db, sid, ['account_sid = ?', accountSid]);
  if (!row) throw notFound(`/v1/Interactions/${sid}`);
  return row;
}

export async function requireChannel(db: Executor, accountSid: string, interactionSid: string, channelSid: string): Promise<ChannelRow> {
  const row = await channels.get(db, channelSid, ['account_sid = ?', accountSid], ['interaction_sid = ?', interactionSid]);
  if (!row) throw notFound(`/v1/Interactions/${interactionSid}/Channels/${channelSid}`);
  return row;
}

/** A channel whose media and routing are in place: what invites, participants and transfers need. */
export function requireLive(channel: ChannelRow): asserts channel is ChannelRow & { conversation_sid: string; workspace_sid: string } {
  if (channel.status === 'closed' || channel.status === 'failed' || channel.status === 'setup' || !channel.conversation_sid || !channel.workspace_sid)
    throw invalidParameter(`Interaction Channel ${channel.sid} is ${channel.status}: it takes no new tasks or participants`);
}

/** The chat identity of an agent: Flex's `contact_uri` (client:alice → alice), else the worker's name. */
export function agentIdentity(worker: WorkerRow): string {
  try {
    const attrs = JSON.parse(worker.attributes) as { contact_uri?: unknown };
    if (typeof attrs.contact_uri === 'string' && attrs.contact_uri.startsWith('client:') && attrs.contact_uri.length > 7) return attrs.contact_uri.slice(7);
  } catch {
    /* attributes are validated JSON; nothing to do if not */
  }
  return worker.friendly_name;
}
