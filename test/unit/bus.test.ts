import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Bus } from '../../src/core/bus.ts';

interface Events {
  committed: { workspaceSid: string | null };
  other: { n: number };
}

/** A promise the test settles when it wants. */
function gate() {
  let open!: () => void;
  let fail!: (err: Error) => void;
  const p = new Promise<void>((resolve, reject) => ((open = resolve), (fail = reject)));
  return { p, open, fail };
}

test('subscribers of a type are called in the order they subscribed, with the event; other types are not', async () => {
  const bus = new Bus<Events>();
  const seen: string[] = [];
  bus.on('committed', (e) => void seen.push(`a:${e.workspaceSid}`));
  bus.on('other', (e) => void seen.push(`other:${e.n}`));
  bus.on('committed', (e) => void seen.push(`b:${e.workspaceSid}`));
  await bus.publish('committed', { workspaceSid: 'WS1' });
  assert.deepEqual(seen, ['a:WS1', 'b:WS1']);
});

test('publish resolves only once every subscriber has finished; every one starts at once', async () => {
  const bus = new Bus<Events>();
  const slow = gate();
  const started: string[] = [];
  bus.on('committed', async () => {
    started.push('slow');
    await slow.p;
  });
  bus.on('committed', () => void started.push('quick'));
  let done = false;
  const publishing = bus.publish('committed', { workspaceSid: 'WS1' }).then(() => (done = true));
  assert.deepEqual(started, ['slow', 'quick'], 'the second is called while the first waits');
  await new Promise((r) => setImmediate(r));
  assert.equal(done, false, 'the publisher waits for the slow subscriber');
  slow.open();
  await publishing;
  assert.equal(done, true);
});

test('a subscriber that throws or rejects is reported; the others run and publish does not reject', async () => {
  const reported: { err: unknown; type: string; event: unknown }[] = [];
  const bus = new Bus<Events>((err, type, event) => reported.push({ err, type, event }));
  const rejecting = gate();
  const ran: string[] = [];
  bus.on('committed', () => {
    throw new Error('sync');
  });
  bus.on('committed', async () => {
    await rejecting.p;
  });
  bus.on('committed', () => void ran.push('last'));
  const publishing = bus.publish('committed', { workspaceSid: 'WS2' });
  rejecting.fail(new Error('async'));
  await publishing;
  assert.deepEqual(ran, ['last']);
  assert.deepEqual(
    reported.map((r) => [(r.err as Error).message, r.type, r.event]),
    [
      ['sync', 'committed', { workspaceSid: 'WS2' }],
      ['async', 'committed', { workspaceSid: 'WS2' }],
    ],
  );
});

test('unsubscribing stops later publishes; a publish under way keeps the subscribers it started with', async () => {
  const bus = new Bus<Events>();
  const seen: string[] = [];
  let off: () => void = () => undefined;
  bus.on('other', (e) => {
    seen.push(`first:${e.n}`);
    off();
  });
  off = bus.on('other', (e) => void seen.push(`second:${e.n}`));
  await bus.publish('other', { n: 1 });
  await bus.publish('other', { n: 2 });
  assert.deepEqual(seen, ['first:1', 'second:1', 'first:2']);
});

test('publishing with no subscriber does nothing', async () => {
  const bus = new Bus<Events>(() => assert.fail('nothing to report'));
  await bus.publish('committed', { workspaceSid: null });
});
