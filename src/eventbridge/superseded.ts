import type { Clock } from '../core/clock.ts';

/** How long a socket closed by closeExistingSessions is expected back: past the SDK's longest reconnect backoff (30 s). */
export const RETURN_WINDOW_MS = 35_000;

/**
 * The sockets closeExistingSessions closed, expected back: the SDK reconnects a closed socket by
 * itself, with the same token and flags, within its backoff. Each one closed is expected once, by
 * its worker and token, for RETURN_WINDOW_MS; a socket that opens while one is expected is that
 * session coming back. Later sockets with the same token are new sessions again.
 */
export class Superseded {
  private readonly expected = new Map<string, { count: number; until: number }>();

  constructor(private readonly clock: Clock) {}

  add(workerSid: string, tokenId: string): void {
    this.prune();
    const key = `${workerSid} ${tokenId}`;
    const e = this.expected.get(key) ?? { count: 0, until: 0 };
    e.count++;
    e.until = this.clock.now() + RETURN_WINDOW_MS;
    this.expected.set(key, e);
  }

  /** Whether this socket is a closed session coming back (counting it as back). */
  comingBack(workerSid: string, tokenId: string): boolean {
    this.prune();
    const key = `${workerSid} ${tokenId}`;
    const e = this.expected.get(key);
    if (!e) return false;
    if (--e.count === 0) this.expected.delete(key);
    return true;
  }

  private prune(): void {
    const now = this.clock.now();
    for (const [key, e] of this.expected) if (e.until <= now) this.expected.delete(key);
  }
}
