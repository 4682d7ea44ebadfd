import { isoDate, type Clock } from '../core/clock.ts';
import { invalidParameter } from '../core/errors.ts';
import type { Route } from '../http/context.ts';
import type { Engine } from '../taskrouter/engine/index.ts';

/**
 * Switchyard's own API (not Twilio's): moving the clock of a running server forward, so that
 * users' tests can make reservation timeouts, target timeouts and TTLs happen without waiting.
 * Off unless the server was started with it enabled; any authenticated account may use it.
 */
export function clockRoutes(clock: Clock, engine: Engine, tickers: { tick(): Promise<number> }[] = []): Route[] {
  const state = () => ({ now: isoDate(clock.now()), now_ms: clock.now() });
  return [
    { method: 'GET', path: '/v1/Clock', handler: async () => ({ body: state() }) },
    {
      method: 'POST',
      path: '/v1/Clock',
      handler: async (ctx) => {
        const seconds = ctx.body.int('AdvanceSeconds', { min: 0, max: 366 * 86_400 });
        const ms = ctx.body.int('AdvanceMs', { min: 0, max: 366 * 86_400_000 });
        if (seconds === undefined && ms === undefined) throw invalidParameter('Give AdvanceSeconds or AdvanceMs');
        clock.advance!((seconds ?? 0) * 1000 + (ms ?? 0));
        // Everything that fell due in the skipped time happens now, before the reply.
        let fired = await engine.tick();
        for (const t of tickers) fired += await t.tick();
        return { body: { ...state(), timers_fired: fired } };
      },
    },
  ];
}
