import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PollingPump, Pump } from '../../src/core/pump.ts';

/** A run the test lets finish when it wants. */
function gate() {
  let open!: () => void;
  const p = new Promise<void>((r) => (open = r));
  return { p, open };
}

test('one run at a time; wakes during a run make exactly one more run', async () => {
  let runs = 0;
  let g = gate();
  const pump = new Pump(async () => {
    runs++;
    await g.p;
  });
  pump.wake();
  pump.wake();
  pump.wake();
  assert.equal(runs, 1, 'the first run is under way; the others wait');
  const first = g;
  g = gate();
  first.open();
  await new Promise((r) => setImmediate(r));
  assert.equal(runs, 2, 'one more run for all the wakes during the first');
  g.open();
  await pump.idle();
  assert.equal(runs, 2);
});

test('a failing run is reported and the pump goes on; an inactive pump does nothing', async () => {
  const errors: unknown[] = [];
  let active = true;
  let runs = 0;
  const pump = new Pump(
    async () => {
      runs++;
      if (runs === 1) throw new Error('db down');
    },
    { onError: (e) => errors.push(e), active: () => active },
  );
  pump.wake();
  await pump.idle();
  assert.equal(errors.length, 1);
  pump.wake();
  await pump.idle();
  assert.equal(runs, 2);
  active = false;
  pump.wake();
  await pump.idle();
  assert.equal(runs, 2);
});

test('a polling pump runs only between start and stop: at once when started, then when woken', async () => {
  let runs = 0;
  // An hour between polls: only start() and wake() make it run within this test.
  const pump = new PollingPump(async () => runs++, 3_600_000);
  pump.wake();
  await new Promise((r) => setImmediate(r));
  assert.equal(runs, 0, 'not started: a wake does nothing (manual timers: the tests flush instead)');
  assert.equal(pump.start(), true);
  assert.equal(pump.start(), false, 'already running');
  await new Promise((r) => setImmediate(r));
  assert.equal(runs, 1, 'starting runs it once at once');
  pump.wake();
  await new Promise((r) => setImmediate(r));
  assert.equal(runs, 2);
  await pump.stop();
  assert.equal(pump.running, false);
  pump.wake();
  await new Promise((r) => setImmediate(r));
  assert.equal(runs, 2, 'stopped: wakes do nothing');
});

test('stopping a polling pump waits for the run under way', async () => {
  const g = gate();
  let finished = false;
  const pump = new PollingPump(async () => {
    await g.p;
    finished = true;
  }, 3_600_000);
  pump.start();
  const stopping = pump.stop();
  g.open();
  await stopping;
  assert.equal(finished, true);
});
