import { forbidden, invalidParameter, notFound } from '../core/errors.ts';
import { isSid } from '../core/sid.ts';
import { conversations, messages, participants as members, type MessageRow, type ParticipantRow as MemberRow } from '../conversations/model.ts';
import { agentIdentity, FLEX } from '../flex/service/deps.ts';
import { GUEST_PREFIX } from '../flex/service/web-chats.ts';
import { channels, invites, participants, type ChannelRow, type ParticipantRow } from '../flex/model.ts';
import { tasks, type TaskRow } from '../taskrouter/routing-model.ts';
import { customerName } from './agents.ts';
import type { SupervisorDeps } from './deps.ts';
import type { SupervisorSession } from './session.ts';

/** A chat of the supervisor's workspace: a task Flex routed for an interaction channel with a conversation. */
export interface ChatRef {
  task: TaskRow;
  channel: ChannelRow;
  conversationSid: string;
}

/** Who a message or participant is, as the board tells them apart. */
export type Kind = 'customer' | 'agent' | 'supervisor' | 'system';

export interface ChatMessage {
  index: number;
  author: string;
  name: string;
  kind: Kind;
  body: string | null;
  media: { filename: string | null; content_type: string | null }[];
  date_created: number;
}

export interface ChatMeta {
  task_sid: string;
  assignment_status: string;
  customer: string;
  channel_type: string;
  channel_status: string;
  conversation_sid: string;
  conversation_state: string;
  participants: { identity: string | null; address: string | null; name: string; kind: Kind; you: boolean }[];
  /** Whether the supervisor is in the conversation (barged in), and as whom. */
  joined: boolean;
  identity: string;
}

/** The most messages a chat's view starts with (the latest ones); later ones come as they are added. */
export const HISTORY = 200;

/**
 * The chat of a task in the supervisor's workspace (404 otherwise, as if it did not exist),
 * found from Flex's own invite row, never from the task's attributes (a worker token can write them).
 */
export async function chatOf(deps: SupervisorDeps, s: SupervisorSession, taskSid: string): Promise<ChatRef> {
  const path = `/v1/Supervisor/Chats/${taskSid}`;
  if (!isSid(taskSid, 'WT')) throw notFound(path);
  const task = await tasks.get(deps.db, taskSid, ['workspace_sid = ?', s.workspaceSid], ['account_sid = ?', s.accountSid]);
  if (!task) throw notFound(path);
  const invite = await invites.first(deps.db, ['task_sid = ?', task.sid], ['account_sid = ?', task.account_sid]);
  const channel = invite && (await channels.get(deps.db, invite.channel_sid, ['account_sid = ?', task.account_sid]));
  if (!channel || !channel.conversation_sid) throw invalidParameter(`Task ${task.sid} is not a chat: Flex did not route it for an interaction channel with a conversation`);
  return { task, channel, conversationSid: channel.conversation_sid };
}

/** The supervisor's own participant on the chat's channel, while they are in it. */
async function ownParticipant(deps: SupervisorDeps, s: SupervisorSession, chat: ChatRef): Promise<ParticipantRow | undefined> {
  return participants.first(deps.db, ['channel_sid = ?', chat.channel.sid], ['worker_sid = ?', s.workerSid], ["type = 'supervisor'"], ["status = 'active'"]);
}

/** The chat as it is now, and its messages after `afterIndex` (the latest HISTORY when it is -1). */
export async function chatView(deps: SupervisorDeps, s: SupervisorSession, chat: ChatRef, afterIndex = -1): Promise<{ meta: ChatMeta; messages: ChatMessage[] }> {
  const task = (await tasks.get(deps.db, chat.task.sid)) ?? chat.task;
  const channel = (await channels.get(deps.db, chat.channel.sid)) ?? chat.channel;
  const conversation = await conversations.get(deps.db, chat.conversationSid);
  const people = await members.list(deps.db, { where: [['conversation_sid = ?', chat.conversationSid]] });
  const kindOf = kinds(await participants.list(deps.db, { where: [['channel_sid = ?', channel.sid]] }));
  const identity = agentIdentity(s.worker);
  const own = await ownParticipant(deps, s, chat);
  const rows =
    afterIndex < 0
      ? (await messages.list(deps.db, { where: [['conversation_sid = ?', chat.conversationSid]], orderBy: 'message_index DESC', limit: HISTORY })).reverse()
      : await messages.list(deps.db, { where: [['conversation_sid = ?', chat.conversationSid], ['message_index > ?', afterIndex]], orderBy: 'message_index', limit: 1000 });
  return {
    meta: {
      task_sid: task.sid,
      assignment_status: task.assignment_status,
      customer: customerName(task.attributes),
      channel_type: channel.type,
      channel_status: channel.status,
      conversation_sid: chat.conversationSid,
      conversation_state: conversation?.state ?? 'closed',
      participants: people.map((p) => ({ identity: p.identity, address: p.address, name: nameOf(p), kind: kindOf.member(p), you: own !== undefined && p.identity === identity })),
      joined: own !== undefined,
      identity,
    },
    messages: rows.map((m) => messageView(m, people, kindOf)),
  };
}

/**
 * Customers, agents and supervisors told apart by Flex's channel participants (those gone too, so
 * the messages of an agent who left still read as an agent's); anyone else is a customer.
 */
function kinds(staff: ParticipantRow[]): { member(p: MemberRow): Kind; author(author: string, by: MemberRow | undefined): Kind } {
  const byMember = new Map<string, Kind>();
  const byIdentity = new Map<string, Kind>();
  for (const x of staff) {
    const kind: Kind | undefined = x.type === 'supervisor' ? 'supervisor' : x.type === 'agent' ? 'agent' : undefined;
    if (!kind) continue;
    if (x.conversation_participant_sid) byMember.set(x.conversation_participant_sid, kind);
    try {
      const identity = (JSON.parse(x.media_properties ?? '{}') as { identity?: unknown }).identity;
      if (typeof identity === 'string') byIdentity.set(identity, kind);
    } catch {
      /* shown only */
    }
  }
  const member = (p: MemberRow): Kind => byMember.get(p.sid) ?? (p.identity !== null ? byIdentity.get(p.identity) : undefined) ?? memberType(p);
  return {
    member,
    author: (author, by) => (by ? member(by) : (byIdentity.get(author) ?? (author === 'system' ? 'system' : 'customer'))),
  };
}

/** Flex adds agents with {member_type: 'agent'} in their attributes. */
function memberType(p: MemberRow): Kind {
  try {
    if ((JSON.parse(p.attributes) as { member_type?: unknown }).member_type === 'agent') return 'agent';
  } catch {
    /* shown only */
  }
  return 'customer';
}

/** A participant's name as the pages show it: friendlyName in its attributes, else identity, else its address. */
function nameOf(p: MemberRow): string {
  try {
    const a = JSON.parse(p.attributes) as { friendlyName?: unknown };
    if (typeof a.friendlyName === 'string' && a.friendlyName.trim() !== '') return a.friendlyName.trim();
  } catch {
    /* shown only */
  }
  return p.identity ?? p.address ?? 'Someone';
}

function messageView(m: MessageRow, people: MemberRow[], kindOf: ReturnType<typeof kinds>): ChatMessage {
  const by = people.find((p) => (m.participant_sid !== null && p.sid === m.participant_sid) || p.identity === m.author || p.address === m.author);
  let media: ChatMessage['media'] = [];
  try {
    media = m.media ? (JSON.parse(m.media) as { filename: string | null; content_type: string | null }[]).map((x) => ({ filename: x.filename ?? null, content_type: x.content_type ?? null })) : [];
  } catch {
    media = [];
  }
  return {
    index: Number(m.message_index),
    author: m.author,
    name: by ? nameOf(by) : m.author,
    kind: kindOf.author(m.author, by),
    body: m.body,
    media,
    date_created: Number(m.date_created),
  };
}

function requireLive(chat: ChatRef, channel: ChannelRow, what: string): void {
  if (channel.status !== 'active') throw invalidParameter(`The chat of Task ${chat.task.sid} is ${channel.status}: a supervisor can ${what} only a chat under way`);
}

/**
 * Barge-in: the supervisor joins the chat as Flex's `supervisor` participant (Interactions'
 * participant type), so they are in the conversation under their agent identity and leave with
 * everyone else when the chat closes. Joining twice is joining once.
 */
export async function join(deps: SupervisorDeps, s: SupervisorSession, chat: ChatRef): Promise<{ created: boolean }> {
  const channel = (await channels.get(deps.db, chat.channel.sid)) ?? chat.channel;
  requireLive(chat, channel, 'join');
  if (await ownParticipant(deps, s, chat)) return { created: false };
  const identity = agentIdentity(s.worker);
  if (identity.startsWith(GUEST_PREFIX))
    throw forbidden(`Worker ${s.worker.sid}'s chat identity '${identity}' is reserved for web chat customers; an administrator must change its contact_uri`);
  await deps.flex.participants.create(s.accountSid, channel.interaction_sid, channel.sid, 'supervisor', {}, { worker_sid: s.workerSid });
  return { created: true };
}

/** The supervisor leaves a chat they joined (their channel participant closes; the chat goes on). */
export async function leave(deps: SupervisorDeps, s: SupervisorSession, chat: ChatRef): Promise<void> {
  const own = await ownParticipant(deps, s, chat);
  if (!own) throw invalidParameter(`You are not in the chat of Task ${chat.task.sid}`);
  await deps.flex.participants.update(s.accountSid, chat.channel.interaction_sid, chat.channel.sid, own.sid, 'closed');
}

/** A message from the supervisor, who must have joined: monitoring alone is read-only. */
export async function say(deps: SupervisorDeps, s: SupervisorSession, chat: ChatRef, body: string): Promise<ChatMessage> {
  if (!(await ownParticipant(deps, s, chat))) throw forbidden(`Join the chat of Task ${chat.task.sid} first: monitoring is read-only`);
  const identity = agentIdentity(s.worker);
  // A chat that closed meanwhile is refused by Conversations itself (50377).
  const view = await deps.conversations.messages.create(s.accountSid, chat.conversationSid, { author: identity, body }, FLEX);
  const people = await members.list(deps.db, { where: [['conversation_sid = ?', chat.conversationSid]] });
  return messageView(view.message, people, { member: () => 'supervisor', author: () => 'supervisor' });
}
