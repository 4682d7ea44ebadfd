import { Table } from '../store/table.ts';

/**
 * A web chat widget: how the chats started from one page are routed. Its SID is public (the page
 * embeds it), so it names a routing and nothing else: no credentials, nothing to read back.
 */
export interface WidgetRow {
  sid: string;
  account_sid: string;
  workspace_sid: string;
  /** Null: the workspace's only workflow, looked up when a chat starts. */
  workflow_sid: string | null;
  /** A TaskChannel unique name or TC SID, as given. */
  task_channel: string;
  friendly_name: string;
  /** What the customer sees over the chat; null: the friendly name. */
  title: string | null;
  greeting: string | null;
  /** #rrggbb, or null for the page's own colours. */
  accent_color: string | null;
  header_color: string | null;
  /** PreEngagementConfig as JSON (pre-engagement.ts); null: the name alone. */
  pre_engagement_config: string | null;
  date_created: number;
  date_updated: number;
}

/**
 * "YW" (swYtchyard Web chat): a prefix no Twilio API of the products served here uses, so a
 * widget SID is never mistaken for one of Twilio's (see docs/decisions.md, Web chat).
 */
export const WIDGET_PREFIX = 'YW';

export const widgets = new Table<WidgetRow>('webchat_widgets');
