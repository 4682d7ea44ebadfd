import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AdjustableClock } from '../../src/core/clock.ts';
import { createServer } from '../../src/server.ts';
import { backends, startServer, type Backend } from '../support/server.ts';
import { basic } from './twin-helpers.ts';

/**
 * The clock API (/switchyard/v1/Clock) on the clock `npm start` uses with clock control on: the system time plus an
 * offset, here run from a time source the test moves, so freezing is shown without waiting.
 */

const T0 = Date.UTC(2026, 2, 2, 8, 0, 0);

async function clockServer(backend: Backend, options: { clockControl?: boolean; admin?: boolean } = { clockControl: true }) {
  const store = await backend.create();
  let real = T0;
  const clock = new AdjustableClock(() => real);
  const server = await createServer({ timers: 'manual', verifyRoutingState: true, ...options, ...store.config, clock });
  await server.app.listen({ port: 0, host: '127.0.0.1' });
  const address = server.app.server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const account = await server.accounts.create('clock');
  const auth = basic(account.accountSid, account.authToken);
  const call = async (method: string, path: string, body?: Record<string, string> | string, json = false) => {
    const res = await fetch(base + path, {
      method,
      headers: { authorization: auth, 'content-type': json ? 'application/json' : 'application/x-www-form-urlencoded' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : new URLSearchParams(body).toString(),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  return {
    server,
    call,
    /** Real time passing, as far as the server's clock can tell. */
    pass: (ms: number) => (real += ms),
    async close() {
      await server.close();
      await store.dispose();
    },
  };
}

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

for (const backend of backends()) {
  describe(`the clock API (${backend.name})`, () => {
    test('Now sets the time, and what falls due in between fires before the answer', async () => {
      const s = await clockServer(backend);
      try {
        const ws = await s.call('POST', '/taskrouter/v1/Workspaces', { FriendlyName: 'clock', Template: 'FIFO' });
        const task = await s.call('POST', `/taskrouter/v1/Workspaces/${ws.body.sid}/Tasks`, { Timeout: '600' });
        assert.equal(task.status, 201, JSON.stringify(task.body));
        const res = await s.call('POST', '/switchyard/v1/Clock', { Now: '2026-03-02T08:10:00Z' });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.equal(res.body.now, '2026-03-02T08:10:00Z');
        assert.equal(res.body.now_ms, T0 + 600_000);
        assert.equal(res.body.frozen, false);
        assert.ok(res.body.timers_fired >= 1);
        const after = await s.call('GET', `/taskrouter/v1/Workspaces/${ws.body.sid}/Tasks/${task.body.sid}`);
        assert.equal(after.body.assignment_status, 'canceled');
        assert.equal(after.body.reason, 'Task TTL Exceeded');
        // A zone other than Z means the same instant.
        const later = await s.call('POST', '/switchyard/v1/Clock', { Now: '2026-03-02T09:15:00+01:00' });
        assert.equal(later.body.now_ms, T0 + 15 * 60_000);
      } finally {
        await s.close();
      }
    });

    test('Frozen: the clock stands while time passes; moved, it stays frozen; let run, it goes on from where it stood', async () => {
      const s = await clockServer(backend);
      try {
        const frozen = await s.call('POST', '/switchyard/v1/Clock', { Frozen: 'true' });
        assert.equal(frozen.status, 200, JSON.stringify(frozen.body));
        assert.deepEqual([frozen.body.now_ms, frozen.body.frozen], [T0, true]);
        s.pass(5_000);
        assert.equal((await s.call('GET', '/switchyard/v1/Clock')).body.now_ms, T0, 'frozen: 5 s passed, the clock did not move');
        // Dates written meanwhile are the frozen time.
        const ws = await s.call('POST', '/taskrouter/v1/Workspaces', { FriendlyName: 'frozen' });
        assert.equal(ws.body.date_created, iso(T0));
        const moved = await s.call('POST', '/switchyard/v1/Clock', { AdvanceSeconds: '60' });
        assert.deepEqual([moved.body.now_ms, moved.body.frozen], [T0 + 60_000, true]);
        s.pass(1_000);
        assert.equal((await s.call('GET', '/switchyard/v1/Clock')).body.now_ms, T0 + 60_000);
        const running = await s.call('POST', '/switchyard/v1/Clock', { Frozen: 'false' });
        assert.deepEqual([running.body.now_ms, running.body.frozen], [T0 + 60_000, false]);
        s.pass(2_000);
        assert.equal((await s.call('GET', '/switchyard/v1/Clock')).body.now_ms, T0 + 62_000, 'it runs on from where it stood, without the 6 s it was frozen');
        // Frozen at a given time, in one call.
        const exact = await s.call('POST', '/switchyard/v1/Clock', { Now: '2026-03-02T12:00:00Z', Frozen: 'true' });
        s.pass(3_000);
        assert.deepEqual([exact.body.now, (await s.call('GET', '/switchyard/v1/Clock')).body.now], ['2026-03-02T12:00:00Z', '2026-03-02T12:00:00Z']);
      } finally {
        await s.close();
      }
    });

    test('the clock never goes back over recorded events; over an empty past (a fresh store, an account reset) it may', async () => {
      const s = await clockServer(backend, { clockControl: true, admin: true });
      try {
        const back = await s.call('POST', '/switchyard/v1/Clock', { Now: '2026-01-15T09:00:00Z' });
        assert.equal(back.status, 200, 'nothing recorded yet: back to a fixed date for a test run');
        assert.equal(back.body.now, '2026-01-15T09:00:00Z');
        const ws = await s.call('POST', '/taskrouter/v1/Workspaces', { FriendlyName: 'dated' });
        assert.equal(ws.body.date_created, '2026-01-15T09:00:00Z');
        await s.call('POST', '/switchyard/v1/Clock', { AdvanceSeconds: '3600' });
        const refused = await s.call('POST', '/switchyard/v1/Clock', { Now: '2026-01-15T08:59:59Z' });
        assert.equal(refused.status, 400);
        assert.equal(refused.body.code, 20001);
        assert.match(refused.body.message, /never goes back over recorded events/);
        assert.equal((await s.call('GET', '/switchyard/v1/Clock')).body.now, '2026-01-15T10:00:00Z', 'refused: not moved');
        // Back, but not before the latest event, is allowed.
        assert.equal((await s.call('POST', '/switchyard/v1/Clock', { Now: '2026-01-15T09:30:00Z' })).status, 200);
        assert.equal((await s.call('POST', '/switchyard/v1/Reset', {})).status, 200);
        assert.equal((await s.call('POST', '/switchyard/v1/Clock', { Now: '2026-01-01T00:00:00Z' })).status, 200, 'nothing recorded after the reset');
      } finally {
        await s.close();
      }
    });

    test('bad input is a 400 / 20001 and moves nothing', async () => {
      const s = await clockServer(backend);
      try {
        const cases: [Record<string, string>, RegExp][] = [
          [{}, /Give AdvanceSeconds or AdvanceMs/],
          [{ Now: '2026-03-02T09:00:00' }, /with its zone/],
          [{ Now: 'tomorrow' }, /ISO 8601/],
          [{ Now: '2026-03-02T09:00:00Z', AdvanceSeconds: '5' }, /not both/],
          [{ Frozen: 'maybe' }, /Frozen/],
          [{ AdvanceSeconds: '-1' }, /AdvanceSeconds/],
        ];
        for (const [body, message] of cases) {
          const res = await s.call('POST', '/switchyard/v1/Clock', body);
          assert.equal(res.status, 400, JSON.stringify([body, res.body]));
          assert.equal(res.body.code, 20001);
          assert.match(res.body.message, message);
        }
        const now = await s.call('GET', '/switchyard/v1/Clock');
        assert.deepEqual([now.body.now_ms, now.body.frozen], [T0, false]);
      } finally {
        await s.close();
      }
    });

    test('a seed turns the clock API on, sets and freezes the clock; applied again it changes nothing', async () => {
      const s = await clockServer(backend, { admin: true });
      try {
        assert.equal((await s.call('GET', '/switchyard/v1/Clock')).status, 404, 'off until the seed turns it on');
        const seed = JSON.stringify({ clock: { control: true, now: '2026-01-15T09:00:00Z', frozen: true }, workspaces: [{ friendly_name: 'Support' }] });
        const first = await s.call('POST', '/switchyard/v1/Seed', seed, true);
        assert.equal(first.status, 200, JSON.stringify(first.body));
        assert.deepEqual(first.body.changes.slice(0, 3), ['enabled the clock API', 'froze the clock', 'set the clock to 2026-01-15T09:00:00.000Z']);
        assert.deepEqual(first.body.clock, { now: '2026-01-15T09:00:00Z', now_ms: Date.UTC(2026, 0, 15, 9), frozen: true, control: true });
        s.pass(60_000);
        const clock = await s.call('GET', '/switchyard/v1/Clock');
        assert.deepEqual([clock.status, clock.body.now], [200, '2026-01-15T09:00:00Z']);
        const again = await s.call('POST', '/switchyard/v1/Seed', seed, true);
        assert.deepEqual(again.body.changes, []);
        // Once the clock has moved on past recorded events, the seed's time is where it started, not where it goes back to.
        await s.call('POST', '/switchyard/v1/Clock', { AdvanceSeconds: '600' });
        const later = await s.call('POST', '/switchyard/v1/Seed', seed, true);
        assert.deepEqual([later.body.changes, later.body.clock.now], [[], '2026-01-15T09:10:00Z']);
      } finally {
        await s.close();
      }
    });

    test("a manual clock (startServer's, the embedded server's) can be set and is always frozen; it cannot be let run", async () => {
      const t = await startServer(backend, { clockControl: true });
      try {
        const state = await t.http('GET', '/switchyard/v1/Clock');
        assert.equal(state.body.frozen, true);
        const set = await t.http('POST', '/switchyard/v1/Clock', { body: 'Now=2026-02-01T00:00:00Z' });
        assert.equal(set.body.now, '2026-02-01T00:00:00Z');
        const run = await t.http('POST', '/switchyard/v1/Clock', { body: 'Frozen=false&AdvanceSeconds=5' });
        assert.equal(run.status, 400);
        assert.match(run.body.message, /manual clock/);
        assert.equal((await t.http('GET', '/switchyard/v1/Clock')).body.now, '2026-02-01T00:00:00Z', 'refused: not moved either');
      } finally {
        await t.close();
      }
    });
  });
}
