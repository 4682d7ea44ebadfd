import { createHash, createHmac } from 'node:crypto';
import type { DeliveryOutcome } from '../../conversations/gateway/outbound.ts';
import { UNKNOWN_DELIVERY_ERROR } from '../../conversations/gateway/outbound.ts';
import type { OutboundResult } from '../../outbound/http.ts';

/** Twilio's codes for what Meta refuses, so a failed receipt reads as it would on Twilio. */
export const CHANNEL_AUTHENTICATION = 63001;
export const CHANNEL_NO_RECIPIENT = 63003;
export const CHANNEL_CONTENT_REFUSED = 63005;
export const OUTSIDE_WINDOW = 63016;
export const CHANNEL_RATE_LIMIT = 63018;
export const TEMPLATE_PARAMETERS = 63028;
export const INVALID_CONTENT_SID = 21655;

/**
 * The receipt's channel message SID for Meta's message id (mid, wamid): Conversations gives it as a
 * Twilio SID, so Meta's id is hashed into one; status webhooks name the same id, so find the same SID.
 */
export const channelMessageSid = (metaMessageId: string) => 'SM' + createHash('md5').update(metaMessageId).digest('hex');

/**
 * A Graph API URL with the call's appsecret_proof (HMAC-SHA256 of the token with the app secret):
 * Meta then knows the call comes from the app's own server, and refuses a stolen token used elsewhere
 * when the app requires it ("Require App Secret").
 */
export function graphUrl(base: string, path: string, appSecret: string, token: string, query: Record<string, string> = {}): string {
  const proof = createHmac('sha256', appSecret).update(token).digest('hex');
  return `${base}/${path}?${new URLSearchParams({ ...query, appsecret_proof: proof })}`;
}

/** Meta's error codes (Graph, Messenger, WhatsApp Cloud API) as Twilio's. */
export function twilioCodeFor(code: number, subcode?: number): number {
  if (code === 10 && subcode === 2018278) return OUTSIDE_WINDOW; // Messenger: outside the allowed window
  if (code === 131047) return OUTSIDE_WINDOW; // WhatsApp: re-engagement message (over 24 hours)
  if (code === 190 || code === 102) return CHANNEL_AUTHENTICATION;
  if ([4, 17, 32, 613, 80006, 130429, 131056].includes(code)) return CHANNEL_RATE_LIMIT;
  if (code === 551 || (code === 100 && subcode === 2018001) || code === 131026) return CHANNEL_NO_RECIPIENT;
  if (code === 132000) return TEMPLATE_PARAMETERS;
  if (code === 100 || code === 131051 || code === 131053) return CHANNEL_CONTENT_REFUSED;
  return UNKNOWN_DELIVERY_ERROR;
}

function json(body: string): Record<string, unknown> {
  try {
    const v = JSON.parse(body);
    return v && typeof v === 'object' && !Array.isArray(v) ? v : {};
  } catch {
    return {};
  }
}

/**
 * A Send API / Cloud API answer as a delivery outcome: 2xx is sent (with the message id `idOf`
 * finds); Meta's error object a failure with its Twilio code; no answer or a 5xx is tried again.
 */
export function graphOutcome(res: OutboundResult, idOf: (answer: Record<string, unknown>) => unknown): DeliveryOutcome {
  if (res.status === null || res.status >= 500) return { status: 'retry' };
  const answer = json(res.body);
  if (res.status >= 200 && res.status < 300) {
    const id = idOf(answer);
    return { status: 'sent', channelMessageSid: typeof id === 'string' && id !== '' ? channelMessageSid(id) : undefined };
  }
  const error = answer.error as { code?: unknown; error_subcode?: unknown } | undefined;
  const code = typeof error?.code === 'number' ? error.code : NaN;
  const subcode = typeof error?.error_subcode === 'number' ? error.error_subcode : undefined;
  return { status: 'failed', errorCode: Number.isInteger(code) ? twilioCodeFor(code, subcode) : UNKNOWN_DELIVERY_ERROR };
}

/**
 * A Messenger sender's name (the User Profile API), for the participant: looked up while the
 * webhook waits, so briefly; no name is no failure (the address stands for them).
 */
export async function messengerName(url: string, token: string, timeoutMs: number): Promise<string | undefined> {
  try {
    const res = await fetch(url, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = (await res.text()).slice(0, 64 * 1024);
    if (!res.ok) return undefined;
    const answer = json(text);
    const name = typeof answer.name === 'string' ? answer.name : [answer.first_name, answer.last_name].filter((x) => typeof x === 'string').join(' ');
    return name.trim() === '' ? undefined : name.trim().slice(0, 256);
  } catch {
    return undefined;
  }
}
