/** What the Messenger and WhatsApp Cloud API gateways are configured with (config.ts reads it from the environment). */

/** A WhatsApp Business number served through the Cloud API. */
export interface CloudNumber {
  /** Meta's id of the number: the Cloud API's path (/<id>/messages) and its webhooks' metadata.phone_number_id. */
  phoneNumberId: string;
  /** The number as Conversations addresses name it after `whatsapp:`, in E.164 (+15550001111). */
  number: string;
  token: string;
}

/** An approved WhatsApp template, named by the ContentSid (HX...) a message carries, as on Twilio. */
export interface CloudTemplate {
  name: string;
  language: string;
}

export interface MetaOptions {
  /** The Meta app's secret: every webhook POST is signed with it (X-Hub-Signature-256). */
  appSecret: string;
  /** What Meta's verification request (GET, hub.verify_token) must carry. */
  verifyToken: string;
  /** The Graph API, version included, without a trailing slash (tests point it at a local server). */
  graphUrl: string;
  /** Facebook page id → page access token. */
  pages: Record<string, string>;
  numbers: CloudNumber[];
  templates: Record<string, CloudTemplate>;
  /** How long Graph has to answer a lookup made while a webhook waits (a Messenger sender's name). */
  lookupTimeoutMs: number;
}

export const DEFAULT_GRAPH_URL = 'https://graph.facebook.com/v21.0';
