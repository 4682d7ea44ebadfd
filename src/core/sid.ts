import { randomBytes } from 'node:crypto';

/** Twilio SIDs: a two-letter resource prefix and 32 lowercase hex digits. */
export function newSid(prefix: string): string {
  return prefix + randomBytes(16).toString('hex');
}

const SID = /^[A-Z]{2}[0-9a-fA-F]{32}$/;

export function isSid(value: unknown, prefix?: string): value is string {
  return typeof value === 'string' && SID.test(value) && (prefix === undefined || value.startsWith(prefix));
}
