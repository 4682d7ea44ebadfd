/**
 * Routing benchmark (`npm run bench`): every row of issue 13's targets table in one run, each
 * against a bare HTTP endpoint measured in the same run with the same load generator: task create
 * → reserved on SQLite and PostgreSQL at 1,000 and 10,000 workers, Twilio's largest workspace, a
 * PostgreSQL cluster, Flex Interactions, a task's full life, and Stoplight Prism on Twilio's spec.
 * Writes bench/RESULTS.md. See bench/README.md for the scenarios, the figures and the options.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { interactionsRow } from './interactions.ts';
import { largeRows } from './large.ts';
import { lifeRow } from './life.ts';
import { QuietWatch } from './machine.ts';
import { Bench, type Diagnosis, type Row } from './measure.ts';
import { parseOptions, type Backend, type ScenarioName } from './options.ts';
import { prismRow } from './prism.ts';
import { ANALYSIS_MARKER, render } from './report.ts';
import { clusterRow, routingRow } from './routing.ts';
import { spawnServer } from './servers.ts';
import { taskRequest } from './setup.ts';
import { pgUnreachable, pgVersion, redact, pgUrl } from './stores.ts';
import { auth } from './switchyard.ts';

const opts = (() => {
  try {
    return parseOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`bench: ${(err as Error).message}\n`);
    process.exit(2);
  }
})();
const bench = new Bench(opts);
const quiet = new QuietWatch();
const rows: Row[] = [];
const diagnoses: Diagnosis[] = [];
let failures = 0;

/** Runs one scenario; a failure is reported in its row and the run goes on (past the time limit, nothing more starts). */
type Placeholder = Omit<Row, 'rounds' | 'errorSamples'>;

async function scenario(name: ScenarioName, placeholder: Placeholder | Placeholder[], run: () => Promise<void>) {
  try {
    bench.checkDeadline();
    await run();
  } catch (err) {
    failures++;
    const message = (err as Error)?.message ?? String(err);
    bench.progress.log(`bench: ${name} failed: ${(err as Error)?.stack ?? err}`);
    for (const p of [placeholder].flat()) rows.push({ ...p, rounds: [], errorSamples: [], skipped: `failed: ${message.split('\n')[0].slice(0, 300)}` });
  }
}

async function ceiling() {
  for (const kind of ['node', 'fastify'] as const) {
    const key = `ceiling-${kind}`;
    const name = kind === 'node' ? 'bare node:http POST → 201 JSON (ceiling)' : 'bare Fastify POST → 201 JSON';
    await scenario('ceiling', { key, name, backend: 'baseline', unit: 'requests', workers: null, where: 'child' }, async () => {
      const server = await spawnServer({ kind: 'baseline', baseline: kind });
      try {
        const path = `/bench/WS0/Tasks`;
        const body = taskRequest({ workspaceSid: 'WS0', workflowSid: 'WW0', queueSids: [], workerCount: 0, auth }, 0).body;
        // The bare endpoint answers in a fraction of the time: more requests, so its rounds last too.
        const m = await bench.measure([server], `baseline ${kind}`, () => ({ method: 'POST', path, body, headers: { authorization: auth } }), {
          classify: (status) => (status === 201 ? 'ok' : 'error'),
          good: 'ok',
          scale: 4,
        });
        rows.push({ key, name, backend: 'baseline', unit: 'requests', workers: null, where: 'child', ...m });
      } finally {
        await server.stop();
      }
    });
  }
}

async function main() {
  const want = (s: ScenarioName) => opts.scenarios.has(s);
  let postgres = opts.backends.includes('postgres') && (want('postgres') || want('cluster'));
  if (postgres) {
    const why = await pgUnreachable();
    if (why) {
      bench.notes.push(`PostgreSQL at ${redact(pgUrl)} was not reachable (${why}): its rows were skipped.`);
      postgres = false;
    }
  }
  const sqlite = opts.backends.includes('sqlite');
  bench.progress.log(
    `bench: scenarios ${[...opts.scenarios].join(', ')}; ${opts.rounds} round(s) of ${opts.count} requests after ${opts.warmup} warm-up, ` +
      `${opts.concurrency} concurrent clients; workers ${opts.workers.join(', ')}; limit ${opts.deadlineMs / 60_000} min`,
  );
  if (opts.quietSeconds > 0) {
    bench.progress.log(`bench: watching the machine for ${opts.quietSeconds} s before starting`);
    await quiet.before(opts.quietSeconds);
  }
  quiet.begin();

  // The ceiling first: every other row is also given as a ratio to it.
  if (want('ceiling')) await ceiling();

  const profileDir = mkdtempSync(join(tmpdir(), 'switchyard-bench-prof-'));
  bench.cleanups.push(async () => rmSync(profileDir, { recursive: true, force: true }));
  const backends: Backend[] = [...(sqlite && want('sqlite') ? (['sqlite'] as const) : []), ...(postgres && want('postgres') ? (['postgres'] as const) : [])];
  for (const backend of backends)
    for (const workers of opts.workers)
      await scenario(
        backend,
        { key: `${backend}-${workers}`, name: `${workers.toLocaleString('en-US')} workers`, backend, unit: 'tasks', workers, where: 'child' },
        async () => {
          const { row, diagnosis } = await routingRow(bench, backend, workers, { profileDir: opts.diagnose ? profileDir : undefined });
          rows.push(row);
          if (diagnosis) diagnoses.push(diagnosis);
        },
      );

  if (want('large') && sqlite)
    await scenario(
      'large',
      [
        { key: 'large-create', name: "Twilio's largest workspace: create", backend: 'sqlite', unit: 'tasks', workers: opts.large.workers, where: 'child' },
        { key: 'large-drain', name: "Twilio's largest workspace: drain", backend: 'sqlite', unit: 'reservations', workers: opts.large.workers, where: 'child' },
      ],
      async () => {
        const { rows: large, note, diagnoses: found } = await largeRows(bench, { profileDir: opts.diagnose ? profileDir : undefined });
        diagnoses.push(...found);
        rows.push(...large);
        bench.notes.push(note);
      },
    );

  if (want('cluster') && postgres)
    await scenario('cluster', { key: 'cluster', name: `1,000 workers, ${opts.nodes} server processes`, backend: 'postgres', unit: 'tasks', workers: 1000, where: 'child' }, async () => {
      rows.push(await clusterRow(bench, 1000));
    });

  if (want('interactions') && sqlite)
    await scenario('interactions', { key: 'interactions', name: 'Flex Interactions', backend: 'sqlite', unit: 'interactions', workers: 1000, where: 'child' }, async () => {
      const { row, diagnosis } = await interactionsRow(bench, 1000, { profileDir: opts.diagnose ? profileDir : undefined });
      rows.push(row);
      if (diagnosis) diagnoses.push(diagnosis);
    });

  if (want('life') && sqlite)
    await scenario('life', { key: 'life', name: 'full life', backend: 'sqlite', unit: 'lives', workers: 1000, where: 'child' }, async () => {
      rows.push(await lifeRow(bench, 1000));
    });

  if (want('prism'))
    await scenario('prism', { key: 'prism', name: 'Stoplight Prism', backend: 'prism', unit: 'requests', workers: null, where: 'child' }, async () => {
      const row = await prismRow(bench);
      if (row.skipped) bench.notes.push(`Prism: ${row.skipped}`);
      rows.push(row);
    });

  // For comparison: the server in this process, sharing the load generator's event loop.
  if (want('in-process') && sqlite) {
    const workers = opts.workers[0];
    await scenario(
      'in-process',
      { key: `sqlite-${workers}-in-process`, name: `${workers.toLocaleString('en-US')} workers, server in the bench process`, backend: 'sqlite', unit: 'tasks', workers, where: 'in-process' },
      async () => {
        rows.push((await routingRow(bench, 'sqlite', workers, { inProcess: true })).row);
      },
    );
  }

  const q = quiet.finish();
  if (opts.dump) writeFileSync(opts.dump, JSON.stringify({ rows, diagnoses }, null, 1));
  const report = render({
    opts,
    rows,
    diagnoses,
    notes: bench.notes,
    startedAt: bench.startedAt,
    minutes: (performance.now() - bench.started) / 60_000,
    pgVersion: postgres ? await pgVersion() : null,
    postgresRan: postgres,
    quiet: { before: quiet.beforeRun, whole: q?.whole ?? null, worst: q?.worst ?? null, meanLoad: q?.meanLoad ?? NaN, maxLoad: q?.maxLoad ?? NaN },
  });
  process.stdout.write(report.targets + '\n\n' + report.table + '\n');
  if (opts.out) {
    const previous = existsSync(opts.out) ? readFileSync(opts.out, 'utf8') : '';
    const marker = previous.indexOf(ANALYSIS_MARKER);
    const analysis = marker >= 0 ? previous.slice(marker) : `${ANALYSIS_MARKER}\n\n## What limits it\n\n(to be written from the diagnostics above)\n`;
    writeFileSync(opts.out, report.full + '\n' + analysis);
    bench.progress.log(`bench: wrote ${opts.out}`);
  }
  bench.progress.log(`bench: done in ${((performance.now() - bench.started) / 1000).toFixed(0)} s${failures ? `; ${failures} scenario(s) failed (see their rows)` : ''}`);
}

// Interrupted: stop the servers and drop the stores (PostgreSQL schemas, temporary files) first.
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, async () => {
    if (bench.interrupted) return;
    bench.interrupted = true;
    bench.progress.log(`bench: ${signal}, cleaning up`);
    await bench.cleanUp();
    process.exit(130);
  });

let exitCode = 0;
try {
  await main();
  if (failures) exitCode = 1;
} catch (err) {
  bench.progress.log(`bench failed: ${(err as Error)?.stack ?? err}`);
  exitCode = 1;
} finally {
  await bench.cleanUp();
}
process.exit(bench.interrupted ? 130 : exitCode);
