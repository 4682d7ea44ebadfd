import type { DeliveryAdapter, DeliveryOutcome, OutboundMessage } from '../conversations/gateway/outbound.ts';

/**
 * Google Business Messages: Google retired it in 2024, so nothing reaches anyone through it. The
 * type stays accepted wherever Twilio's API accepts it (address configurations, `gbm:` bindings,
 * customer-initiated interactions on a conversation that exists); what would need delivering
 * fails clearly instead of going quiet or to an SMS provider.
 */
export const GBM = 'gbm:';

/** Twilio's 63007: no channel for the sender (the channel itself is gone). */
export const GBM_RETIRED_ERROR = 63007;

const outcome: DeliveryOutcome = { status: 'failed', errorCode: GBM_RETIRED_ERROR };

/** Every message to a gbm: participant: a failed receipt, at once, without a request. */
export const gbmAdapter: DeliveryAdapter = {
  handles: (m: OutboundMessage) => m.to.toLowerCase().startsWith(GBM),
  deliver: async () => outcome,
};

