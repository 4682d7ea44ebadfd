import { notFound } from '../../core/errors.ts';
import { isSid, newSid } from '../../core/sid.ts';
import type { Executor } from '../../store/database.ts';
import {
  invalidWebhookFlowSid,
  invalidWebhookTrigger,
  tooManyTriggers,
  tooManyWebhooks,
  webhookFiltersMissing,
  webhookTriggersMissing,
  webhookUrlMissing,
} from '../errors.ts';
import { webhooks, type ConversationRow, type WebhookRow, type WebhookTarget } from '../model.ts';
import { findConversation, jsonList, lockedConversation, write, type Deps } from './deps.ts';

export interface WebhookInput {
  target?: WebhookTarget;
  url?: string;
  method?: 'get' | 'post';
  filters?: string[];
  triggers?: string[];
  flowSid?: string;
  replayAfter?: number;
}

/** Twilio's limits: five scoped webhooks per conversation, five trigger keywords of 1..248 characters. */
export const MAX_WEBHOOKS = 5;
export const MAX_TRIGGERS = 5;
const MAX_TRIGGER_LENGTH = 248;

export class WebhookService {
  constructor(private readonly deps: Deps) {}

  async create(accountSid: string, conversation: string, input: WebhookInput & { target: WebhookTarget }): Promise<{ conversation: ConversationRow; webhook: WebhookRow }> {
    const now = this.deps.clock.now();
    return write(this.deps, async (tx) => {
      const c = await lockedConversation(this.deps.db, tx, accountSid, conversation);
      if ((await webhooks.count(tx, ['conversation_sid = ?', c.sid])) >= MAX_WEBHOOKS)
        throw tooManyWebhooks(`Conversation ${c.sid} already has ${MAX_WEBHOOKS} webhooks, the most it can have`);
      const row: WebhookRow = {
        sid: newSid('WH'),
        account_sid: accountSid,
        conversation_sid: c.sid,
        target: input.target,
        url: input.url ?? null,
        method: input.method ?? (input.target === 'studio' ? null : 'post'),
        filters: JSON.stringify(input.filters ?? []),
        triggers: JSON.stringify(input.triggers ?? []),
        flow_sid: input.flowSid ?? null,
        replay_after: input.replayAfter ?? null,
        // Events of this conversation are written under its lock, which this holds: none is still in flight.
        after_seq: Number((await tx.get<{ seq: number | null }>('SELECT MAX(seq) AS seq FROM conversation_events WHERE conversation_sid = ?', [c.sid]))?.seq ?? 0),
        date_created: now,
        date_updated: now,
      };
      validate(row);
      await webhooks.insert(tx, row);
      return { conversation: c, webhook: row };
    });
  }

  async get(accountSid: string, conversation: string, sid: string): Promise<{ conversation: ConversationRow; webhook: WebhookRow }> {
    const c = await findConversation(this.deps.db, accountSid, conversation);
    return { conversation: c, webhook: await this.find(this.deps.db, c, sid, conversation) };
  }

  private async find(db: Executor, c: ConversationRow, sid: string, conversationParam: string): Promise<WebhookRow> {
    const w = isSid(sid, 'WH') ? await webhooks.get(db, sid, ['conversation_sid = ?', c.sid]) : undefined;
    if (!w) throw notFound(`/v1/Conversations/${conversationParam}/Webhooks/${sid}`);
    return w;
  }

  async list(accountSid: string, conversation: string, limit: number, offset: number): Promise<{ conversation: ConversationRow; webhooks: WebhookRow[] }> {
    const c = await findConversation(this.deps.db, accountSid, conversation);
    return { conversation: c, webhooks: await webhooks.list(this.deps.db, { where: [['conversation_sid = ?', c.sid]], limit, offset }) };
  }

  /** Every webhook of a conversation (for the webhook deliverer). */
  all(db: Executor, conversationSid: string): Promise<WebhookRow[]> {
    return webhooks.list(db, { where: [['conversation_sid = ?', conversationSid]] });
  }

  async update(accountSid: string, conversation: string, sid: string, input: WebhookInput): Promise<{ conversation: ConversationRow; webhook: WebhookRow }> {
    const now = this.deps.clock.now();
    return write(this.deps, async (tx) => {
      const c = await lockedConversation(this.deps.db, tx, accountSid, conversation);
      const w = await this.find(tx, c, sid, conversation);
      const next: WebhookRow = { ...w, date_updated: now };
      if (input.url !== undefined) next.url = input.url;
      if (input.method !== undefined) next.method = input.method;
      if (input.filters !== undefined) next.filters = JSON.stringify(input.filters);
      if (input.triggers !== undefined) next.triggers = JSON.stringify(input.triggers);
      if (input.flowSid !== undefined) next.flow_sid = input.flowSid;
      validate(next);
      const { sid: _sid, ...patch } = next;
      await webhooks.update(tx, w.sid, patch);
      return { conversation: c, webhook: next };
    });
  }

  async delete(accountSid: string, conversation: string, sid: string): Promise<void> {
    await write(this.deps, async (tx) => {
      const c = await lockedConversation(this.deps.db, tx, accountSid, conversation);
      const w = await this.find(tx, c, sid, conversation);
      await webhooks.delete(tx, ['sid = ?', w.sid]);
    });
  }
}

/** What each target needs: webhook a URL and filters, trigger a URL and keywords, studio a flow. */
function validate(w: WebhookRow): void {
  const triggers = jsonList(w.triggers);
  if (triggers.length > MAX_TRIGGERS) throw tooManyTriggers(`At most ${MAX_TRIGGERS} Configuration.Triggers keywords; ${triggers.length} given`);
  for (const t of triggers)
    if (t.trim() === '' || t.length > MAX_TRIGGER_LENGTH)
      throw invalidWebhookTrigger(`Configuration.Triggers keywords must be 1 to ${MAX_TRIGGER_LENGTH} characters: '${t.slice(0, 40)}'`);
  if (w.target === 'webhook' || w.target === 'trigger') {
    if (!w.url) throw webhookUrlMissing(`Configuration.Url is required for a '${w.target}' webhook`);
  }
  if (w.target === 'webhook' && jsonList(w.filters).length === 0) throw webhookFiltersMissing("Configuration.Filters is required for a 'webhook' webhook");
  if (w.target === 'trigger' && triggers.length === 0) throw webhookTriggersMissing("Configuration.Triggers is required for a 'trigger' webhook");
  if (w.target === 'studio' && !isSid(w.flow_sid, 'FW')) throw invalidWebhookFlowSid("Configuration.FlowSid (a Studio Flow SID, FW...) is required for a 'studio' webhook");
}
