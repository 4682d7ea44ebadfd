import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { EnvReader } from '../../src/config/env-reader.ts';
import { metaOptionsFromEnv } from '../../src/channels/meta/config.ts';
import type { MetaOptions } from '../../src/channels/meta/options.ts';
import { startReceiver, type ReceivedRequest, type Receiver, type TestServer } from '../support/server.ts';

/** The Meta app the tests play: its secret signs the webhooks, its tokens authenticate the Graph calls. */
export const APP_SECRET = 'test-app-secret-0123456789abcdef';
export const VERIFY_TOKEN = 'switchyard-verify-42';
export const PAGE_ID = '104160000000001';
export const PAGE_TOKEN = 'EAAGpage0token';
export const PHONE_NUMBER_ID = '106540000000002';
export const BUSINESS_NUMBER = '+15550001111';
export const NUMBER_TOKEN = 'EAAGwhatsapp0token';
export const TEMPLATE_SID = 'HX' + 'a1'.repeat(16);
export const WEBHOOK = '/conversations/v1/Gateway/Meta/Webhook';
export const VERSION = '/v21.0';

/** The gateway's settings as an operator writes them, read through the same code main.ts uses. */
export function metaOptions(graphUrl: string): MetaOptions {
  const r = new EnvReader({
    SWITCHYARD_META_APP_SECRET: APP_SECRET,
    SWITCHYARD_META_VERIFY_TOKEN: VERIFY_TOKEN,
    SWITCHYARD_META_GRAPH_URL: graphUrl + VERSION,
    SWITCHYARD_MESSENGER_PAGES: JSON.stringify({ [PAGE_ID]: PAGE_TOKEN }),
    SWITCHYARD_WHATSAPP_CLOUD_NUMBERS: JSON.stringify({ [PHONE_NUMBER_ID]: { number: BUSINESS_NUMBER, token: NUMBER_TOKEN } }),
    SWITCHYARD_WHATSAPP_TEMPLATES: JSON.stringify({ [TEMPLATE_SID]: { name: 'order_update', language: 'en_US' } }),
  });
  const options = metaOptionsFromEnv(r);
  assert.deepEqual(r.problems, []);
  assert.ok(options);
  return { ...options, lookupTimeoutMs: 2_000 };
}

export const signature = (body: string, secret = APP_SECRET) => 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');

/** POSTs a webhook as Meta does: JSON, signed with the app secret over the exact bytes sent. */
export function postWebhook(t: TestServer, payload: unknown, sign: (body: string) => string | undefined = (b) => signature(b)) {
  const body = JSON.stringify(payload);
  const sig = sign(body);
  return t.http('POST', WEBHOOK, { body, headers: { 'content-type': 'application/json', ...(sig === undefined ? {} : { 'x-hub-signature-256': sig }) }, auth: null });
}

/** The receipt's channel message SID for a Meta message id: Conversations shows Twilio SIDs, so the gateway hashes Meta's id into one. */
export const sidOf = (metaId: string) => 'SM' + createHash('md5').update(metaId).digest('hex');

const proof = (token: string) => createHmac('sha256', APP_SECRET).update(token).digest('hex');

export interface GraphCall {
  method: string;
  path: string;
  json: any;
  ok: boolean;
}

/**
 * Meta's side: the Graph API. It checks each call's bearer token (the page's or the number's)
 * and its appsecret_proof, and the payload's shape, and answers as Graph does: message ids, or
 * Meta's error object. `fail` makes the next sends fail with the given error.
 */
export interface Graph {
  url: string;
  calls: GraphCall[];
  sends(): any[];
  fail: { status: number; error: Record<string, unknown> } | null;
  names: Record<string, string>;
  receiver: Receiver;
  close(): Promise<void>;
}

export async function startGraph(): Promise<Graph> {
  let n = 0;
  const graph: Graph = {
    url: '',
    calls: [],
    sends: () => graph.calls.filter((c) => c.method === 'POST' && c.ok).map((c) => c.json),
    fail: null,
    names: {},
    receiver: undefined as unknown as Receiver,
    close: () => graph.receiver.close(),
  };
  const error = (status: number, code: number, message: string) => ({ status, body: JSON.stringify({ error: { message, type: 'OAuthException', code, fbtrace_id: 'Atest' } }) });
  graph.receiver = await startReceiver((req: ReceivedRequest) => {
    const url = new URL(req.url);
    const token = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    const expected = url.pathname === `${VERSION}/${PHONE_NUMBER_ID}/messages` ? NUMBER_TOKEN : PAGE_TOKEN;
    const call: GraphCall = { method: req.method, path: url.pathname, json: req.body ? JSON.parse(req.body) : undefined, ok: false };
    graph.calls.push(call);
    if (token !== expected || url.searchParams.get('appsecret_proof') !== proof(expected)) return error(401, 190, 'Invalid OAuth access token');
    if (req.method === 'GET') {
      const psid = url.pathname.slice(VERSION.length + 1);
      const name = graph.names[psid];
      call.ok = name !== undefined;
      return name === undefined ? error(400, 100, 'Unsupported get request') : { status: 200, body: JSON.stringify({ name, id: psid }) };
    }
    if (String(req.headers['content-type']).split(';')[0] !== 'application/json') return error(400, 100, 'not JSON');
    if (graph.fail) return { status: graph.fail.status, body: JSON.stringify({ error: graph.fail.error }) };
    n++;
    if (url.pathname === `${VERSION}/${PAGE_ID}/messages`) {
      const j = call.json;
      if (typeof j?.recipient?.id !== 'string' || j.messaging_type !== 'RESPONSE' || !(typeof j.message?.text === 'string' || j.message?.attachment)) return error(400, 100, 'Invalid parameter');
      call.ok = true;
      return { status: 200, body: JSON.stringify({ recipient_id: j.recipient.id, message_id: `m_${n}` }) };
    }
    if (url.pathname === `${VERSION}/${PHONE_NUMBER_ID}/messages`) {
      const j = call.json;
      if (j?.messaging_product !== 'whatsapp' || !/^\d+$/.test(j.to ?? '') || typeof j.type !== 'string' || !j[j.type]) return error(400, 100, 'Invalid parameter');
      call.ok = true;
      return { status: 200, body: JSON.stringify({ messaging_product: 'whatsapp', contacts: [{ input: j.to, wa_id: j.to }], messages: [{ id: `wamid.${n}` }] }) };
    }
    return error(404, 803, 'Unknown path');
  });
  graph.url = graph.receiver.url;
  return graph;
}

/** A Messenger webhook with one messaging item for the test page. */
export const messengerHook = (items: Record<string, unknown>[]) => ({ object: 'page', entry: [{ id: PAGE_ID, time: 1_700_000_000_000, messaging: items }] });

/** A WhatsApp Cloud API webhook with one change for the test number. */
export const whatsappHook = (value: Record<string, unknown>) => ({
  object: 'whatsapp_business_account',
  entry: [{ id: '2000000000001', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: BUSINESS_NUMBER.slice(1), phone_number_id: PHONE_NUMBER_ID }, ...value } }] }],
});
