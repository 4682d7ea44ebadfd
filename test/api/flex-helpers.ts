import assert from 'node:assert/strict';
import { switchyardClient } from '../../src/client.ts';
import { checkConformance } from '../support/server.ts';
import type { TestServer } from '../support/server.ts';
import { makeWorkspace, type Fixture } from './routing-helpers.ts';

/** Shared fixtures for the flex-*.test.ts suites: a workspace with one queue, one workflow and agents. */

export interface FlexFixture extends Fixture {
  queueSid: string;
  workflowSid: string;
  /** Agents by name: Available, with contact_uri client:<name>. */
  agents: Record<string, string>;
  /** The Routing object of an interaction in this workspace. */
  routing(extra?: Record<string, unknown>): { properties: Record<string, unknown> };
}

export async function flexWorkspace(t: TestServer, agentNames: string[] = ['alice'], opts: { available?: boolean } = {}): Promise<FlexFixture> {
  const f = await makeWorkspace(t);
  const queue = await f.queue('Support');
  const workflow = await f.workflow({ filters: [], default_filter: { queue: queue.sid } });
  const agents: Record<string, string> = {};
  for (const name of agentNames) {
    const w = await f.worker(name, { contact_uri: `client:${name}` }, { activitySid: opts.available === false ? f.act.offline : f.act.available });
    agents[name] = w.sid;
  }
  return {
    ...f,
    queueSid: queue.sid,
    workflowSid: workflow.sid,
    agents,
    routing: (extra = {}) => ({ properties: { workspace_sid: f.wsSid, workflow_sid: workflow.sid, ...extra } }),
  };
}

/** A conversation with a customer in it, as an inbound message would leave it. */
export async function customerConversation(t: TestServer, customer: { address?: string; proxy?: string; identity?: string; name?: string }) {
  const cv = t.client.conversations.v1;
  const c = await cv.conversations.create({ friendlyName: 'customer' });
  const p = await cv.conversations(c.sid).participants.create(
    customer.identity
      ? { identity: customer.identity, attributes: JSON.stringify(customer.name ? { friendlyName: customer.name } : {}) }
      : { 'messagingBinding.address': customer.address, 'messagingBinding.proxyAddress': customer.proxy, attributes: JSON.stringify(customer.name ? { friendlyName: customer.name } : {}) },
  );
  return { conversationSid: c.sid, participantSid: p.sid };
}

/** Identities and addresses of a conversation's participants, sorted. */
export async function members(t: TestServer, conversationSid: string): Promise<string[]> {
  const ps = await t.client.conversations.v1.conversations(conversationSid).participants.list();
  return ps.map((p) => p.identity ?? (p.messagingBinding as { address?: string } | null)?.address ?? '?').sort();
}

export type Routed = { properties: Record<string, any> };

/** The task inside an interaction's routing, with its attributes parsed. */
export function routedTask(routing: unknown): Record<string, any> & { attrs: Record<string, any> } {
  const r = routing as Routed;
  assert.ok(r?.properties, 'routing.properties');
  return { ...r.properties, attrs: JSON.parse(r.properties.attributes) };
}

/** The tables an Interactions request may write to, directly or through TaskRouter and Conversations. */
export const FLEX_TABLES = [
  'interactions',
  'interaction_channels',
  'interaction_invites',
  'interaction_participants',
  'interaction_transfers',
  'tasks',
  'conversations',
  'conversation_participants',
] as const;

/** Row counts of FLEX_TABLES: a refused request must leave them as they were. */
export async function flexRowCounts(t: TestServer): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of FLEX_TABLES) out[table] = Number((await t.server.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`))?.n ?? 0);
  return out;
}

/**
 * An official client (conformance-checked like `t.client`) that also keeps the raw JSON and the
 * HTTP status of every response: the instances it returns camelCase the keys, and the exact key
 * set of a body is under test.
 */
export function recordingClient(t: TestServer, account: { accountSid: string; authToken: string } = t.account) {
  const responses: { status: number; body: any }[] = [];
  const client = switchyardClient(t.baseUrl, account.accountSid, account.authToken, {
    onResponse: (request, response) => {
      checkConformance(request, response);
      responses.push({ status: response.statusCode, body: typeof response.body === 'string' ? JSON.parse(response.body) : response.body });
    },
  });
  return {
    client,
    /** The last response received. */
    last(): { status: number; body: any } {
      assert.ok(responses.length > 0, 'a response was received');
      return responses[responses.length - 1];
    },
  };
}
