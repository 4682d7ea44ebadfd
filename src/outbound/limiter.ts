/** A held slot: `waited` tells whether it had to queue for it. */
export interface Slot {
  waited: boolean;
  release(): void;
}

interface Key {
  active: number;
  queue: ((slot: Slot) => void)[];
}

/**
 * At most `perKey` slots held at once for each key (a destination's origin); beyond that, callers
 * wait in that key's queue, first come first served. Keys never wait for one another, and there is
 * no cap across keys, so a key whose holders never finish delays only its own queue.
 */
export class KeyedLimiter {
  private readonly keys = new Map<string, Key>();

  constructor(readonly perKey: number) {
    if (!Number.isInteger(perKey) || perKey < 1) throw new Error(`a limit per destination must be a positive integer; got ${perKey}`);
  }

  /** Resolves with a slot of `key`; rejects (and leaves the queue) if `signal` aborts first. */
  acquire(key: string, signal?: AbortSignal): Promise<Slot> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    let k = this.keys.get(key);
    if (!k) this.keys.set(key, (k = { active: 0, queue: [] }));
    if (k.active < this.perKey) {
      k.active++;
      return Promise.resolve(this.slot(key, k, false));
    }
    const held = k;
    return new Promise((resolve, reject) => {
      const grant = (slot: Slot) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(slot);
      };
      const onAbort = () => {
        const i = held.queue.indexOf(grant);
        if (i >= 0) held.queue.splice(i, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      held.queue.push(grant);
    });
  }

  private slot(key: string, k: Key, waited: boolean): Slot {
    let released = false;
    return {
      waited,
      release: () => {
        if (released) return;
        released = true;
        const next = k.queue.shift();
        // The slot passes straight to the next in line; the key is forgotten once idle.
        if (next) next(this.slot(key, k, true));
        else if (--k.active === 0) this.keys.delete(key);
      },
    };
  }
}
