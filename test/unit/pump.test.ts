import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Pump } from '../../src/core/pump.ts';

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
