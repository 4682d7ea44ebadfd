/**
 * The fuzz test: every route the server serves (read from Fastify itself) and every operation of
 * Twilio's spec, with malformed values of every parameter (from spec/facts.json), malformed
 * paths, bodies, credentials and headers, and raw malformed request lines, headers and WebSocket
 * upgrades. Seeded: FUZZ_SEED replays a run; FUZZ_REQUESTS and FUZZ_SECONDS bound it.
 *
 * The server runs in processes of its own (server-process.ts), each on a fresh store of the
 * backend (lane.ts). Asserted, per backend: no 5xx, no answer slower than 5 s, no death of a
 * server process (each is restarted on its store, to go on counting), and the store unchanged by
 * every refused request, every read and every raw case.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { backends } from '../support/server.ts';
import { Lane, type Finding } from './lane.ts';
import { runSeed } from './random.ts';

const MIN_REQUESTS = 20_000;
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 20_500);
const SECONDS = Number(process.env.FUZZ_SECONDS ?? 58);
const LANES = 2;

for (const backend of backends()) {
  describe(`fuzz (${backend.name})`, () => {
    test('every route, malformed every way: no 5xx, no answer over 5 s, no process death, no store change on a refusal', async () => {
      const seed = runSeed();
      console.log(`fuzz ${backend.name}: seed ${seed} (replay with FUZZ_SEED=${seed})`);
      const opened = await Promise.allSettled(Array.from({ length: LANES }, (_, i) => Lane.open(backend, seed + i, { index: i, of: LANES })));
      const lanes = opened.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
      const failed = opened.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      if (failed) {
        await Promise.all(lanes.map((l) => l.close()));
        throw failed.reason;
      }
      try {
        const started = performance.now();
        const seconds = () => (performance.now() - started) / 1000;
        const requests = () => lanes.reduce((n, l) => n + l.tally.requests, 0);
        await Promise.all(lanes.map((l) => l.run(() => requests() >= REQUESTS || seconds() >= SECONDS)));
        const took = seconds();

        const sum = (pick: (l: Lane) => Map<string, number>) => {
          const m = new Map<string, number>();
          for (const l of lanes) for (const [k, n] of pick(l)) m.set(k, (m.get(k) ?? 0) + n);
          return [...m].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}: ${n}`).join(', ');
        };
        const total = (pick: (l: Lane) => number) => lanes.reduce((n, l) => n + pick(l), 0);
        const findings: Finding[] = lanes.flatMap((l) => l.tally.findings);
        const deaths = lanes.flatMap((l) => l.deaths);
        const unanswered = lanes.flatMap((l) => l.tally.unanswered);
        const routes = lanes[0].routes;
        const parameters = routes.filter((x) => x.served).flatMap((x) => Object.keys(x.params).map((p) => `${x.name} ${p}`));
        const broken = new Set(lanes.flatMap((l) => [...l.tally.broken]));
        console.log(
          [
            `fuzz ${backend.name}: seed ${seed}, ${LANES} lanes; ${routes.filter((x) => x.served).length} served routes + ${routes.filter((x) => !x.served).length} unserved spec operations; ${lanes[0].world.describe()}`,
            `  ${requests()} requests in ${took.toFixed(1)} s (${Math.round(requests() / took)}/s); by status: ${sum((l) => l.tally.byStatus)}`,
            `  bad values given to ${parameters.filter((p) => broken.has(p)).length} of the ${parameters.length} parameters of the served routes`,
            `  ${total((l) => l.tally.raws)} raw-socket cases: ${sum((l) => l.tally.rawByResult)}`,
            `  ${total((l) => l.tally.checks)} store checks, ${total((l) => l.tally.reseeds)} reseeds; ${findings.length} findings, ${deaths.length} process deaths, ${unanswered.length} closed without an answer`,
            ...unanswered.slice(0, 3).map((u) => `  closed without an answer: ${u}`),
            ...findings.slice(0, 30).map((f) => `  FINDING ${f.what}: ${f.request}\n      ${f.detail}`),
            ...deaths.slice(0, 10).map((d) => `  DEATH: ${d}`),
          ].join('\n'),
        );
        const of = (what: Finding['what'][]) => findings.filter((f) => what.includes(f.what)).map((f) => `${f.request} → ${f.detail}`);
        assert.deepEqual(deaths, [], 'no server process died');
        assert.deepEqual(of(['status', 'raw']), [], 'no 5xx (and every raw case answered or closed within 5 s)');
        assert.deepEqual(of(['slow', 'health']), [], 'no answer slower than 5 s; the process answers after every batch');
        assert.deepEqual(of(['store']), [], 'no store change after a refusal, a read or a raw case');
        assert.ok(requests() >= Math.min(MIN_REQUESTS, REQUESTS), `at least ${MIN_REQUESTS} requests (got ${requests()} in ${took.toFixed(1)} s)`);
      } finally {
        await Promise.all(lanes.map((l) => l.close()));
      }
    });
  });
}
