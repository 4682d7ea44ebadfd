import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertTwilioError } from '../support/twilio-error.ts';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { customerConversation, FLEX_TABLES, flexWorkspace } from './flex-helpers.ts';

/**
 * Bad input against the Flex Interactions API, one row per mistake a caller can make.
 *
 * Every row must be answered with the expected 400 or 404, a body that is exactly Twilio's error
 * shape `{code, message, more_info, status}`, and no trace in the store: the rows of every table
 * an Interactions request writes to (interactions, channels, invites, participants, transfers,
 * tasks, conversations, conversation participants) are the same before and after, so a half-done
 * write that is not rolled back fails the row even when the status is right.
 */

/** The resources the setup makes. */
interface Ids {
  /** A workspace with one queue, one workflow and alice (Available). */
  ws: string;
  workflow: string;
  queue: string;
  alice: string;
  /** Another workspace of the same account, with two workflows, a queue and a worker. */
  otherWs: string;
  otherWorkflow: string;
  otherQueue: string;
  otherWorker: string;
  /** A workspace, its workflow and a conversation of another account. */
  foreignWs: string;
  foreignWorkflow: string;
  foreignConversation: string;
  /** A conversation of ours with a customer in it. */
  conversation: string;
  /** An interaction with its active channel and customer participant; a second interaction. */
  kd: string;
  uo: string;
  ut: string;
  kd2: string;
}

interface Row {
  why: string;
  method: 'GET' | 'POST';
  /** Relative to /flex-api/v1. */
  path: (i: Ids) => string;
  /** Form fields (form-encoded), or a raw body (sent with `contentType`). */
  body?: (i: Ids) => Record<string, string> | string;
  contentType?: string;
  status: 400 | 404;
  code: number;
  message?: RegExp;
}

const NO = (prefix: string) => prefix + '0'.repeat(32); // a well-formed SID that names nothing
const json = (v: unknown) => JSON.stringify(v);
const JSON_CT = 'application/json';

const CUSTOMER = { address: '+15551230000', proxy_address: '+15550009999' };
/** A valid api-initiated SMS Channel, with overrides. */
const smsChannel = (extra: Record<string, unknown> = {}) => json({ type: 'sms', initiated_by: 'api', participants: [CUSTOMER], ...extra });
/** Valid Routing for `ws`, with overrides of properties. */
const routing = (i: Ids, props: Record<string, unknown> = {}) => json({ properties: { workspace_sid: i.ws, workflow_sid: i.workflow, ...props } });
/** A create request: Channel (JSON text) and valid Routing unless told. */
const create = (channel: string, r?: (i: Ids) => string | undefined) => (i: Ids) => {
  const fields: Record<string, string> = { Channel: channel };
  const routingText = r ? r(i) : routing(i);
  if (routingText !== undefined) fields.Routing = routingText;
  return fields;
};
const agentRouting = (i: Ids, props: Record<string, unknown> = {}) => routing(i, { queue_sid: i.queue, worker_sid: i.alice, ...props });
const EMAIL_FROM = { from: 'support@acme.example', from_name: 'Acme Support' };
const emailParticipant = { level: 'to', name: 'Ada', address: 'ada@example.com' };

const INTERACTIONS = () => '/Interactions';
const CHANNEL = (i: Ids) => `/Interactions/${i.kd}/Channels/${i.uo}`;

const rows: Row[] = [
  // --- Channel: required, a JSON object with a known type and initiated_by.
  { why: 'missing Channel', method: 'POST', path: INTERACTIONS, body: (i) => ({ Routing: routing(i) }), status: 400, code: 20001, message: /Channel/ },
  { why: 'Channel that is not JSON', method: 'POST', path: INTERACTIONS, body: create('{type: sms'), status: 400, code: 20001, message: /Channel/ },
  { why: 'Channel that is a JSON array', method: 'POST', path: INTERACTIONS, body: create('[{"type":"sms"}]'), status: 400, code: 20001, message: /Channel/ },
  { why: 'Channel without type', method: 'POST', path: INTERACTIONS, body: create(json({ initiated_by: 'api', participants: [CUSTOMER] })), status: 400, code: 20001, message: /Channel\.type/ },
  { why: 'unknown channel type', method: 'POST', path: INTERACTIONS, body: create(smsChannel({ type: 'fax' })), status: 400, code: 20001, message: /Channel\.type/ },
  { why: 'voice, a channel type no interaction is created with', method: 'POST', path: INTERACTIONS, body: create(smsChannel({ type: 'voice' })), status: 400, code: 20001, message: /Channel\.type/ },
  { why: 'Channel without initiated_by', method: 'POST', path: INTERACTIONS, body: create(json({ type: 'sms', participants: [CUSTOMER] })), status: 400, code: 20001, message: /initiated_by/ },
  { why: 'unknown initiated_by', method: 'POST', path: INTERACTIONS, body: create(smsChannel({ initiated_by: 'bot' })), status: 400, code: 20001, message: /initiated_by/ },
  { why: 'Channel.sid of no channel', method: 'POST', path: INTERACTIONS, body: () => ({ Channel: json({ sid: NO('UO') }) }), status: 400, code: 20001, message: /Channel\.sid/ },
  { why: 'Channel.sid that is not a UO SID', method: 'POST', path: INTERACTIONS, body: () => ({ Channel: json({ sid: NO('KD') }) }), status: 400, code: 20001, message: /Channel\.sid/ },

  // --- initiated_by customer: binds to a conversation of this account the customer is in.
  { why: 'customer without media_channel_sid', method: 'POST', path: INTERACTIONS, body: create(json({ type: 'sms', initiated_by: 'customer' })), status: 400, code: 20001, message: /media_channel_sid/ },
  {
    why: "media_channel_sid of another account's conversation", method: 'POST', path: INTERACTIONS,
    body: (i) => create(json({ type: 'sms', initiated_by: 'customer', properties: { media_channel_sid: i.foreignConversation } }))(i), status: 400, code: 20001, message: /media_channel_sid/,
  },
  { why: 'media_channel_sid of no conversation', method: 'POST', path: INTERACTIONS, body: create(json({ type: 'sms', initiated_by: 'customer', properties: { media_channel_sid: NO('CH') } })), status: 400, code: 20001, message: /media_channel_sid/ },
  { why: 'media_channel_sid that is not a CH SID', method: 'POST', path: INTERACTIONS, body: create(json({ type: 'sms', initiated_by: 'customer', properties: { media_channel_sid: 'conversation-1' } })), status: 400, code: 20001, message: /media_channel_sid/ },
  { why: 'Channel.properties that is not an object', method: 'POST', path: INTERACTIONS, body: create(smsChannel({ properties: 'CH123' })), status: 400, code: 20001, message: /properties/ },

  // --- initiated_by agent: participants, worker_sid and queue_sid; a new conversation.
  { why: 'agent without participants', method: 'POST', path: INTERACTIONS, body: create(json({ type: 'sms', initiated_by: 'agent' }), agentRouting), status: 400, code: 20001, message: /participants/ },
  { why: 'agent with no participant', method: 'POST', path: INTERACTIONS, body: create(smsChannel({ initiated_by: 'agent', participants: [] }), agentRouting), status: 400, code: 20001, message: /participants/ },
  { why: 'agent without worker_sid', method: 'POST', path: INTERACTIONS, body: create(smsChannel({ initiated_by: 'agent' }), (i) => routing(i, { queue_sid: i.queue })), status: 400, code: 20001, message: /worker_sid/ },
  { why: 'agent without queue_sid', method: 'POST', path: INTERACTIONS, body: create(smsChannel({ initiated_by: 'agent' }), (i) => routing(i, { worker_sid: i.alice })), status: 400, code: 20001, message: /queue_sid/ },
  {
    why: 'agent with a media_channel_sid (an agent starts a new conversation)', method: 'POST', path: INTERACTIONS,
    body: (i) => create(smsChannel({ initiated_by: 'agent', properties: { media_channel_sid: i.conversation } }), agentRouting)(i), status: 400, code: 20001, message: /media_channel_sid/,
  },

  // --- email sent by an agent or the API: from and from_name.
  { why: 'email agent without from', method: 'POST', path: INTERACTIONS, body: create(json({ type: 'email', initiated_by: 'agent', participants: [emailParticipant], properties: { from_name: 'Acme' } }), agentRouting), status: 400, code: 20001, message: /\.from\b/ },
  { why: 'email agent without from_name', method: 'POST', path: INTERACTIONS, body: create(json({ type: 'email', initiated_by: 'agent', participants: [emailParticipant], properties: { from: EMAIL_FROM.from } }), agentRouting), status: 400, code: 20001, message: /from_name/ },
  { why: 'email api without from', method: 'POST', path: INTERACTIONS, body: create(json({ type: 'email', initiated_by: 'api', participants: [emailParticipant], properties: { from_name: 'Acme' } })), status: 400, code: 20001, message: /\.from\b/ },
  { why: 'email api without from_name', method: 'POST', path: INTERACTIONS, body: create(json({ type: 'email', initiated_by: 'api', participants: [emailParticipant], properties: { from: EMAIL_FROM.from } })), status: 400, code: 20001, message: /from_name/ },
  { why: 'email api without properties at all', method: 'POST', path: INTERACTIONS, body: create(json({ type: 'email', initiated_by: 'api', participants: [emailParticipant] })), status: 400, code: 20001, message: /from/ },
  { why: 'email from that is not an email address', method: 'POST', path: INTERACTIONS, body: create(json({ type: 'email', initiated_by: 'api', participants: [emailParticipant], properties: { ...EMAIL_FROM, from: 'Acme' } })), status: 400, code: 20001, message: /from/ },
  { why: 'email participant address that is not an email address', method: 'POST', path: INTERACTIONS, body: create(json({ type: 'email', initiated_by: 'api', participants: [{ ...emailParticipant, address: '+15551230000' }], properties: EMAIL_FROM })), status: 400, code: 20001, message: /address/ },
  { why: 'email participant with an unknown level', method: 'POST', path: INTERACTIONS, body: create(json({ type: 'email', initiated_by: 'api', participants: [{ ...emailParticipant, level: 'reply-to' }], properties: EMAIL_FROM })), status: 400, code: 20001, message: /level/ },

  // --- Participants: the address fields of the channel type.
  { why: 'sms participant without proxy_address', method: 'POST', path: INTERACTIONS, body: create(smsChannel({ participants: [{ address: CUSTOMER.address }] })), status: 400, code: 20001, message: /proxy_address/ },
  { why: 'sms participant without address', method: 'POST', path: INTERACTIONS, body: create(smsChannel({ participants: [{ proxy_address: CUSTOMER.proxy_address }] })), status: 400, code: 20001, message: /address/ },
  { why: 'sms participant with a whatsapp: address', method: 'POST', path: INTERACTIONS, body: create(smsChannel({ participants: [{ ...CUSTOMER, address: 'whatsapp:+15551230000' }] })), status: 400, code: 20001, message: /address/ },
  { why: 'whatsapp address without the whatsapp: prefix', method: 'POST', path: INTERACTIONS, body: create(json({ type: 'whatsapp', initiated_by: 'api', participants: [{ address: '+15551230000', proxy_address: 'whatsapp:+15550009999' }] })), status: 400, code: 20001, message: /whatsapp:/ },
  { why: 'whatsapp proxy_address without the whatsapp: prefix', method: 'POST', path: INTERACTIONS, body: create(json({ type: 'whatsapp', initiated_by: 'api', participants: [{ address: 'whatsapp:+15551230000', proxy_address: '+15550009999' }] })), status: 400, code: 20001, message: /proxy_address/ },
  { why: 'chat participant without identity', method: 'POST', path: INTERACTIONS, body: create(json({ type: 'chat', initiated_by: 'api', participants: [{ name: 'Ada' }] })), status: 400, code: 20001, message: /identity/ },
  { why: 'chat participant with an empty identity', method: 'POST', path: INTERACTIONS, body: create(json({ type: 'chat', initiated_by: 'api', participants: [{ identity: ' ' }] })), status: 400, code: 20001, message: /identity/ },
  { why: 'participants that is not an array', method: 'POST', path: INTERACTIONS, body: create(smsChannel({ participants: CUSTOMER })), status: 400, code: 20001, message: /participants/ },
  { why: 'a participant that is not an object', method: 'POST', path: INTERACTIONS, body: create(smsChannel({ participants: ['+15551230000'] })), status: 400, code: 20001, message: /participants\[0\]/ },

  // --- Routing: required without Channel.sid; properties naming SIDs of this account's workspace.
  { why: 'Routing missing (and no Channel.sid)', method: 'POST', path: INTERACTIONS, body: create(smsChannel(), () => undefined), status: 400, code: 20001, message: /Routing/ },
  { why: 'Routing that is not JSON', method: 'POST', path: INTERACTIONS, body: create(smsChannel(), () => '{properties:'), status: 400, code: 20001, message: /Routing/ },
  { why: 'Routing without properties', method: 'POST', path: INTERACTIONS, body: create(smsChannel(), (i) => json({ workspace_sid: i.ws })), status: 400, code: 20001, message: /properties/ },
  { why: 'Routing.properties without workspace_sid', method: 'POST', path: INTERACTIONS, body: create(smsChannel(), (i) => json({ properties: { workflow_sid: i.workflow } })), status: 400, code: 20001, message: /workspace_sid/ },
  { why: 'workspace_sid that is not a WS SID', method: 'POST', path: INTERACTIONS, body: create(smsChannel(), (i) => routing(i, { workspace_sid: 'support' })), status: 400, code: 20001, message: /workspace_sid/ },
  { why: 'workspace of another account', method: 'POST', path: INTERACTIONS, body: create(smsChannel(), (i) => routing(i, { workspace_sid: i.foreignWs, workflow_sid: i.foreignWorkflow })), status: 400, code: 20001, message: /workspace_sid/ },
  { why: 'workspace that does not exist', method: 'POST', path: INTERACTIONS, body: create(smsChannel(), (i) => routing(i, { workspace_sid: NO('WS') })), status: 400, code: 20001, message: /workspace_sid/ },
  { why: 'a workflow of another account', method: 'POST', path: INTERACTIONS, body: create(smsChannel(), (i) => routing(i, { workflow_sid: i.foreignWorkflow })), status: 400, code: 20001, message: /workflow_sid/ },
  { why: 'a workflow of another workspace', method: 'POST', path: INTERACTIONS, body: create(smsChannel(), (i) => routing(i, { workflow_sid: i.otherWorkflow })), status: 400, code: 20001, message: /workflow_sid/ },
  { why: 'no workflow_sid in a workspace of two workflows', method: 'POST', path: INTERACTIONS, body: create(smsChannel(), (i) => json({ properties: { workspace_sid: i.otherWs } })), status: 400, code: 20001, message: /workflow_sid/ },
  { why: 'a queue of another workspace', method: 'POST', path: INTERACTIONS, body: create(smsChannel({ initiated_by: 'agent' }), (i) => agentRouting(i, { queue_sid: i.otherQueue })), status: 400, code: 20001, message: /queue_sid/ },
  { why: 'a worker of another workspace', method: 'POST', path: INTERACTIONS, body: create(smsChannel({ initiated_by: 'agent' }), (i) => agentRouting(i, { worker_sid: i.otherWorker })), status: 400, code: 20001, message: /worker_sid/ },
  { why: 'a worker that does not exist', method: 'POST', path: INTERACTIONS, body: create(smsChannel({ initiated_by: 'agent' }), (i) => agentRouting(i, { worker_sid: NO('WK') })), status: 400, code: 20001, message: /worker_sid/ },
  { why: 'unknown task channel unique name', method: 'POST', path: INTERACTIONS, body: create(smsChannel(), (i) => routing(i, { task_channel_unique_name: 'carrier-pigeon' })), status: 400, code: 20001, message: /carrier-pigeon/ },
  { why: 'unknown task channel SID', method: 'POST', path: INTERACTIONS, body: create(smsChannel(), (i) => routing(i, { task_channel_sid: NO('TC') })), status: 400, code: 20001, message: /TaskChannel/ },
  { why: 'negative priority', method: 'POST', path: INTERACTIONS, body: create(smsChannel(), (i) => routing(i, { priority: -1 })), status: 400, code: 20001, message: /priority/ },
  { why: 'priority that is not a number', method: 'POST', path: INTERACTIONS, body: create(smsChannel(), (i) => routing(i, { priority: 'high' })), status: 400, code: 20001, message: /priority/ },
  { why: 'fractional priority', method: 'POST', path: INTERACTIONS, body: create(smsChannel(), (i) => routing(i, { priority: 1.5 })), status: 400, code: 20001, message: /priority/ },
  { why: 'zero timeout', method: 'POST', path: INTERACTIONS, body: create(smsChannel(), (i) => routing(i, { timeout: 0 })), status: 400, code: 20001, message: /timeout/ },
  { why: 'task attributes that are a JSON array', method: 'POST', path: INTERACTIONS, body: create(smsChannel(), (i) => routing(i, { attributes: ['vip'] })), status: 400, code: 20001, message: /attributes/ },
  { why: 'task attributes that are a string but not JSON', method: 'POST', path: INTERACTIONS, body: create(smsChannel(), (i) => routing(i, { attributes: '{vip' })), status: 400, code: 20001, message: /attributes/ },

  // --- The other create parameters.
  { why: 'InteractionContextSid that is not an HQ SID', method: 'POST', path: INTERACTIONS, body: (i) => ({ ...create(smsChannel())(i), InteractionContextSid: NO('KD') }), status: 400, code: 20001, message: /InteractionContextSid/ },
  { why: 'WebhookTtid over 256 characters', method: 'POST', path: INTERACTIONS, body: (i) => ({ ...create(smsChannel())(i), WebhookTtid: 'x'.repeat(257) }), status: 400, code: 20001, message: /WebhookTtid/ },

  // --- Invites: Routing required, in the channel's workspace.
  { why: 'invite without Routing', method: 'POST', path: (i) => `${CHANNEL(i)}/Invites`, body: () => ({}), status: 400, code: 20001, message: /Routing/ },
  { why: 'invite with Routing that is not JSON', method: 'POST', path: (i) => `${CHANNEL(i)}/Invites`, body: () => ({ Routing: '{properties' }), status: 400, code: 20001, message: /Routing/ },
  { why: 'invite into another workspace', method: 'POST', path: (i) => `${CHANNEL(i)}/Invites`, body: (i) => ({ Routing: json({ properties: { workspace_sid: i.otherWs, workflow_sid: i.otherWorkflow } }) }), status: 400, code: 20001, message: /workspace_sid/ },
  { why: 'invite to a queue of another workspace', method: 'POST', path: (i) => `${CHANNEL(i)}/Invites`, body: (i) => ({ Routing: json({ properties: { queue_sid: i.otherQueue } }) }), status: 400, code: 20001, message: /queue_sid/ },
  { why: 'invite to a channel that does not exist', method: 'POST', path: (i) => `/Interactions/${i.kd}/Channels/${NO('UO')}/Invites`, body: (i) => ({ Routing: routing(i) }), status: 404, code: 20404 },

  // --- Participants: Type and MediaProperties.
  { why: 'participant with an unknown Type', method: 'POST', path: (i) => `${CHANNEL(i)}/Participants`, body: () => ({ Type: 'robot', MediaProperties: json(CUSTOMER) }), status: 400, code: 20001, message: /Type/ },
  { why: 'participant without Type', method: 'POST', path: (i) => `${CHANNEL(i)}/Participants`, body: () => ({ MediaProperties: json(CUSTOMER) }), status: 400, code: 20001, message: /Type/ },
  { why: 'participant without MediaProperties', method: 'POST', path: (i) => `${CHANNEL(i)}/Participants`, body: () => ({ Type: 'customer' }), status: 400, code: 20001, message: /MediaProperties/ },
  { why: 'participant with MediaProperties that are not JSON', method: 'POST', path: (i) => `${CHANNEL(i)}/Participants`, body: () => ({ Type: 'customer', MediaProperties: '{address' }), status: 400, code: 20001, message: /MediaProperties/ },
  { why: 'sms customer participant without proxy_address', method: 'POST', path: (i) => `${CHANNEL(i)}/Participants`, body: () => ({ Type: 'customer', MediaProperties: json({ address: '+15551239999' }) }), status: 400, code: 20001, message: /proxy_address/ },
  { why: 'agent participant without identity or worker', method: 'POST', path: (i) => `${CHANNEL(i)}/Participants`, body: () => ({ Type: 'agent', MediaProperties: json({}) }), status: 400, code: 20001, message: /identity/ },
  { why: 'agent participant with a worker of another workspace', method: 'POST', path: (i) => `${CHANNEL(i)}/Participants`, body: (i) => ({ Type: 'agent', MediaProperties: json({}), RoutingProperties: json({ worker_sid: i.otherWorker }) }), status: 400, code: 20001, message: /worker_sid/ },
  { why: 'participant update with an unknown Status', method: 'POST', path: (i) => `${CHANNEL(i)}/Participants/${i.ut}`, body: () => ({ Status: 'gone' }), status: 400, code: 20001, message: /Status/ },
  { why: 'participant update of no participant', method: 'POST', path: (i) => `${CHANNEL(i)}/Participants/${NO('UT')}`, body: () => ({ Status: 'closed' }), status: 404, code: 20404 },

  // --- Channel update: Status closed|inactive; Routing.status closed|wrapup.
  { why: 'channel update with an unknown Status', method: 'POST', path: CHANNEL, body: () => ({ Status: 'open' }), status: 400, code: 20001, message: /Status/ },
  { why: 'channel update without Status', method: 'POST', path: CHANNEL, body: () => ({ Routing: json({ status: 'wrapup' }) }), status: 400, code: 20001, message: /Status/ },
  { why: 'channel update with an unknown Routing.status', method: 'POST', path: CHANNEL, body: () => ({ Status: 'closed', Routing: json({ status: 'paused' }) }), status: 400, code: 20001, message: /Routing/ },
  { why: 'channel update with Routing that is not JSON', method: 'POST', path: CHANNEL, body: () => ({ Status: 'closed', Routing: '{status' }), status: 400, code: 20001, message: /Routing/ },

  // --- Unknown SIDs: 404 / 20404.
  { why: 'fetch of no interaction', method: 'GET', path: () => `/Interactions/${NO('KD')}`, status: 404, code: 20404 },
  { why: 'fetch of a malformed interaction SID', method: 'GET', path: () => '/Interactions/KD-nope', status: 404, code: 20404 },
  { why: 'update of no interaction', method: 'POST', path: () => `/Interactions/${NO('KD')}`, body: () => ({ WebhookTtid: 'flex_interactionwebhook_x' }), status: 404, code: 20404 },
  { why: 'channels of no interaction', method: 'GET', path: () => `/Interactions/${NO('KD')}/Channels`, status: 404, code: 20404 },
  { why: 'fetch of no channel', method: 'GET', path: (i) => `/Interactions/${i.kd}/Channels/${NO('UO')}`, status: 404, code: 20404 },
  { why: 'fetch of a channel under another interaction', method: 'GET', path: (i) => `/Interactions/${i.kd2}/Channels/${i.uo}`, status: 404, code: 20404 },
  { why: 'update of no channel', method: 'POST', path: (i) => `/Interactions/${i.kd}/Channels/${NO('UO')}`, body: () => ({ Status: 'closed' }), status: 404, code: 20404 },
  { why: 'participants of no channel', method: 'GET', path: (i) => `/Interactions/${i.kd}/Channels/${NO('UO')}/Participants`, status: 404, code: 20404 },
  { why: 'invites of no channel', method: 'GET', path: (i) => `/Interactions/${i.kd}/Channels/${NO('UO')}/Invites`, status: 404, code: 20404 },
  { why: 'fetch of no transfer', method: 'GET', path: (i) => `${CHANNEL(i)}/Transfers/${NO('UX')}`, status: 404, code: 20404 },

  // --- Transfers: a JSON body {type, from, to}.
  { why: 'transfer with a body that is not JSON', method: 'POST', path: (i) => `${CHANNEL(i)}/Transfers`, body: () => '{"type": "cold", "from":', contentType: JSON_CT, status: 400, code: 20001 },
  { why: 'transfer with a JSON array', method: 'POST', path: (i) => `${CHANNEL(i)}/Transfers`, body: () => '[]', contentType: JSON_CT, status: 400, code: 20001 },
  { why: 'transfer with a form body', method: 'POST', path: (i) => `${CHANNEL(i)}/Transfers`, body: (i) => ({ type: 'cold', from: i.ut, to: i.queue }), status: 400, code: 20001 },
  { why: 'transfer without from', method: 'POST', path: (i) => `${CHANNEL(i)}/Transfers`, body: (i) => json({ type: 'cold', to: i.queue }), contentType: JSON_CT, status: 400, code: 20001, message: /from/ },
  { why: 'transfer with an unknown type', method: 'POST', path: (i) => `${CHANNEL(i)}/Transfers`, body: (i) => json({ type: 'lukewarm', from: i.ut, to: i.queue }), contentType: JSON_CT, status: 400, code: 20001, message: /type/ },
  { why: 'transfer to something that is not a worker, queue or workflow', method: 'POST', path: (i) => `${CHANNEL(i)}/Transfers`, body: (i) => json({ type: 'cold', from: i.ut, to: i.ws }), contentType: JSON_CT, status: 400, code: 20001, message: /to/ },
  { why: 'transfer from a customer', method: 'POST', path: (i) => `${CHANNEL(i)}/Transfers`, body: (i) => json({ type: 'cold', from: i.ut, to: i.queue }), contentType: JSON_CT, status: 400, code: 20001, message: /from/ },
  { why: 'transfer to a queue of another workspace', method: 'POST', path: (i) => `${CHANNEL(i)}/Transfers`, body: (i) => json({ type: 'cold', from: i.ut, to: i.otherQueue }), contentType: JSON_CT, status: 400, code: 20001 },
  { why: 'transfer update with a body that is not JSON', method: 'POST', path: (i) => `${CHANNEL(i)}/Transfers/${NO('UX')}`, body: () => '{"status":', contentType: JSON_CT, status: 400, code: 20001 },
  { why: 'transfer update with an unknown status', method: 'POST', path: (i) => `${CHANNEL(i)}/Transfers/${NO('UX')}`, body: () => json({ status: 'paused' }), contentType: JSON_CT, status: 400, code: 20001, message: /status/ },
];

/** Every row of the tables an Interactions request writes to. */
async function snapshot(t: TestServer): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const table of FLEX_TABLES) out[table] = await t.server.db.all(`SELECT * FROM ${table} ORDER BY sid`);
  return out;
}

for (const backend of backends()) {
  describe(`flex: bad input is refused with a Twilio error and changes nothing (${backend.name})`, () => {
    let t: TestServer;
    let ids: Ids;

    before(async () => {
      t = await startServer(backend);
      const f = await flexWorkspace(t, ['alice']);
      const other = await flexWorkspace(t, ['olga']);
      const second = await other.workflow({ filters: [], default_filter: { queue: other.queueSid } });
      assert.ok(second.sid);
      const foreign = await t.newAccount();
      const foreignView: TestServer = { ...t, client: foreign.client, account: foreign.account };
      const foreignWs = await flexWorkspace(foreignView, []);
      const { conversationSid: foreignConversation } = await customerConversation(foreignView, { address: '+15551230001', proxy: '+15550009999' });
      const { conversationSid: conversation } = await customerConversation(t, { address: '+15551230002', proxy: '+15550009999' });
      const flex = t.client.flexApi.v1;
      const made = await flex.interaction.create({
        channel: { type: 'sms', initiated_by: 'customer', properties: { media_channel_sid: conversation } },
        routing: f.routing(),
      });
      const uo = (made.channel as { sid: string }).sid;
      const [customer] = await flex.interaction(made.sid).channels(uo).participants.list();
      const made2 = await flex.interaction.create({ channel: { type: 'chat', initiated_by: 'api', participants: [{ identity: 'ada' }] }, routing: f.routing() });
      ids = {
        ws: f.wsSid, workflow: f.workflowSid, queue: f.queueSid, alice: f.agents.alice,
        otherWs: other.wsSid, otherWorkflow: other.workflowSid, otherQueue: other.queueSid, otherWorker: other.agents.olga,
        foreignWs: foreignWs.wsSid, foreignWorkflow: foreignWs.workflowSid, foreignConversation, conversation,
        kd: made.sid, uo, ut: customer.sid, kd2: made2.sid,
      };
      assert.equal((await flex.interaction(made.sid).channels(uo).fetch()).status, 'active', 'the setup relies on an active channel');
      assert.equal(customer.type, 'customer');
    });
    after(() => t.close());

    test(`the table has at least 80 rows (${rows.length})`, () => {
      assert.ok(rows.length >= 80);
    });

    for (const row of rows) {
      test(`${row.method} ${row.why} → ${row.status}/${row.code}`, async () => {
        const before = await snapshot(t);
        const body = row.body?.(ids);
        const res = await t.http(row.method, '/flex-api/v1' + row.path(ids), {
          body: body === undefined ? undefined : typeof body === 'string' ? body : new URLSearchParams(body).toString(),
          headers: row.contentType ? { 'content-type': row.contentType } : {},
        });
        assertTwilioError(res, row.status, row.code, row.message);

        assert.deepEqual(await snapshot(t), before, 'nothing was created or changed');
      });
    }
  });
}
