/**
 * Routing benchmark (`npm run bench`): tasks created over HTTP by concurrent clients until reserved,
 * with 1,000 and 10,000 workers over 50 queues, on SQLite and PostgreSQL, against a bare HTTP
 * endpoint measured in the same run with the same load generator. Writes bench/RESULTS.md.
 * See bench/README.md for what each figure means and the options.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, freemem, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { StoreConfig } from '../src/store/open.ts';
import { newAgent, runLoad, type LoadResult } from './load.ts';
import { summariseProfile, type ProfileSummary } from './profile.ts';
import { Progress } from './progress.ts';
import { inProcessServer, spawnServer, type RunningServer, type ServerSample } from './servers.ts';
import { basicAuth, classifyTask, setupScenario, taskRequest, type Scenario } from './setup.ts';
import type { SqlStat } from './sql-timing.ts';
import { median, percentile, sortNumbers } from './stats.ts';
import type { TargetConfig } from './target.ts';

// ---------------------------------------------------------------------------------------------
// Options

type Backend = 'sqlite' | 'postgres';

interface Options {
  rounds: number;
  count: number;
  warmup: number;
  concurrency: number;
  roundMs: number;
  warmupMs: number;
  backends: Backend[];
  workers: number[];
  inProcess: boolean;
  diagnose: boolean;
  diagCount: number;
  diagMs: number;
  out: string | null;
  /** Also write the raw rounds and diagnostics (every SQL statement) as JSON here. */
  dump: string | null;
  deadlineMs: number;
}

function parseOptions(argv: string[]): Options {
  const flags = new Map<string, string>();
  for (const a of argv) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new Error(`Unknown argument ${a} (see bench/README.md)`);
    flags.set(m[1], m[2] ?? 'true');
  }
  const quick = flags.has('quick');
  const num = (name: string, dflt: number) => {
    const v = flags.get(name);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
    return n;
  };
  const list = (name: string, dflt: string) => (flags.get(name) ?? dflt).split(',').filter(Boolean);
  const out = flags.get('out') ?? (quick ? null : fileURLToPath(new URL('./RESULTS.md', import.meta.url)));
  return {
    rounds: num('rounds', quick ? 1 : 3),
    count: num('count', quick ? 1500 : 6000),
    warmup: num('warmup', quick ? 300 : 1500),
    concurrency: num('concurrency', 16),
    roundMs: num('round-seconds', 30) * 1000,
    warmupMs: num('warmup-seconds', 10) * 1000,
    backends: list('backends', 'sqlite,postgres') as Backend[],
    workers: list('workers', quick ? '1000' : '1000,10000').map(Number),
    inProcess: flags.has('in-process') || (!flags.has('no-in-process') && !quick),
    diagnose: flags.has('diagnose') || (!flags.has('no-diagnose') && !quick),
    diagCount: num('diag-count', 3000),
    diagMs: num('diag-seconds', 30) * 1000,
    out: out === 'none' ? null : out,
    dump: flags.get('dump') ?? null,
    deadlineMs: num('max-minutes', 40) * 60_000,
  };
}

// ---------------------------------------------------------------------------------------------
// Measurement

interface Round {
  rate: number;
  p50: number;
  p99: number;
  reserved: number;
  pending: number;
  errors: number;
  elapsedMs: number;
  clientElu: number;
  server: ServerSample | null;
  /** Share of all the machine's CPU time that was busy during the round (from /proc/stat). */
  machineBusy: number;
  /** Share of all the machine's CPU time used by this bench (load generator + server process). */
  benchBusy: number;
  /** 1-minute load average at the end of the round. */
  loadAvg: number;
}

interface Row {
  name: string;
  backend: 'baseline' | Backend;
  workers: number | null;
  where: 'child' | 'in-process';
  rounds: Round[];
  setupMs?: number;
  errorSamples: string[];
}

interface Diagnosis {
  name: string;
  tasks: number;
  round: Round;
  sql: SqlStat[];
  profile: ProfileSummary | null;
}

const opts = parseOptions(process.argv.slice(2));
const progress = new Progress();
const started = performance.now();
const startedAt = new Date();
const pgUrl = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const notes: string[] = [];
const cleanups: (() => Promise<void>)[] = [];

function checkDeadline() {
  if (performance.now() - started > opts.deadlineMs) throw new Error(`bench ran past its limit of ${opts.deadlineMs / 60_000} minutes`);
}

/** Load for one phase: `count` creates (or the baseline POST), with the progress bar. */
async function load(
  server: RunningServer,
  label: string,
  count: number,
  maxMs: number,
  request: (i: number) => ReturnType<typeof taskRequest>,
  offset: number,
) {
  progress.start(label, count);
  const result = await runLoad({
    port: server.port,
    concurrency: opts.concurrency,
    count,
    maxMs,
    request: (i) => request(offset + i),
    classify: (status, body) => classifyTask(status, body),
    onResponse: (n) => progress.set(n),
  });
  progress.end(summaryNote(result));
  return result;
}

function summaryNote(r: LoadResult) {
  const parts = Object.entries(r.outcomes).map(([k, v]) => `${k} ${v}`);
  return `(${parts.join(', ')})`;
}

/** Busy and total CPU time of the whole machine so far (jiffies), or null off Linux. */
function machineCpu(): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const total = v.slice(0, 8).reduce((a, x) => a + x, 0);
    const idle = v[3] + (v[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

function loadAverage(): number {
  try {
    return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  } catch {
    return NaN;
  }
}

function toRound(
  r: LoadResult,
  clientElu: number,
  server: ServerSample | null,
  machine: { busy: number; bench: number },
): Round {
  const lat = sortNumbers(r.latencies.reserved ?? []);
  return {
    rate: ((r.outcomes.reserved ?? 0) / r.elapsedMs) * 1000,
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
    reserved: r.outcomes.reserved ?? 0,
    pending: r.outcomes.pending ?? 0,
    errors: r.outcomes.error ?? 0,
    elapsedMs: r.elapsedMs,
    clientElu,
    server,
    machineBusy: machine.busy,
    benchBusy: machine.bench,
    loadAvg: loadAverage(),
  };
}

/**
 * Warm-up, then `rounds` measured rounds on one server; then, when `diagnose` names a profile file,
 * one more round with the server's SQL timed and CPU profiled (not counted in the figures).
 */
async function measure(
  server: RunningServer,
  label: string,
  request: (i: number) => ReturnType<typeof taskRequest>,
  scale = 1,
  diagnose?: { name: string; profileFile: string },
): Promise<{ rounds: Round[]; errorSamples: string[]; diagnosis?: Diagnosis }> {
  let offset = 0;
  const warm = await load(server, `${label} warm-up`, opts.warmup * scale, opts.warmupMs, request, offset);
  offset += warm.completed;
  const errorSamples = [...warm.errorSamples];
  const out: Round[] = [];
  const round = async (title: string, count: number, maxMs: number, diag?: { profileFile: string }) => {
    checkDeadline();
    await server.mark(diag);
    const elu0 = performance.eventLoopUtilization();
    const cpu0 = process.cpuUsage();
    const m0 = machineCpu();
    const result = await load(server, `${label} ${title}`, count, maxMs, request, offset);
    const clientElu = performance.eventLoopUtilization(elu0).utilization;
    const m1 = machineCpu();
    const cpu1 = process.cpuUsage(cpu0);
    const sample = await server.read();
    offset += result.completed;
    errorSamples.push(...result.errorSamples);
    const cores = cpus().length;
    const benchMs = (cpu1.user + cpu1.system) / 1000 + (sample?.cpuMs ?? 0);
    return toRound(result, clientElu, sample, {
      busy: m0 && m1 ? (m1.busy - m0.busy) / (m1.total - m0.total) : NaN,
      bench: benchMs / (result.elapsedMs * cores),
    });
  };
  for (let r = 1; r <= opts.rounds; r++) out.push(await round(`round ${r}/${opts.rounds}`, opts.count * scale, opts.roundMs));
  let diagnosis: Diagnosis | undefined;
  if (diagnose && server.where === 'child') {
    const d = await round('diagnostic round', opts.diagCount, opts.diagMs, { profileFile: diagnose.profileFile });
    diagnosis = {
      name: diagnose.name,
      tasks: d.reserved + d.pending,
      round: d,
      sql: d.server?.sql ?? [],
      profile: existsSync(diagnose.profileFile) ? summariseProfile(diagnose.profileFile) : null,
    };
  }
  return { rounds: out, errorSamples: errorSamples.slice(0, 5), diagnosis };
}

// ---------------------------------------------------------------------------------------------
// Stores

async function pgReachable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch (err) {
    notes.push(`PostgreSQL at ${redact(pgUrl)} was not reachable (${(err as Error).message}): its rows were skipped.`);
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

function redact(url: string) {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

async function pgAdmin(sql: string) {
  const c = new pg.Client({ connectionString: pgUrl });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** A fresh, empty store for one scenario, and how to throw it away. */
async function freshStore(backend: Backend): Promise<{ store: StoreConfig; dispose(): Promise<void> }> {
  if (backend === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
    return { store: { sqliteFile: join(dir, 'bench.db') }, dispose: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const schema = `sy_bench_${randomBytes(6).toString('hex')}`;
  await pgAdmin(`CREATE SCHEMA ${schema}`);
  return { store: { databaseUrl: pgUrl, schema }, dispose: () => pgAdmin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`) };
}

const account = { accountSid: `AC${randomBytes(16).toString('hex')}`, authToken: randomBytes(16).toString('hex') };
const auth = basicAuth(account.accountSid, account.authToken);

/** Starts Switchyard on a fresh store and builds the scenario through the API. */
async function switchyardScenario(
  backend: Backend,
  workers: number,
  label: string,
  how: { inProcess?: boolean } = {},
): Promise<{ server: RunningServer; scenario: Scenario; setupMs: number; done(): Promise<void> }> {
  const { store, dispose } = await freshStore(backend);
  let disposed = false;
  const cleanup = async () => {
    if (disposed) return;
    disposed = true;
    await dispose();
  };
  cleanups.push(cleanup);
  const config: TargetConfig = { kind: 'switchyard', store, account };
  let server: RunningServer | undefined;
  try {
    server = how.inProcess ? await inProcessServer(config) : await spawnServer(config);
    const agent = newAgent(8);
    const t0 = performance.now();
    const scenario = await setupScenario({ port: server.port, agent, auth }, workers, progress, label);
    agent.destroy();
    const s = server;
    return {
      server: s,
      scenario,
      setupMs: performance.now() - t0,
      async done() {
        await s.stop();
        await cleanup();
      },
    };
  } catch (err) {
    await server?.stop().catch(() => undefined);
    await cleanup();
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// The run

async function main() {
  const rows: Row[] = [];
  const diagnoses: Diagnosis[] = [];
  const backends = opts.backends.includes('postgres') && !(await pgReachable()) ? opts.backends.filter((b) => b !== 'postgres') : opts.backends;
  progress.log(
    `bench: ${opts.rounds} round(s) of ${opts.count} requests after ${opts.warmup} warm-up, ${opts.concurrency} concurrent clients; ` +
      `backends ${backends.join(', ')}; workers ${opts.workers.join(', ')}`,
  );

  // (c) The ceiling: a bare endpoint, same load generator and concurrency.
  for (const kind of ['node', 'fastify'] as const) {
    checkDeadline();
    const server = await spawnServer({ kind: 'baseline', baseline: kind });
    try {
      const path = `/bench/WS0/Tasks`;
      const body = taskRequest({ workspaceSid: 'WS0', workflowSid: 'WW0', queueSids: [], workerCount: 0, auth }, 0).body;
      // The bare endpoint answers in a fraction of the time: more requests, so its rounds last too.
      const m = await measure(server, `baseline ${kind}`, () => ({ method: 'POST', path, body, headers: { authorization: auth } }), 4);
      rows.push({ name: kind === 'node' ? 'bare node:http POST → 201 JSON (ceiling)' : 'bare Fastify POST → 201 JSON', backend: 'baseline', workers: null, where: 'child', ...m });
    } finally {
      await server.stop();
    }
  }

  // (a), (b) on each backend, the server in its own process; then its diagnostic round.
  const profDir = mkdtempSync(join(tmpdir(), 'switchyard-bench-prof-'));
  cleanups.push(async () => rmSync(profDir, { recursive: true, force: true }));
  for (const backend of backends) {
    for (const workers of opts.workers) {
      checkDeadline();
      const label = `${backend} ${workers / 1000}k`;
      const s = await switchyardScenario(backend, workers, label);
      try {
        const diagnose = opts.diagnose
          ? { name: `${backend}, ${workers.toLocaleString('en-US')} workers`, profileFile: join(profDir, `${backend}-${workers}.cpuprofile`) }
          : undefined;
        const { diagnosis, ...m } = await measure(s.server, label, (i) => taskRequest(s.scenario, i), 1, diagnose);
        rows.push({ name: `${workers.toLocaleString('en-US')} workers`, backend, workers, where: 'child', setupMs: s.setupMs, ...m });
        if (diagnosis) diagnoses.push(diagnosis);
      } finally {
        await s.done();
      }
    }
  }

  // For comparison: the server in this process, sharing the load generator's event loop.
  if (opts.inProcess && backends.includes('sqlite')) {
    checkDeadline();
    const workers = opts.workers[0];
    const label = `sqlite ${workers / 1000}k in-process`;
    const s = await switchyardScenario('sqlite', workers, label, { inProcess: true });
    try {
      const m = await measure(s.server, label, (i) => taskRequest(s.scenario, i));
      rows.push({ name: `${workers.toLocaleString('en-US')} workers, server in the bench process`, backend: 'sqlite', workers, where: 'in-process', setupMs: s.setupMs, ...m });
    } finally {
      await s.done();
    }
  }

  if (opts.dump) writeFileSync(opts.dump, JSON.stringify({ rows, diagnoses }, null, 1));
  const report = render(rows, diagnoses, backends);
  process.stdout.write(report.table + '\n');
  if (opts.out) {
    const previous = existsSync(opts.out) ? readFileSync(opts.out, 'utf8') : '';
    const marker = previous.indexOf(ANALYSIS_MARKER);
    const analysis = marker >= 0 ? previous.slice(marker) : `${ANALYSIS_MARKER}\n\n## What limits it\n\n(to be written from the diagnostics above)\n`;
    writeFileSync(opts.out, report.full + '\n' + analysis);
    progress.log(`bench: wrote ${opts.out}`);
  }
  progress.log(`bench: done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

// ---------------------------------------------------------------------------------------------
// Report

const ANALYSIS_MARKER = '<!-- Everything below this line is kept by `npm run bench` when it rewrites this file. -->';

const fmt = {
  int: (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–'),
  ms: (n: number) => (Number.isFinite(n) ? (n < 10 ? n.toFixed(2) : n.toFixed(1)) : '–'),
  x: (n: number) => (Number.isFinite(n) ? (n >= 10 ? n.toFixed(0) : n.toFixed(2)) + '×' : '–'),
  pct: (n: number) => (Number.isFinite(n) ? `${(n * 100).toFixed(0)}%` : '–'),
};

function summary(row: Row) {
  const r = row.rounds;
  const server = r.map((x) => x.server).filter((x): x is ServerSample => x !== null);
  const tasks = r.reduce((a, x) => a + x.reserved + x.pending, 0);
  return {
    rate: median(r.map((x) => x.rate)),
    p50: median(r.map((x) => x.p50)),
    p99: median(r.map((x) => x.p99)),
    rateRange: [Math.min(...r.map((x) => x.rate)), Math.max(...r.map((x) => x.rate))],
    pending: r.reduce((a, x) => a + x.pending, 0),
    errors: r.reduce((a, x) => a + x.errors, 0),
    serverElu: server.length ? median(server.map((s) => s.elu)) : NaN,
    serverCpuPerTask: server.length && tasks ? server.reduce((a, s) => a + s.cpuMs, 0) / tasks : NaN,
    clientElu: median(r.map((x) => x.clientElu)),
    rss: server.length ? Math.max(...server.map((s) => s.rssMb)) : NaN,
    machineBusy: median(r.map((x) => x.machineBusy)),
    benchBusy: median(r.map((x) => x.benchBusy)),
    loadAvg: Math.max(...r.map((x) => x.loadAvg)),
  };
}

function machine() {
  let model = cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) model = m[1].trim();
  } catch {
    /* not Linux */
  }
  let nproc = cpus().length;
  try {
    const m = /^processor\s*:/gm;
    nproc = readFileSync('/proc/cpuinfo', 'utf8').match(m)?.length ?? nproc;
  } catch {
    /* not Linux */
  }
  return { model, nproc, memGb: totalmem() / 2 ** 30, freeGb: freemem() / 2 ** 30 };
}

function codeVersion(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { encoding: 'utf8' }).trim();
    return `commit ${head}${dirty ? ` plus uncommitted changes under src/ (${dirty.split('\n').length} paths)` : ', src/ clean'}`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

async function pgVersion(): Promise<string | null> {
  const c = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    const r = await c.query<{ server_version: string }>('SHOW server_version');
    return r.rows[0].server_version;
  } catch {
    return null;
  } finally {
    await c.end().catch(() => undefined);
  }
}

let pgVersionText: string | null = null;

function render(rows: Row[], diagnoses: Diagnosis[], backends: Backend[]) {
  const base = rows.find((r) => r.backend === 'baseline' && r.name.includes('ceiling'));
  const b = base ? summary(base) : null;
  const lines: string[] = [];
  lines.push(
    '| backend | scenario | server | tasks/s (median) | ÷ ceiling | p50 ms | × ceiling | p99 ms | × ceiling | pending | errors | server loop busy | server CPU ms/task | client loop busy | machine CPU busy (this bench) | load avg |',
  );
  lines.push('| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const row of rows) {
    const s = summary(row);
    lines.push(
      `| ${row.backend} | ${row.name} | ${row.where} | ${fmt.int(s.rate)} (${fmt.int(s.rateRange[0])}–${fmt.int(s.rateRange[1])}) | ${b ? fmt.x(s.rate / b.rate) : '–'} | ${fmt.ms(s.p50)} | ${b ? fmt.x(s.p50 / b.p50) : '–'} | ${fmt.ms(s.p99)} | ${b ? fmt.x(s.p99 / b.p99) : '–'} | ${s.pending} | ${s.errors} | ${fmt.pct(s.serverElu)} | ${fmt.ms(s.serverCpuPerTask)} | ${fmt.pct(s.clientElu)} | ${fmt.pct(s.machineBusy)} (${fmt.pct(s.benchBusy)}) | ${Number.isFinite(s.loadAvg) ? s.loadAvg.toFixed(1) : '–'} |`,
    );
  }
  const table = lines.join('\n');

  const m = machine();
  const out: string[] = [];
  out.push('# Routing benchmark: latest results');
  out.push('');
  out.push('Written by `npm run bench` (bench/run.ts); what each figure means is in [README.md](README.md).');
  out.push('');
  out.push(`- **Date:** ${startedAt.toISOString().replace(/\.\d+Z$/, 'Z')} (run took ${((performance.now() - started) / 60_000).toFixed(1)} min)`);
  out.push(`- **Command:** \`npm run bench${process.argv.length > 2 ? ' -- ' + process.argv.slice(2).join(' ') : ''}\``);
  out.push(`- **Code:** ${codeVersion()}`);
  out.push(`- **Machine:** ${m.nproc} CPUs (nproc), ${m.model}, ${m.memGb.toFixed(1)} GiB memory`);
  out.push(`- **Software:** Node ${process.version}, ${process.platform}/${process.arch}; SQLite through better-sqlite3 (WAL, synchronous=NORMAL); PostgreSQL ${pgVersionText ?? 'not reached'} at 127.0.0.1${backends.includes('postgres') ? '' : ' (skipped)'}`);
  out.push(
    `- **Load:** ${opts.concurrency} concurrent clients on keep-alive connections, closed loop; warm-up of ${opts.warmup.toLocaleString('en-US')} requests or ${opts.warmupMs / 1000} s, then ${opts.rounds} rounds of ${opts.count.toLocaleString('en-US')} requests or ${opts.roundMs / 1000} s, whichever ends first (the bare endpoints: 4 times the requests, same time limits); every server in its own process except the row marked in-process. Each scenario starts on a fresh, empty store.`,
  );
  out.push(
    '- **Scenario:** one workspace, 50 queues (`skills HAS \'qN\'`), one workflow with 50 filters (`queue == \'qN\'`), workers spread evenly over the queues, all Available, `default` channel capacity 50; tasks round-robin over the queues by their `queue` attribute. A task counts when its create response says `reserved`.',
  );
  for (const n of notes) out.push(`- **Note:** ${n}`);
  out.push('');
  out.push('## Results');
  out.push('');
  out.push('Figures are medians over the rounds (tasks/s range in brackets). "÷ ceiling" is tasks/s divided by the bare node:http endpoint\'s requests/s; "× ceiling" is how many times the bare endpoint\'s latency.');
  out.push('');
  out.push(table);
  out.push('');
  const busy = rows.filter((r) => summary(r).machineBusy - summary(r).benchBusy > 0.15);
  if (busy.length)
    out.push(
      `**The machine was not quiet:** during ${busy.map((r) => `${r.backend} ${r.name}`).join('; ')}, other processes (PostgreSQL's own work on its rows, and anything else running, such as other test runs) kept more than 15% of all CPU time busy (see the last two columns). Throughput there is lower, and latency higher, than on a quiet machine; CPU ms per task is the steadier figure.`,
      '',
    );
  for (const row of rows) if (row.errorSamples.length) out.push(`- ${row.backend} ${row.name}: errors such as \`${row.errorSamples[0].replace(/`/g, "'").slice(0, 200)}\``);
  const setups = rows.filter((r) => r.setupMs !== undefined);
  if (setups.length)
    out.push(`Setup through the API (workers created, then their channel capacity set, 4 clients): ${setups.map((r) => `${r.backend} ${r.name} ${(r.setupMs! / 1000).toFixed(1)} s`).join('; ')}.`);
  out.push('');

  // Targets
  const find = (backend: Backend, workers: number) => rows.find((r) => r.backend === backend && r.workers === workers && r.where === 'child');
  out.push('## Against the targets');
  out.push('');
  const s1 = find('sqlite', 1000);
  const s10 = find('sqlite', 10000);
  if (s1) {
    const x = summary(s1);
    out.push(`- SQLite, 1,000 workers, ≥ 2,000 tasks/s end to end: **${fmt.int(x.rate)} tasks/s — ${x.rate >= 2000 ? 'met' : 'not met'}** (${fmt.pct(x.rate / 2000)} of the target).`);
    out.push(`- SQLite, 1,000 workers, p99 < 20 ms: **${fmt.ms(x.p99)} ms — ${x.p99 < 20 ? 'met' : 'not met'}** (at ${opts.concurrency} concurrent clients; p50 ${fmt.ms(x.p50)} ms).`);
    if (s10) {
      const y = summary(s10);
      const slower = x.rate / y.rate;
      out.push(`- SQLite, 10,000 workers no more than 1.5 times slower: **${fmt.x(slower)} slower in tasks/s — ${slower <= 1.5 ? 'met' : 'not met'}** (${fmt.int(y.rate)} tasks/s; p99 ${fmt.ms(y.p99)} ms).`);
    }
  }
  for (const w of opts.workers) {
    const p = find('postgres', w);
    if (p) {
      const x = summary(p);
      out.push(`- PostgreSQL, ${w.toLocaleString('en-US')} workers (no target set): ${fmt.int(x.rate)} tasks/s, p50 ${fmt.ms(x.p50)} ms, p99 ${fmt.ms(x.p99)} ms.`);
    }
  }
  out.push('');

  if (diagnoses.length) {
    out.push('## Where the time goes (diagnostic rounds)');
    out.push('');
    out.push(
      `One more round per scenario, on the same server after its measured rounds, with every SQL statement timed and the server's CPU profiled (V8 sampler, 0.5 ms) over exactly that round. The instruments slow the server down, so these rounds are not in the table above. SQLite time is the synchronous statement call on the server's one thread; PostgreSQL time is send to result, during which the thread is free for other requests.`,
    );
    for (const d of diagnoses) {
      out.push('');
      out.push(`### ${d.name}: ${d.tasks.toLocaleString('en-US')} tasks, ${fmt.int(d.round.rate)} tasks/s, p99 ${fmt.ms(d.round.p99)} ms under instruments`);
      out.push('');
      const totalSql = d.sql.reduce((a, s) => a + s.calls, 0);
      const sqlMs = d.sql.reduce((a, s) => a + s.totalMs, 0);
      const wall = d.round.server?.wallMs ?? NaN;
      out.push(
        `${(totalSql / d.tasks).toFixed(1)} SQL calls per task, ${fmt.ms(sqlMs / d.tasks)} ms of SQL per task; server CPU ${fmt.ms((d.round.server?.cpuMs ?? NaN) / d.tasks)} ms per task, its event loop busy ${fmt.pct(d.round.server?.elu ?? NaN)} of ${fmt.ms(wall / 1000)} s.`,
      );
      out.push('');
      out.push('| statement (top 12 by total time) | calls/task | ms/call | ms/task | share of SQL |');
      out.push('| --- | ---: | ---: | ---: | ---: |');
      for (const s of d.sql.slice(0, 12)) {
        const sql = s.sql.replace(/\s+/g, ' ').trim();
        out.push(
          `| \`${(sql.length > 110 ? sql.slice(0, 107) + '...' : sql).replace(/\|/g, '\\|')}\` | ${(s.calls / d.tasks).toFixed(2)} | ${(s.totalMs / s.calls).toFixed(3)} | ${(s.totalMs / d.tasks).toFixed(3)} | ${fmt.pct(s.totalMs / sqlMs)} |`,
        );
      }
      if (d.profile) {
        out.push('');
        out.push('| server CPU by area | share |');
        out.push('| --- | ---: |');
        for (const c of d.profile.categories.slice(0, 12)) out.push(`| ${c.name} | ${fmt.pct(c.share)} |`);
        out.push('');
        out.push('| top functions, self time | share |');
        out.push('| --- | ---: |');
        for (const c of d.profile.selfTop.slice(0, 10)) out.push(`| \`${c.name}\` | ${(c.share * 100).toFixed(1)}% |`);
        out.push('');
        out.push('| src/ functions, inclusive (synchronous part) | share |');
        out.push('| --- | ---: |');
        for (const c of d.profile.inclusiveTop.slice(0, 12)) out.push(`| \`${c.name}\` | ${(c.share * 100).toFixed(1)}% |`);
      }
    }
    out.push('');
  }
  return { table, full: out.join('\n') };
}

// ---------------------------------------------------------------------------------------------

let exitCode = 0;
try {
  pgVersionText = opts.backends.includes('postgres') ? await pgVersion() : null;
  await main();
} catch (err) {
  progress.log(`bench failed: ${(err as Error)?.stack ?? err}`);
  exitCode = 1;
} finally {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
}
process.exit(exitCode);
