import { isControllable, isoDate, type Clock, type ControllableClock } from '../core/clock.ts';
import { invalidParameter, notFound } from '../core/errors.ts';
import type { Route } from '../http/context.ts';
import type { Database } from '../store/database.ts';
import type { Engine } from '../taskrouter/engine/index.ts';
import { parseInstant } from './seed/document.ts';

/** What fires timers that fell due when the clock moves (the engine; Conversations' state timers). */
export interface Ticker {
  tick(): Promise<number>;
}

/**
 * The server's clock as the clock API and seeds move it. The clock never goes back over what the store has
 * recorded: a TaskRouter or Conversations event dated after the new time would put new events before old ones,
 * and the readers that follow events by date (Flex Interactions, statistics) would miss them. Over an empty past (a
 * fresh store, or every account reset) it may be put anywhere. The clock is this node's: on several nodes, each has
 * its own (use one node in CI).
 */
export class ClockControl {
  constructor(
    private readonly clock: Clock,
    private readonly db: Database,
    private readonly engine: Engine,
    private readonly tickers: Ticker[],
    /** Whether the clock API is served (SWITCHYARD_CLOCK_CONTROL=1, or a seed's clock.control). */
    private enabled: boolean,
  ) {}

  get control(): boolean {
    return this.enabled && isControllable(this.clock);
  }

  /** Turns the clock API on (a seed's clock.control); false if this server's clock cannot be moved. */
  enable(): boolean {
    if (!isControllable(this.clock)) return false;
    this.enabled = true;
    return true;
  }

  state() {
    const now = this.clock.now();
    return { now: isoDate(now), now_ms: now, frozen: isControllable(this.clock) ? this.clock.frozen : false, control: this.control };
  }

  /** The clock, or a 400 saying it cannot be moved (the system clock of a server started without clock control or admin API). */
  movable(): ControllableClock {
    if (!isControllable(this.clock)) throw invalidParameter("This server's clock cannot be moved: start it with SWITCHYARD_CLOCK_CONTROL=1 or SWITCHYARD_ADMIN=1");
    return this.clock;
  }

  /** The latest date the store has recorded an event at (0: none): the clock is never put before it. */
  async floor(): Promise<number> {
    const tr = await this.db.get<{ d: number | string | null }>('SELECT MAX(event_date) AS d FROM events');
    const conv = await this.db.get<{ d: number | string | null }>('SELECT date_created AS d FROM conversation_events ORDER BY seq DESC LIMIT 1');
    return Math.max(Number(tr?.d ?? 0), Number(conv?.d ?? 0));
  }

  /** Puts the clock at `ms`, forward, or back no further than the floor; a 400 otherwise. */
  async set(ms: number): Promise<number> {
    const clock = this.movable();
    if (ms < clock.now()) {
      const floor = await this.floor();
      if (ms < floor)
        throw invalidParameter(
          `Now ${isoDate(ms)} is before ${isoDate(floor)}, the date of the latest event the store holds: the clock never goes back over recorded events (reset the accounts first)`,
        );
    }
    clock.set(ms);
    return this.fireDue();
  }

  /**
   * For a seed's clock.now, the time a run starts at: forward to `ms`, or back to it only while nothing at all is
   * recorded (a fresh store, or every account reset), so that a seed applied again once time has moved on leaves the
   * clock where it is. Whether it moved.
   */
  async atLeast(ms: number): Promise<boolean> {
    const clock = this.movable();
    const now = clock.now();
    if (ms === now) return false;
    if (ms < now && (await this.floor()) > 0) return false;
    clock.set(ms);
    await this.fireDue();
    return true;
  }

  async advance(ms: number): Promise<number> {
    this.movable().advance(ms);
    return this.fireDue();
  }

  /** Freezes or lets the clock run; whether that changed anything. */
  setFrozen(frozen: boolean): boolean {
    const clock = this.movable();
    if (clock.frozen === frozen) return false;
    if (frozen) clock.freeze();
    else if (!clock.unfreeze) throw invalidParameter("This server's clock is a manual clock: it moves only when told to, and cannot be let run");
    else clock.unfreeze();
    return true;
  }

  /** Everything that fell due in the skipped time happens now, before the reply. */
  private async fireDue(): Promise<number> {
    let fired = await this.engine.tick();
    for (const t of this.tickers) fired += await t.tick();
    return fired;
  }
}

/**
 * Switchyard's own API (not Twilio's): reading and moving the clock of a running server, so that users' tests can
 * make reservation timeouts, target timeouts and TTLs happen without waiting, and dates come out the same every run.
 * Served only while clock control is on (else 404, as if absent); any authenticated account may use it.
 */
export function clockRoutes(control: ClockControl): Route[] {
  const enabled = () => {
    if (!control.control) throw notFound('/v1/Clock');
  };
  return [
    {
      method: 'GET',
      path: '/v1/Clock',
      handler: async () => {
        enabled();
        return { body: control.state() };
      },
    },
    {
      method: 'POST',
      path: '/v1/Clock',
      handler: async (ctx) => {
        enabled();
        const seconds = ctx.body.int('AdvanceSeconds', { min: 0, max: 366 * 86_400 });
        const ms = ctx.body.int('AdvanceMs', { min: 0, max: 366 * 86_400_000 });
        const nowText = ctx.body.string('Now');
        const frozen = ctx.body.bool('Frozen');
        if (seconds === undefined && ms === undefined && nowText === undefined && frozen === undefined)
          throw invalidParameter('Give AdvanceSeconds or AdvanceMs (move forward), Now (an ISO 8601 date-time), or Frozen (true or false)');
        let now: number | undefined;
        if (nowText !== undefined) {
          now = parseInstant(nowText);
          if (now === undefined) throw invalidParameter(`Invalid Now parameter: '${nowText.slice(0, 40)}' is not an ISO 8601 date-time with its zone, e.g. 2026-01-15T09:00:00Z`);
          if (seconds !== undefined || ms !== undefined) throw invalidParameter('Give Now or AdvanceSeconds/AdvanceMs, not both');
        }
        const clock = control.movable();
        if (frozen === false && !clock.unfreeze) throw invalidParameter("This server's clock is a manual clock: it moves only when told to, and cannot be let run");
        // Frozen first when freezing, so the clock stands exactly at the time given; last when letting it run.
        if (frozen === true) control.setFrozen(true);
        let fired = 0;
        if (now !== undefined) fired += await control.set(now);
        if (seconds !== undefined || ms !== undefined) fired += await control.advance((seconds ?? 0) * 1000 + (ms ?? 0));
        if (frozen === false) control.setFrozen(false);
        return { body: { ...control.state(), timers_fired: fired } };
      },
    },
  ];
}
