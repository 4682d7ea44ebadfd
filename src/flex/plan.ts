import { invalidParameter } from '../core/errors.ts';
import { parseJson } from '../core/input.ts';
import { isSid } from '../core/sid.ts';
import { TASK_LIMITS } from '../taskrouter/routing-model.ts';
import { CHANNEL_TYPES, type ChannelType, type InitiatedBy } from './model.ts';

/**
 * The rules of an Interaction request, pure: the Channel and Routing JSON objects become a
 * SetupPlan, or a 400 (20001) that says which rule was broken. Nothing here reads the store;
 * whether the SIDs exist is checked by the service.
 */

/** Someone to add to the conversation, with the address fields of the channel's type. */
export interface MediaParticipant {
  /** sms, whatsapp, messenger, gbm, email: the customer's address. */
  address?: string;
  /** sms, whatsapp, messenger, gbm: the business address the customer talks to. */
  proxyAddress?: string;
  /** chat, web: the Conversations identity. */
  identity?: string;
  /** email: to, cc or bcc. */
  level?: 'to' | 'cc' | 'bcc';
  /** email (and any type): the display name. */
  name?: string;
}

export interface RoutingPlan {
  workspaceSid: string;
  workflowSid?: string;
  queueSid?: string;
  workerSid?: string;
  taskChannelSid?: string;
  taskChannelUniqueName?: string;
  /** The caller's task attributes, added as they are. */
  attributes: Record<string, unknown>;
  priority?: number;
  timeout?: number;
}

export interface SetupPlan {
  type: ChannelType;
  initiatedBy: InitiatedBy;
  /** The conversation (CH) to bind to instead of creating one. */
  mediaChannelSid?: string;
  /** email sent by an agent or the API: the contact center's address and name. */
  from?: string;
  fromName?: string;
  participants: MediaParticipant[];
  routing: RoutingPlan;
}

/** What a create request asks for: a new channel, or another task for a channel that exists. */
export type InteractionRequest = { kind: 'new'; plan: SetupPlan } | { kind: 'existing'; channelSid: string; routing?: RoutingPlan };

const PHONE_LIKE: ChannelType[] = ['sms', 'whatsapp', 'messenger', 'gbm'];
/** Address prefixes Conversations uses for each messaging channel (sms has none). */
const PREFIX: Partial<Record<ChannelType, string>> = { whatsapp: 'whatsapp:', messenger: 'messenger:', gbm: 'gbm:' };
const MAX_PARTICIPANTS = 50;

type Obj = Record<string, unknown>;

/** A JSON object (not null, not an array): what every JSON parameter of these APIs must be. */
export const isObject = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

function text(o: Obj, key: string, where: string, opts: { required?: boolean } = {}): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) {
    if (opts.required) throw invalidParameter(`Missing required ${where}.${key}`);
    return undefined;
  }
  if (typeof v !== 'string' || v.trim() === '') throw invalidParameter(`Invalid ${where}.${key}: must be a non-empty string`);
  if (v.length > 256) throw invalidParameter(`Invalid ${where}.${key}: longer than 256 characters`);
  return v;
}

function sid(o: Obj, key: string, prefix: string, where: string, opts: { required?: boolean } = {}): string | undefined {
  const v = text(o, key, where, opts);
  if (v !== undefined && !isSid(v, prefix)) throw invalidParameter(`Invalid ${where}.${key}: '${v}' is not a ${prefix} SID`);
  return v;
}

function integer(o: Obj, key: string, where: string, min: number, max: number): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max)
    throw invalidParameter(`Invalid ${where}.${key}: must be an integer from ${min} to ${max}`);
  return n;
}

/** Parses Channel and Routing of POST /v1/Interactions. */
export function planInteraction(channel: unknown, routing: unknown): InteractionRequest {
  if (!isObject(channel)) throw invalidParameter('Invalid Channel parameter: must be a JSON object');
  if (routing !== undefined && !isObject(routing)) throw invalidParameter('Invalid Routing parameter: must be a JSON object');
  const existing = sid(channel, 'sid', 'UO', 'Channel');
  if (existing) return { kind: 'existing', channelSid: existing, routing: routing === undefined ? undefined : parseRouting(routing, 'Routing') };

  const type = text(channel, 'type', 'Channel', { required: true }) as string;
  if (!(CHANNEL_TYPES as readonly string[]).includes(type))
    throw invalidParameter(`Invalid Channel.type: '${type}' is not one of ${CHANNEL_TYPES.join(', ')}`);
  const initiatedBy = text(channel, 'initiated_by', 'Channel', { required: true }) as string;
  if (!['customer', 'agent', 'api'].includes(initiatedBy))
    throw invalidParameter(`Invalid Channel.initiated_by: '${initiatedBy}' is not one of customer, agent, api`);
  if (routing === undefined) throw invalidParameter('Missing required parameter Routing: it may only be left out when Channel.sid names an existing channel');

  const properties = channel.properties ?? {};
  if (!isObject(properties)) throw invalidParameter('Invalid Channel.properties: must be a JSON object');
  const plan: SetupPlan = {
    type: type as ChannelType,
    initiatedBy: initiatedBy as InitiatedBy,
    mediaChannelSid: sid(properties, 'media_channel_sid', 'CH', 'Channel.properties'),
    from: text(properties, 'from', 'Channel.properties'),
    fromName: text(properties, 'from_name', 'Channel.properties'),
    participants: parseParticipants(channel.participants, type as ChannelType),
    routing: parseRouting(routing, 'Routing'),
  };

  if (plan.initiatedBy === 'customer' && !plan.mediaChannelSid)
    throw invalidParameter("Missing required Channel.properties.media_channel_sid: an interaction initiated by 'customer' binds to the conversation the customer is in");
  if (plan.initiatedBy === 'agent') {
    if (plan.participants.length === 0) throw invalidParameter("Missing required Channel.participants: an interaction initiated by 'agent' needs the customer to reach");
    if (!plan.routing.workerSid) throw invalidParameter("Missing required Routing.properties.worker_sid: an interaction initiated by 'agent' is routed to that agent");
    if (!plan.routing.queueSid) throw invalidParameter("Missing required Routing.properties.queue_sid: an interaction initiated by 'agent' needs the agent's queue");
    if (plan.mediaChannelSid) throw invalidParameter("Invalid Channel.properties.media_channel_sid: an interaction initiated by 'agent' starts a new conversation");
  }
  if (plan.type === 'email' && plan.initiatedBy !== 'customer') {
    if (!plan.from) throw invalidParameter('Missing required Channel.properties.from: the contact center address an email is sent from');
    if (!plan.fromName) throw invalidParameter('Missing required Channel.properties.from_name: the contact center name an email is sent from');
    if (!plan.from.includes('@')) throw invalidParameter(`Invalid Channel.properties.from: '${plan.from}' is not an email address`);
  }
  return { kind: 'new', plan };
}

function parseParticipants(value: unknown, type: ChannelType): MediaParticipant[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalidParameter('Invalid Channel.participants: must be an array');
  if (value.length > MAX_PARTICIPANTS) throw invalidParameter(`Invalid Channel.participants: at most ${MAX_PARTICIPANTS}`);
  return value.map((p, i) => parseParticipant(p, type, `Channel.participants[${i}]`));
}

/** The address fields a participant of this channel type must have. */
export function parseParticipant(p: unknown, type: ChannelType, where: string): MediaParticipant {
  if (!isObject(p)) throw invalidParameter(`Invalid ${where}: must be a JSON object`);
  const name = text(p, 'name', where);
  if (PHONE_LIKE.includes(type)) {
    const address = text(p, 'address', where, { required: true }) as string;
    const proxyAddress = text(p, 'proxy_address', where, { required: true }) as string;
    const prefix = PREFIX[type];
    for (const [k, v] of [['address', address], ['proxy_address', proxyAddress]] as const) {
      if (prefix && !v.toLowerCase().startsWith(prefix)) throw invalidParameter(`Invalid ${where}.${k}: a ${type} address starts with '${prefix}'`);
      if (!prefix && /^[a-z]+:/i.test(v)) throw invalidParameter(`Invalid ${where}.${k}: an sms address has no channel prefix`);
    }
    return { address, proxyAddress, name };
  }
  if (type === 'chat' || type === 'web') {
    const identity = text(p, 'identity', where, { required: true }) as string;
    return { identity, name };
  }
  // email
  const address = text(p, 'address', where, { required: true }) as string;
  if (!address.includes('@')) throw invalidParameter(`Invalid ${where}.address: '${address}' is not an email address`);
  const level = text(p, 'level', where) ?? 'to';
  if (!['to', 'cc', 'bcc'].includes(level)) throw invalidParameter(`Invalid ${where}.level: '${level}' is not one of to, cc, bcc`);
  return { address, level: level as MediaParticipant['level'], name };
}

/** Routing: {properties: {workspace_sid, workflow_sid, queue_sid, worker_sid, task_channel_*, attributes, priority, timeout}}. */
export function parseRouting(routing: Obj, where: string): RoutingPlan {
  const properties = routing.properties;
  if (!isObject(properties)) throw invalidParameter(`Missing required ${where}.properties: a JSON object naming at least workspace_sid`);
  const w = `${where}.properties`;
  let attributes: unknown = properties.attributes ?? {};
  if (typeof attributes === 'string') attributes = parseJson(attributes, `${w}.attributes`);
  if (!isObject(attributes)) throw invalidParameter(`Invalid ${w}.attributes: must be a JSON object`);
  return {
    workspaceSid: sid(properties, 'workspace_sid', 'WS', w, { required: true }) as string,
    workflowSid: sid(properties, 'workflow_sid', 'WW', w),
    queueSid: sid(properties, 'queue_sid', 'WQ', w),
    workerSid: sid(properties, 'worker_sid', 'WK', w),
    taskChannelSid: sid(properties, 'task_channel_sid', 'TC', w),
    taskChannelUniqueName: text(properties, 'task_channel_unique_name', w),
    attributes,
    priority: integer(properties, 'priority', w, 0, 2 ** 31 - 1),
    timeout: integer(properties, 'timeout', w, 1, TASK_LIMITS.maxTimeout),
  };
}

/**
 * Routing of an invite: like an interaction's, but the workspace defaults to the channel's (the
 * service then checks that a workflow, a queue or the workspace's only workflow says where it goes).
 */
export function parseInviteRouting(routing: unknown, workspaceSid: string): RoutingPlan {
  if (!isObject(routing)) throw invalidParameter('Invalid Routing parameter: must be a JSON object');
  const properties = isObject(routing.properties) ? { ...routing.properties, workspace_sid: routing.properties.workspace_sid ?? workspaceSid } : routing.properties;
  const plan = parseRouting({ ...routing, properties }, 'Routing');
  if (plan.workspaceSid !== workspaceSid) throw invalidParameter(`Invalid Routing.properties.workspace_sid: the channel's tasks are in Workspace ${workspaceSid}`);
  return plan;
}

/** A routing plan as Twilio's Routing object (snake_case), as invites keep it and `parseInviteRouting` reads it back. */
export function routingObject(r: RoutingPlan): { properties: Record<string, unknown> } {
  const properties: Record<string, unknown> = {
    workspace_sid: r.workspaceSid,
    workflow_sid: r.workflowSid,
    queue_sid: r.queueSid,
    worker_sid: r.workerSid,
    task_channel_sid: r.taskChannelSid,
    task_channel_unique_name: r.taskChannelUniqueName,
    attributes: r.attributes,
    priority: r.priority,
    timeout: r.timeout,
  };
  for (const k of Object.keys(properties)) if (properties[k] === undefined) delete properties[k];
  return { properties };
}
