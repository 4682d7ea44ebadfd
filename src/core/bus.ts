/** A subscriber: it may return a promise, which the publisher waits for. */
export type Subscriber<E> = (event: E) => void | Promise<void>;

/** Told about a subscriber that threw or rejected; the other subscribers run all the same. */
export type SubscriberFailed = (err: unknown, type: string, event: unknown) => void;

/**
 * A typed publish/subscribe bus, in process, with no I/O of its own: `Events` maps each event type
 * to what its subscribers receive. Publishing calls every subscriber of the type in the order they
 * subscribed, all at once (each one's synchronous part runs before the next is called), and
 * resolves once every promise they returned has settled: a publisher that awaits it knows that
 * what follows the event is done. A failing subscriber is reported, never thrown to the publisher,
 * and never keeps the others from running.
 */
export class Bus<Events extends { [K in keyof Events]: object }> {
  private readonly subscribers = new Map<keyof Events, Subscriber<never>[]>();

  constructor(private readonly failed: SubscriberFailed = reportToConsole) {}

  /** Subscribes to one event type; returns what unsubscribes. */
  on<K extends keyof Events>(type: K, subscriber: Subscriber<Events[K]>): () => void {
    // Lists are replaced, never changed in place: a publish under way keeps the list it started with.
    this.subscribers.set(type, [...(this.subscribers.get(type) ?? []), subscriber as Subscriber<never>]);
    return () => this.subscribers.set(type, (this.subscribers.get(type) ?? []).filter((s) => s !== subscriber));
  }

  /** Calls every subscriber of `type`; resolves when all of them are done (it never rejects). */
  async publish<K extends keyof Events>(type: K, event: Events[K]): Promise<void> {
    const list = (this.subscribers.get(type) ?? []) as Subscriber<Events[K]>[];
    const pending: Promise<void>[] = [];
    for (const subscriber of list) {
      try {
        const result = subscriber(event);
        if (result) pending.push(result.catch((err: unknown) => this.failed(err, String(type), event)));
      } catch (err) {
        this.failed(err, String(type), event);
      }
    }
    if (pending.length > 0) await Promise.all(pending);
  }
}

function reportToConsole(err: unknown, type: string): void {
  console.error(`Switchyard: a subscriber to ${type} failed:`, err);
}
