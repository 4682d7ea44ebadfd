import assert from 'node:assert/strict';
import twilio from 'twilio';
import type { TestServer } from '../support/server.ts';

/** Rows in every Conversations table: a failed request must leave these as they were. */
export async function conversationRows(t: TestServer): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of [
    'conversations',
    'conversation_participants',
    'conversation_messages',
    'conversation_receipts',
    'conversation_webhooks',
    'conversation_addresses',
    'conversation_timers',
    'conversation_events',
    'conversation_users',
    'conversation_roles',
    'conversation_credentials',
    'conversation_services',
    'conversation_bindings',
  ]) {
    const row = await t.server.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`);
    out[table] = Number(row?.n ?? 0);
  }
  return out;
}

/** The official client rejects with a RestException carrying Twilio's status and code. */
export async function rejects(p: Promise<unknown>, status: number, code: number, message?: RegExp): Promise<void> {
  await assert.rejects(p, (err: { status?: number; code?: number; message?: string }) => {
    assert.equal(err.status, status, `status (${err.message})`);
    assert.equal(err.code, code, `code (${err.message})`);
    if (message) assert.match(err.message ?? '', message);
    return true;
  });
}

/** Events recorded for a conversation, oldest first. */
export async function eventsOf(t: TestServer, conversationSid: string): Promise<{ type: string; source: string; webhooks: boolean; data: any }[]> {
  const rows = await t.server.db.all<{ event_type: string; source: string; webhooks_enabled: number; data: string }>(
    'SELECT event_type, source, webhooks_enabled, data FROM conversation_events WHERE conversation_sid = ? ORDER BY seq',
    [conversationSid],
  );
  return rows.map((r) => ({ type: r.event_type, source: r.source, webhooks: Number(r.webhooks_enabled) === 1, data: JSON.parse(r.data) }));
}

export const MINUTE = 60_000;

export const INBOUND = '/conversations/v1/Gateway/Messaging/Inbound';

/** POSTs a Messaging-style webhook to the inbound gateway, signed as Twilio signs it. */
export async function inbound(t: TestServer, params: Record<string, string>, authToken = t.account.authToken, account = t.account.accountSid) {
  const all = { AccountSid: account, MessageSid: 'SM' + '1'.repeat(32), NumMedia: '0', ...params };
  const signature = twilio.getExpectedTwilioSignature(authToken, t.baseUrl + INBOUND, all);
  return t.http('POST', INBOUND, { body: new URLSearchParams(all).toString(), headers: { 'x-twilio-signature': signature }, auth: null });
}
