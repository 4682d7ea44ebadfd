import { AccessTokenError, verifyAccessToken } from '../core/access-token.ts';
import type { Clock } from '../core/clock.ts';
import { TwilioError, forbidden, invalidParameter } from '../core/errors.ts';
import type { TokenMinter } from '../accounts/tokens.ts';
import type { Cause } from '../conversations/service/deps.ts';
import type { ConversationsApi } from '../conversations/services.ts';
import { GUEST_PREFIX, guestIdentity } from '../flex/service/web-chats.ts';
import type { Flex } from '../flex/services.ts';
import { checkAnswers } from './pre-engagement.ts';
import { preEngagementOf, type WidgetService } from './widgets.ts';

/** A customer's token lives an hour; the page renews it before then, as long as the chat is open. */
export const TOKEN_TTL_SECONDS = 3600;
/** Where agent routes read it: they never issue a token for a guest's identity. */
export { GUEST_PREFIX };
export const MAX_NAME = 64;

/** Changes a customer makes are like those of Twilio's SDK: webhooks fire for them. */
const CUSTOMER: Cause = { source: 'gateway', webhooksEnabled: true };

export interface Session {
  accountSid: string;
  conversationSid: string;
  interactionSid: string;
  identity: string;
  token: string;
  expires: number;
}

/** The grant of a customer's token: their conversation's service, where the SDK finds it. */
const chatGrant = (serviceSid: string) => ({ chat: { service_sid: serviceSid } });

export interface SessionDeps {
  clock: Clock;
  conversations: ConversationsApi;
  flex: Flex;
  tokens: TokenMinter;
  widgets: WidgetService;
}

/**
 * A customer's web chat: a conversation with the customer in it as a chat participant, and a
 * `web` interaction initiated by the customer bound to that conversation, routed as the widget
 * says. Nothing here takes account credentials: the widget SID picks the account and routing,
 * and the customer's own access token (for the official Conversations SDK) is all they get.
 */
export class SessionService {
  constructor(private readonly deps: SessionDeps) {}

  /**
   * `origin`: the page's, when it is not this server's own (which a widget always allows).
   * `answers`: the pre-chat form's (PreEngagementData), checked against the widget's form; with the
   * name, they are the task's and the conversation's `pre_engagement_data`, as Flex keeps them.
   */
  async start(widgetSid: string, name: string, origin?: string, answers?: unknown): Promise<Session> {
    const widget = await this.deps.widgets.find(widgetSid);
    if (!widget) throw new TwilioError(20404, 404, `Web chat widget ${widgetSid} was not found`);
    // CORS alone would not stop it: a form POST needs no preflight, only its answer is hidden.
    if (origin !== undefined && !(await this.deps.widgets.allowsOrigin(origin, widget.sid)))
      throw forbidden(`Web chat widget ${widgetSid} does not allow pages at origin ${origin}`);
    const preEngagement = { friendlyName: name, ...checkAnswers(preEngagementOf(widget), answers) };
    const { flex } = this.deps;
    const accountSid = widget.account_sid;
    // Checked before anything is written: a refused start leaves no conversation, event or interaction.
    await this.deps.widgets
      .checkRouting(accountSid, { workspaceSid: widget.workspace_sid, workflowSid: widget.workflow_sid, taskChannel: widget.task_channel })
      .catch((err) => {
        throw err instanceof TwilioError ? new TwilioError(20001, 400, `Web chat widget ${widgetSid} cannot route chats: ${err.message}`) : err;
      });
    const identity = guestIdentity();
    const taskChannel = /^TC[0-9a-fA-F]{32}$/.test(widget.task_channel) ? { task_channel_sid: widget.task_channel } : { task_channel_unique_name: widget.task_channel };
    const { conversationSid, interactionSid } = await flex.webChats
      .start(accountSid, {
        identity,
        customerName: name,
        conversation: { friendlyName: `Web chat with ${name}`, attributes: { source: 'webchat', widget_sid: widget.sid, pre_engagement_data: preEngagement } },
        routing: {
          workspace_sid: widget.workspace_sid,
          ...(widget.workflow_sid ? { workflow_sid: widget.workflow_sid } : {}),
          ...taskChannel,
          attributes: { customerName: name, pre_engagement_data: preEngagement },
        },
        cause: CUSTOMER,
      })
      .catch((err) => {
        // The routing changed since it was checked a moment ago.
        if (err instanceof TwilioError && err.status === 400 && err.code === 20001 && /Routing/.test(err.message))
          throw new TwilioError(20001, 400, `Web chat widget ${widgetSid} cannot route chats: ${err.message}`);
        throw err;
      });
    const { serviceSid } = await this.verifiedChat(accountSid, identity);
    const { token, expires } = await this.deps.tokens.mint(accountSid, identity, chatGrant(serviceSid), TOKEN_TTL_SECONDS);
    return { accountSid, conversationSid, interactionSid: interactionSid as string, identity, token, expires };
  }

  /**
   * Checks a customer's token: well signed, not expired, a chat token of a web chat guest, and that
   * guest still in a conversation that is not closed (a closed chat's token is not renewed).
   */
  async verify(token: string): Promise<{ accountSid: string; identity: string; conversationSid: string; serviceSid: string }> {
    const db = this.deps.conversations.db;
    let t;
    try {
      t = await verifyAccessToken(
        token,
        async (sid, account) => (await db.get<{ secret: string }>('SELECT secret FROM api_keys WHERE sid = ? AND account_sid = ?', [sid, account]))?.secret,
        this.deps.clock.now(),
        'chat',
      );
    } catch (err) {
      if (err instanceof AccessTokenError) throw new TwilioError(err.code, 401, err.message);
      throw err;
    }
    if (!t.identity.startsWith(GUEST_PREFIX)) throw new TwilioError(20101, 401, 'Not a web chat token');
    return this.verifiedChat(t.accountSid, t.identity);
  }

  /** The guest's open chat: its conversation and service; 404 once it is closed. */
  private async verifiedChat(accountSid: string, identity: string) {
    const row = await this.deps.conversations.db.get<{ conversation_sid: string; chat_service_sid: string }>(
      "SELECT p.conversation_sid, c.chat_service_sid FROM conversation_participants p JOIN conversations c ON c.sid = p.conversation_sid WHERE p.account_sid = ? AND p.identity = ? AND c.state <> 'closed' ORDER BY p.seq DESC LIMIT 1",
      [accountSid, identity],
    );
    if (!row) throw new TwilioError(20404, 404, 'This chat has ended');
    return { accountSid, identity, conversationSid: row.conversation_sid, serviceSid: row.chat_service_sid };
  }

  /**
   * The customer ends their chat (Flex Webchat's "End chat"): its interaction channel is closed as
   * an agent's End chat closes it, so a task still waiting is canceled, an agent who has it wraps up,
   * and the conversation closes. The token stops being renewed.
   */
  async end(token: string): Promise<{ conversationSid: string }> {
    const s = await this.verify(token);
    const channel = await this.deps.conversations.db.get<{ sid: string; interaction_sid: string }>(
      "SELECT sid, interaction_sid FROM interaction_channels WHERE account_sid = ? AND conversation_sid = ? AND status NOT IN ('closed', 'failed') ORDER BY seq DESC LIMIT 1",
      [s.accountSid, s.conversationSid],
    );
    if (!channel) throw new TwilioError(20404, 404, 'This chat has ended');
    await this.deps.flex.channels.update(s.accountSid, channel.interaction_sid, channel.sid, 'closed', 'wrapup');
    return { conversationSid: s.conversationSid };
  }

  /** A fresh token for the same guest, while the current one is still valid. */
  async renew(token: string): Promise<{ identity: string; conversationSid: string; token: string; expires: number }> {
    const s = await this.verify(token);
    const fresh = await this.deps.tokens.mint(s.accountSid, s.identity, chatGrant(s.serviceSid), TOKEN_TTL_SECONDS);
    return { identity: s.identity, conversationSid: s.conversationSid, ...fresh };
  }
}

/** A customer's name: said, short, printable. */
export function customerName(value: unknown): string {
  if (value === undefined || value === null) throw invalidParameter('Missing required parameter Name');
  if (typeof value !== 'string') throw invalidParameter('Invalid Name parameter: must be a string');
  const name = value.trim();
  if (name === '') throw invalidParameter('Name must not be empty');
  if (name.length > MAX_NAME) throw invalidParameter(`Name is ${name.length} characters long; the limit is ${MAX_NAME}`);
  if (/[\u0000-\u001f\u007f]/.test(name)) throw invalidParameter('Invalid Name parameter: control characters are not allowed');
  return name;
}
