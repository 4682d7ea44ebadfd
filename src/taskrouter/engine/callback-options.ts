/** How callbacks are sent; every value has Twilio's default and may be changed (tests shorten timeouts). */
export interface CallbackOptions {
  /** How long an event callback receiver has to answer (Twilio: 15 s). */
  eventTimeoutMs?: number;
  /** Attempts per event callback before it is given up (the first one included). */
  eventMaxAttempts?: number;
  /** Wait after the first failure; it doubles after each further one, up to eventRetryMaxMs. */
  eventRetryBaseMs?: number;
  eventRetryMaxMs?: number;
  /** How long an assignment callback has to answer (Twilio: 5 s). */
  assignmentTimeoutMs?: number;
}

export const CALLBACK_DEFAULTS: Required<CallbackOptions> = {
  eventTimeoutMs: 15_000,
  eventMaxAttempts: 10,
  eventRetryBaseMs: 1_000,
  eventRetryMaxMs: 5 * 60_000,
  assignmentTimeoutMs: 5_000,
};
