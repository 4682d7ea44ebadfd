import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { facts, type FieldFact, type OperationFact, type Product } from '../support/conformance.ts';

/** A path segment: fixed text, a parameter (with the SID type it names, when known), or the rest of a path. */
export type Segment = { fixed: string } | { param: string; sid?: string } | { rest: true };

/** How a route authenticates its caller. */
export type Auth = 'basic' | 'none' | 'worker-token' | 'signature' | 'envelope';

export interface FuzzRoute {
  method: string;
  segments: Segment[];
  /** Every parameter the route takes, from Twilio's spec (spec/facts.json) or, for Switchyard's own routes, from EXTRA_PARAMS. */
  params: Record<string, FieldFact>;
  where: 'query' | 'body';
  bodyType: 'form' | 'json';
  auth: Auth;
  /** False for operations of Twilio's spec that this server does not serve (they must be a clean 404). */
  served: boolean;
  /** "POST /taskrouter/v1/Workspaces/{WS}/Workers", for the report. */
  name: string;
}

const PREFIX: Record<string, Product> = { taskrouter: 'taskrouter', conversations: 'conversations', 'flex-api': 'flex' };
const METHODS = ['GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS'];

const s = (type: FieldFact['type'] = 'string', more: Partial<FieldFact> = {}): FieldFact => ({ type, ...more });
const sid = (prefix: string, more: Partial<FieldFact> = {}): FieldFact => ({ type: 'string', sid: prefix, ...more });
const PAGE = { PageSize: s('integer', { min: 1, max: 1000 }), Page: s('integer', { min: 0 }), PageToken: s() };

/**
 * Parameters of the routes Twilio's spec does not describe (Switchyard's own API, the agent and
 * web chat endpoints, the inbound gateway, the event bridge) and of the spec's JSON bodies, read
 * from their handlers. Keyed by "METHOD path" with parameters as `*`.
 */
const EXTRA_PARAMS: Record<string, Record<string, FieldFact>> = {
  'GET /switchyard/v1/Workspaces/*/Tasks/*/Explain': { WorkerSid: s('array', { items: sid('WK') }) },
  'POST /switchyard/v1/Workspaces/*/Workers/*/Credentials': { Username: s(), Password: s() },
  'POST /switchyard/v1/WebChat/Widgets': { WorkspaceSid: sid('WS', { required: true }), WorkflowSid: sid('WW'), TaskChannel: s(), FriendlyName: s(), AllowedOrigins: s('array', { items: s('string', { format: 'uri' }) }), Title: s(), Greeting: s(), AccentColor: s(), HeaderColor: s(), PreEngagementConfig: s() },
  'POST /switchyard/v1/WebChat/Widgets/*': { FriendlyName: s(), AllowedOrigins: s('array', { items: s('string', { format: 'uri' }) }), Title: s(), Greeting: s(), AccentColor: s(), HeaderColor: s(), PreEngagementConfig: s() },
  'GET /switchyard/v1/WebChat/Widgets': PAGE,
  'POST /switchyard/v1/Agent/Sessions': { AccountSid: sid('AC', { required: true }), Username: s('string', { required: true }), Password: s('string', { required: true }) },
  'POST /switchyard/v1/Agent/Tokens': {},
  'POST /switchyard/v1/Agent/Tasks/*/Transfer': { To: sid('WQ', { required: true }), Type: s('string', { enum: ['cold', 'warm'] }) },
  'POST /switchyard/v1/Agent/Tasks/*/Transfers/*': { Status: s('string', { enum: ['completed', 'failed'] }) },
  'POST /switchyard/v1/Agent/Tasks/*/WrapUp': { DispositionCode: s(), Note: s() },
  'GET /switchyard/v1/Agent/CannedResponses': { Search: s() },
  'POST /switchyard/v1/Workspaces/*/CannedResponses': { FriendlyName: s(), Body: s(), Category: s() },
  'POST /switchyard/v1/Workspaces/*/CannedResponses/*': { FriendlyName: s(), Body: s(), Category: s() },
  'POST /switchyard/v1/Workspaces/*/DispositionCodes': { Code: s(), FriendlyName: s() },
  'POST /switchyard/v1/Workspaces/*/DispositionCodes/*': { FriendlyName: s() },
  'POST /switchyard/v1/Workspaces/*/AgentDesktop': { WrapUpTimeout: s('integer', { min: 0, max: 3600 }) },
  'POST /switchyard/v1/Supervisor/Sessions': { AccountSid: sid('AC', { required: true }), Username: s('string', { required: true }), Password: s('string', { required: true }) },
  'POST /switchyard/v1/Supervisor/Tokens': {},
  'POST /switchyard/v1/Supervisor/Workers/*': { ActivitySid: sid('WA', { required: true }) },
  'POST /switchyard/v1/Supervisor/Chats/*/Join': {},
  'POST /switchyard/v1/Supervisor/Chats/*/Leave': {},
  'POST /switchyard/v1/Supervisor/Chats/*/Messages': { Body: s('string', { required: true }) },
  'POST /webchat/v1/Sessions': { Widget: sid('YW', { required: true }), Name: s(), PreEngagementData: s() },
  'POST /webchat/v1/Sessions/Token': { Token: s() },
  'POST /webchat/v1/Sessions/End': { Token: s() },
  'POST /conversations/v1/Gateway/Messaging/Inbound': {
    AccountSid: sid('AC', { required: true }), From: s('string', { required: true }), To: s('string', { required: true }), Body: s(),
    MessageSid: sid('SM'), NumMedia: s('integer', { min: 0, max: 10 }), MediaUrl0: s('string', { format: 'uri' }), MediaContentType0: s(),
  },
  'GET /conversations/v1/Gateway/Meta/Webhook': { 'hub.mode': s('string', { enum: ['subscribe'] }), 'hub.verify_token': s(), 'hub.challenge': s() },
  'POST /conversations/v1/Gateway/Meta/Webhook': { object: s('string', { enum: ['page', 'whatsapp_business_account'] }), entry: s('array', { items: s('object') }) },
  'POST /event-bridge/v1/wschannels': { url: s('string', { required: true }), method: s('string', { enum: ['GET', 'POST'] }), params: s('object'), token: s('string', { required: true }) },
  'POST /flex-api/v1/Interactions/*/Channels/*/Transfers': { type: s('string', { enum: ['cold', 'warm'] }), from: sid('UT', { required: true }), to: sid('WQ', { required: true }), attributes: s('object') },
  'POST /flex-api/v1/Interactions/*/Channels/*/Transfers/*': { status: s('string', { enum: ['failed', 'completed'], required: true }) },
  'POST /taskrouter/v1/Workspaces/*/TaskQueues/RealTimeStatistics': { QueueSids: s('array', { items: sid('WQ'), required: true }) },
};

/**
 * SID types of path parameters the spec gives no type for (those that also take a unique name,
 * and Switchyard's own), by the collection they follow; Flex's names where they differ.
 */
const SEGMENT_SIDS: Record<string, string> = {
  Workspaces: 'WS', Tasks: 'WT', Workers: 'WK', TaskChannels: 'TC', Channels: 'WC', Conversations: 'CH', Participants: 'MB', Messages: 'IM',
  Receipts: 'DY', Webhooks: 'WH', Addresses: 'IG', Services: 'IS', Widgets: 'YW', Interactions: 'KD', Transfers: 'UX', Invites: 'KG',
  CannedResponses: 'YC', DispositionCodes: 'YD', Chats: 'WT',
};
const FLEX_SEGMENT_SIDS: Record<string, string> = { Channels: 'UO', Participants: 'UT' };

function authOf(path: string): Auth {
  if (path.startsWith('/switchyard/v1/Agent/Sessions')) return 'none';
  if (path.startsWith('/switchyard/v1/Supervisor/Sessions')) return 'none';
  if (path.startsWith('/switchyard/v1/Supervisor/')) return 'worker-token';
  if (path.startsWith('/switchyard/v1/Agent/')) return 'worker-token';
  if (path.startsWith('/conversations/v1/Gateway/Messaging')) return 'signature';
  if (path.startsWith('/event-bridge/')) return 'envelope';
  if (/^\/(taskrouter|conversations|flex-api|switchyard)\//.test(path)) return 'basic';
  return 'none';
}

/** The route as a key: parameters as `*`. */
export const routeKey = (method: string, segments: Segment[]) =>
  `${method} /${segments.map((g) => ('fixed' in g ? g.fixed : '*')).join('/')}`;

export interface ServedRoute {
  method: string;
  /** Fastify's pattern: /taskrouter/v1/Workspaces/:Sid, /agent/* */
  path: string;
}

/** Every route a Fastify app serves, read from the app itself (printRoutes, per method), each checked back with hasRoute. */
export function servedRoutes(app: FastifyInstance): ServedRoute[] {
  const served: ServedRoute[] = [];
  for (const method of METHODS) for (const path of printedPaths(app.printRoutes({ method }))) served.push({ method, path });
  for (const r of served) assert.ok(app.hasRoute({ method: r.method, url: r.path }), `the route inventory read ${r.method} ${r.path}, which the server does not have`);
  return served;
}

/**
 * The routes to fuzz: every route the server serves, plus every operation of Twilio's spec for
 * the three products, served or not. Parameters come from the spec where it has the operation.
 */
export function inventory(served: ServedRoute[]): FuzzRoute[] {
  assert.ok(served.length > 100, `the inventory found only ${served.length} routes`);
  const routes: FuzzRoute[] = [];
  const seen = new Set<string>();
  for (const { method, path } of served) {
    // A wildcard ends a path, as its own segment (/agent/*) or not (/webchat/v1*, CORS preflights).
    const raw = path.replace(/([^/])\*$/, '$1/*').split('/').slice(1);
    const product = PREFIX[raw[0]];
    const spec = product ? specFor(product, method, raw.slice(1)) : undefined;
    const segments: Segment[] = raw.map((text, i) => {
      if (text === '*') return { rest: true };
      if (!text.startsWith(':')) return { fixed: text };
      const name = spec?.pathNames[i - 1] ?? text.slice(1).split('|')[0];
      const byPlace = (raw[0] === 'flex-api' ? FLEX_SEGMENT_SIDS[raw[i - 1]] : undefined) ?? SEGMENT_SIDS[raw[i - 1]];
      return { param: name, sid: spec?.op.pathParams?.[name]?.sid ?? byPlace };
    });
    const key = routeKey(method, segments);
    seen.add(key);
    routes.push(route(method, segments, spec?.op, key, true));
  }
  // The spec's operations this server does not serve.
  for (const [product, prefix] of Object.entries({ taskrouter: 'taskrouter', conversations: 'conversations', flex: 'flex-api' })) {
    for (const [path, ops] of Object.entries(facts.products[product as Product].paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const segments: Segment[] = [{ fixed: prefix }, ...path.split('/').slice(1).map((text): Segment => {
          const m = /^\{(.+)\}$/.exec(text);
          return m ? { param: m[1], sid: op.pathParams?.[m[1]]?.sid } : { fixed: text };
        })];
        const key = routeKey(method, segments);
        if (!seen.has(key)) routes.push(route(method, segments, op, key, false));
      }
    }
  }
  return routes;
}

function route(method: string, segments: Segment[], op: OperationFact | undefined, key: string, served: boolean): FuzzRoute {
  const path = '/' + segments.map((g) => ('fixed' in g ? g.fixed : '*')).join('/');
  const extra = EXTRA_PARAMS[key] ?? {};
  const where = method === 'POST' ? 'body' : 'query';
  const params = { ...(where === 'body' ? op?.body : op?.query), ...extra };
  const json = op?.bodyType === 'json' || path.startsWith('/event-bridge/');
  return {
    method,
    segments,
    params,
    where,
    bodyType: json ? 'json' : 'form',
    auth: authOf(path),
    served,
    name: `${method} /${segments.map((g) => ('fixed' in g ? g.fixed : 'param' in g ? `{${g.sid ?? g.param}}` : '*')).join('/')}`,
  };
}

/** The spec's operation for a served path (its segments after the product prefix), and the names of its path parameters in order. */
function specFor(product: Product, method: string, segments: string[]): { op: OperationFact; pathNames: string[] } | undefined {
  for (const [path, ops] of Object.entries(facts.products[product].paths)) {
    const parts = path.split('/').slice(1);
    if (parts.length !== segments.length || !ops[method]) continue;
    if (!parts.every((p, i) => (p.startsWith('{') ? segments[i].startsWith(':') : p === segments[i]))) continue;
    return { op: ops[method], pathNames: parts.map((p) => p.replace(/^\{|\}$/g, '')) };
  }
  return undefined;
}

/** Full paths out of Fastify's route tree (common prefixes split out): each line's depth is where its branch mark starts. */
function printedPaths(tree: string): string[] {
  const out: string[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^((?:[│ ] {3})*)(?:├── |└── )(\S+)(?: \(([^)]*)\))?$/.exec(line);
    if (!m) continue;
    const depth = [...m[1]].length / 4;
    const parent = depth > 0 ? stack[depth - 1] : '';
    const full = parent + m[2];
    stack[depth] = full;
    stack.length = depth + 1;
    if (m[3] !== undefined) out.push(full.replace(/:([A-Za-z]+)\|:[A-Za-z|:]+/g, ':$1'));
  }
  return out;
}
