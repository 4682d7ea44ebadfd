import { invalidParameter } from '../../core/errors.ts';
import { parseJson } from '../../core/input.ts';
import type { Ctx } from '../../http/context.ts';
import { pageRequest, type PageRequest } from '../../http/page.ts';
import type { Params } from '../../http/params.ts';
import { MIN_CLOSED_MS, MIN_INACTIVE_MS, parseDuration } from '../duration.ts';
import {
  attributesTooLong,
  closedTimerInvalid,
  closedTimerTooShort,
  inactiveTimerInvalid,
  inactiveTimerTooShort,
  invalidWebhookFilter,
  webhookUrlTooLong,
} from '../errors.ts';
import type { Cause } from '../service/deps.ts';
import type { ConversationsApi } from '../services.ts';
import type { Scope } from './render.ts';

/** Post-event webhooks a conversation-scoped webhook or an address's auto-creation may ask for. */
export const SCOPED_EVENTS = [
  'onMessageAdded', 'onMessageUpdated', 'onMessageRemoved',
  'onConversationUpdated', 'onConversationStateUpdated', 'onConversationRemoved',
  'onParticipantAdded', 'onParticipantUpdated', 'onParticipantRemoved',
  'onDeliveryUpdated',
];

/** Pre- and post-event webhooks the account-level configuration may ask for (Twilio's list). */
export const ACCOUNT_EVENTS = [
  'onMessageAdd', 'onMessageAdded', 'onMessageUpdate', 'onMessageUpdated', 'onMessageRemove', 'onMessageRemoved',
  'onConversationAdd', 'onConversationAdded', 'onConversationUpdate', 'onConversationUpdated',
  'onConversationRemove', 'onConversationRemoved', 'onConversationStateUpdated',
  'onParticipantAdd', 'onParticipantAdded', 'onParticipantUpdate', 'onParticipantUpdated',
  'onParticipantRemove', 'onParticipantRemoved',
  'onDeliveryUpdated', 'onUserAdded', 'onUserUpdate', 'onUserUpdated',
];

export const MAX_ATTRIBUTES = 16 * 1024;

/** Attributes: structurally valid JSON text (as Twilio requires), at most 16 KiB. */
export function attributes(p: Params, name = 'Attributes'): string | undefined {
  const text = p.string(name);
  if (text === undefined) return undefined;
  if (text.length > MAX_ATTRIBUTES) throw attributesTooLong(`${name} is ${text.length} characters long; the limit is ${MAX_ATTRIBUTES}`);
  parseJson(text, `${name} parameter`);
  return text;
}

/** Which timer a duration parameter sets, for its error codes and minimum. */
type TimerKind = 'inactive' | 'closed';

/**
 * An ISO 8601 duration for a timer. Zero (PT0S) switches the timer off; otherwise at least one
 * minute (inactive) or ten minutes (closed), as Twilio requires.
 */
export function timer(p: Params, name: string, kind: TimerKind): string | undefined {
  const text = p.string(name);
  if (text === undefined) return undefined;
  return checkTimer(text, name, kind);
}

export function checkTimer(text: string, name: string, kind: TimerKind): string {
  const ms = parseDuration(text);
  if (ms === null) {
    const e = kind === 'inactive' ? inactiveTimerInvalid : closedTimerInvalid;
    throw e(`${name} must be an ISO 8601 duration such as PT10M, P1D or PT0S; got '${text}'`);
  }
  if (ms > 0 && kind === 'inactive' && ms < MIN_INACTIVE_MS) throw inactiveTimerTooShort(`${name} must be at least one minute (PT1M); got '${text}'`);
  if (ms > 0 && kind === 'closed' && ms < MIN_CLOSED_MS) throw closedTimerTooShort(`${name} must be at least ten minutes (PT10M); got '${text}'`);
  return text.trim().toUpperCase();
}

/** Dates given as ISO 8601 date-times (DateCreated, DateUpdated). */
export function dateTime(p: Params, name: string): number | undefined {
  const v = p.string(name);
  if (v === undefined) return undefined;
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(v.trim()) ? Date.parse(v.trim()) : NaN;
  if (Number.isNaN(ms)) throw invalidParameter(`Invalid ${name} parameter: '${v}' is not an ISO 8601 date-time (e.g. 2024-01-31T12:00:00Z)`);
  return ms;
}

/**
 * A list filter date: a date (YYYY-MM-DD) or a date-time. An end date given as a day covers
 * the whole day.
 */
export function filterDate(p: Params, name: string, end: boolean): number | undefined {
  const v = p.string(name);
  if (v === undefined) return undefined;
  const t = v.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(t)) {
    const ms = Date.parse(`${t}T00:00:00Z`);
    if (Number.isNaN(ms)) throw invalidParameter(`Invalid ${name} parameter: '${v}' is not an ISO 8601 date`);
    return end ? ms + 86_400_000 - 1 : ms;
  }
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i.test(t) ? Date.parse(/Z|[+-]\d{2}:?\d{2}$/i.test(t) ? t : `${t}Z`) : NaN;
  if (Number.isNaN(ms)) throw invalidParameter(`Invalid ${name} parameter: '${v}' is not an ISO 8601 date or date-time`);
  return end && !/\.\d+/.test(t) ? ms + 999 : ms;
}

/** X-Twilio-Webhook-Enabled: true|false (any case); webhooks fire for REST calls only when true. */
export function cause(ctx: Ctx): Cause {
  const v = ctx.header('X-Twilio-Webhook-Enabled');
  if (v === undefined) return { source: 'api', webhooksEnabled: false };
  const t = v.trim().toLowerCase();
  if (t !== 'true' && t !== 'false') throw invalidParameter(`Invalid X-Twilio-Webhook-Enabled header: '${v}' is not true or false`);
  return { source: 'api', webhooksEnabled: t === 'true' };
}

/** Repeated values of a list parameter, each checked against the known events. */
export function eventList(p: Params, name: string, known: readonly string[], err: (m: string) => Error = invalidWebhookFilter): string[] | undefined {
  if (!p.has(name)) return undefined;
  const values = p.all(name).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
  for (const v of values) if (!known.includes(v)) throw err(`Invalid ${name} value '${v}': not one of ${known.join(', ')}`);
  return [...new Set(values)];
}

/** A webhook URL: absolute http(s), at most 512 characters. */
export function webhookUrl(p: Params, name: string): string | undefined {
  const v = p.string(name);
  if (v === undefined) return undefined;
  if (v.length > 512) throw webhookUrlTooLong(`${name} is longer than 512 characters`);
  return p.url(name);
}

/**
 * Paging for a list whose page size is limited to `max`: when PageSize is not given, the
 * default is 50 or `max` if smaller (conversation-scoped webhooks: 5).
 */
export function page(ctx: Ctx, max: number): PageRequest {
  const req = pageRequest(ctx, max);
  if (!ctx.query.has('PageSize') && req.pageSize > max) {
    const offset = ctx.query.has('PageToken') ? req.offset : req.page * max;
    return { pageSize: max, page: req.page, offset };
  }
  return req;
}

/** How a resource was addressed (for rendering) and the service it is in. */
export interface Scoped extends Scope {
  /** The path's service, or the account's default for account-level paths (/v1/Conversations/...). */
  serviceSid: string;
}

/** Account-level or service-scoped: checks the service (any of the account's) and says how to render. */
export async function scope(api: ConversationsApi, ctx: Ctx): Promise<Scoped> {
  const serviceSid = ctx.params.ChatServiceSid;
  const service = await api.requireService(ctx.accountSid, serviceSid);
  return { base: ctx.base, service: serviceSid ?? null, serviceSid: service.sid };
}

/**
 * The SID of the conversation a path names (SID or unique name) within the path's service: another
 * service's conversation is not found there, as on Twilio, where account-level paths reach the
 * default service only.
 */
export async function conversationIn(api: ConversationsApi, ctx: Ctx, s: Scoped, param = 'ConversationSid'): Promise<string> {
  return (await api.conversations.get(ctx.accountSid, ctx.params[param], s.serviceSid)).sid;
}
