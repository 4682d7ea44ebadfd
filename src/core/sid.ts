import { randomFillSync } from 'node:crypto';

/**
 * Twilio SIDs: a two-letter resource prefix and 32 lowercase hex digits. Ours are the time in
 * milliseconds (12 digits) then 80 random bits: still unguessable, but sids made close together
 * sort close together, so each table's sid index grows at its end instead of touching a random
 * page per insert (on SQLite that was most of what a COMMIT wrote).
 */
export function newSid(prefix: string): string {
  return prefix + Date.now().toString(16).padStart(12, '0').slice(-12) + randomHex(20);
}

// Random bytes are drawn from the system a page at a time, not one call per sid.
const pool = Buffer.alloc(4096);
let used = pool.length;

function randomHex(digits: number): string {
  const bytes = digits / 2;
  if (used + bytes > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  const hex = pool.toString('hex', used, used + bytes);
  used += bytes;
  return hex;
}

const SID = /^[A-Z]{2}[0-9a-fA-F]{32}$/;

export function isSid(value: unknown, prefix?: string): value is string {
  return typeof value === 'string' && SID.test(value) && (prefix === undefined || value.startsWith(prefix));
}
