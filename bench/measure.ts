import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { runLoad, type LoadResult, type RequestSpec } from './load.ts';
import { loadAverage, machineCpu } from './machine.ts';
import type { Options } from './options.ts';
import { summariseProfile, type ProfileSummary } from './profile.ts';
import { Progress } from './progress.ts';
import type { RunningServer, ServerSample } from './servers.ts';
import type { SqlStat } from './sql-timing.ts';
import type { StoreCheck } from './store-check.ts';
import { percentile, sortNumbers } from './stats.ts';

/**
 * Rounds and rows: what every scenario measures the same way. A round is one bounded load phase
 * (requests and seconds) with the server's CPU, event loop and memory read around it and the
 * machine's CPU beside it; a row is a scenario's rounds, summarised as medians in the report.
 */

export interface Round {
  /** Counted outcomes (`good`) per second of the round, first send to last answer. */
  rate: number;
  /** Latency of the counted outcomes (nearest-rank percentiles). */
  p50: number;
  p99: number;
  good: number;
  pending: number;
  errors: number;
  elapsedMs: number;
  clientElu: number;
  server: ServerSample | null;
  /** Share of all the machine's CPU time that was busy during the round (from /proc/stat). */
  machineBusy: number;
  /** Share of all the machine's CPU time used by this bench (load generator + server processes). */
  benchBusy: number;
  /** 1-minute load average at the end of the round. */
  loadAvg: number;
}

export type RowBackend = 'baseline' | 'sqlite' | 'postgres' | 'prism';

export interface Row {
  /** Stable key the targets table looks rows up by ('sqlite-1000', 'large-drain', 'prism'...). */
  key: string;
  name: string;
  backend: RowBackend;
  /** What the rate counts: 'tasks', 'requests', 'reservations', 'interactions', 'lives'. */
  unit: string;
  workers: number | null;
  where: 'child' | 'in-process';
  rounds: Round[];
  setupMs?: number;
  /** How the setup went, phase by phase. */
  setupNote?: string;
  errorSamples: string[];
  /** The store read by the bench after the run. */
  check?: StoreCheck;
  /** Why a row has no rounds (Prism not installed...). */
  skipped?: string;
}

export interface Diagnosis {
  name: string;
  tasks: number;
  round: Round;
  sql: SqlStat[];
  profile: ProfileSummary | null;
}

export type Classify = (status: number, body: string, i: number) => string;

/** Several servers' samples as one: CPU and memory summed, loop busy averaged. */
export function mergeSamples(samples: (ServerSample | null)[]): ServerSample | null {
  const s = samples.filter((x): x is ServerSample => x !== null);
  if (s.length === 0) return null;
  if (s.length === 1) return s[0];
  return {
    wallMs: Math.max(...s.map((x) => x.wallMs)),
    elu: s.reduce((a, x) => a + x.elu, 0) / s.length,
    cpuMs: s.reduce((a, x) => a + x.cpuMs, 0),
    rssMb: s.reduce((a, x) => a + x.rssMb, 0),
    maxRssMb: s.reduce((a, x) => a + x.maxRssMb, 0),
    heapMb: s.reduce((a, x) => a + x.heapMb, 0),
    sql: s.flatMap((x) => x.sql),
  };
}

export class Bench {
  readonly progress = new Progress();
  readonly started = performance.now();
  readonly startedAt = new Date();
  readonly notes: string[] = [];
  readonly cleanups: (() => Promise<void>)[] = [];

  constructor(readonly opts: Options) {}

  /** Set on SIGINT / SIGTERM: nothing more starts. */
  interrupted = false;

  checkDeadline() {
    if (this.interrupted) throw new Error('interrupted');
    if (performance.now() - this.started > this.opts.deadlineMs) throw new Error(`bench ran past its limit of ${this.opts.deadlineMs / 60_000} minutes`);
  }

  /** Runs every cleanup, the latest first, including any registered meanwhile. */
  async cleanUp() {
    for (let done = 0; done < this.cleanups.length; ) {
      const batch = this.cleanups.slice(done).reverse();
      done = this.cleanups.length;
      for (const c of batch) await c().catch(() => undefined);
    }
  }

  /** What is left of the run's time limit (ms): the bound of any phase that has no other. */
  remainingMs() {
    return Math.max(1000, this.opts.deadlineMs - (performance.now() - this.started));
  }

  /** One load phase with the progress bar: `count` requests or `maxMs`, whichever ends first. */
  async load(o: { port: number; label: string; count: number; maxMs: number; request(i: number): RequestSpec; classify: Classify; concurrency?: number }) {
    this.progress.start(o.label, o.count);
    const result = await runLoad({
      port: o.port,
      concurrency: o.concurrency ?? this.opts.concurrency,
      count: o.count,
      maxMs: Math.min(o.maxMs, this.remainingMs()),
      request: o.request,
      classify: o.classify,
      onResponse: (n) => this.progress.set(n),
    });
    this.progress.end(outcomeNote(result));
    return result;
  }

  /**
   * One measured round on `servers`: marks them, runs `phase`, reads them back. `phase` returns
   * the load's result and which outcome counts; `counted` may replace the rate and the count (a
   * drain counts reservations in the store, not responses).
   */
  async round(
    servers: RunningServer[],
    phase: () => Promise<{ result: LoadResult; good: string; counted?: { n: number; ms: number } }>,
    diagnose?: { profileFile: string },
  ): Promise<Round> {
    this.checkDeadline();
    for (const s of servers) await s.mark(diagnose);
    const elu0 = performance.eventLoopUtilization();
    const cpu0 = process.cpuUsage();
    const m0 = machineCpu();
    const { result, good, counted } = await phase();
    const clientElu = performance.eventLoopUtilization(elu0).utilization;
    const m1 = machineCpu();
    const cpu1 = process.cpuUsage(cpu0);
    const sample = mergeSamples(await Promise.all(servers.map((s) => s.read())));
    const benchMs = (cpu1.user + cpu1.system) / 1000 + (sample?.cpuMs ?? 0);
    const lat = sortNumbers(result.latencies[good] ?? []);
    const n = counted?.n ?? result.outcomes[good] ?? 0;
    return {
      rate: (n / (counted?.ms ?? result.elapsedMs)) * 1000,
      p50: percentile(lat, 50),
      p99: percentile(lat, 99),
      good: n,
      pending: result.outcomes.pending ?? 0,
      errors: result.outcomes.error ?? 0,
      elapsedMs: result.elapsedMs,
      clientElu,
      server: sample,
      machineBusy: m0 && m1 ? (m1.busy - m0.busy) / (m1.total - m0.total) : NaN,
      benchBusy: benchMs / (result.elapsedMs * cpus().length),
      loadAvg: loadAverage(),
    };
  }

  /**
   * Warm-up, then the measured rounds of one request kind on `servers`; then, when `diagnose`
   * names a profile file, one more round with the server's SQL timed and CPU profiled (not
   * counted in the figures). Request i of the whole sequence is `request(i)`: every round goes on
   * where the last one stopped.
   */
  async measure(
    servers: RunningServer[],
    label: string,
    request: (i: number) => RequestSpec,
    o: { classify: Classify; good: string; scale?: number; diagnose?: { name: string; profileFile: string } },
  ): Promise<{ rounds: Round[]; errorSamples: string[]; diagnosis?: Diagnosis }> {
    const scale = o.scale ?? 1;
    const port = servers[0].port;
    let offset = 0;
    const phase = async (title: string, count: number, maxMs: number) => {
      const start = offset;
      const result = await this.load({ port, label: `${label} ${title}`, count, maxMs, request: (i) => request(start + i), classify: o.classify });
      offset += result.completed;
      return result;
    };
    const warm = await phase('warm-up', this.opts.warmup * scale, this.opts.warmupMs);
    const errorSamples = [...warm.errorSamples];
    const rounds: Round[] = [];
    for (let r = 1; r <= this.opts.rounds; r++) {
      rounds.push(
        await this.round(servers, async () => {
          const result = await phase(`round ${r}/${this.opts.rounds}`, this.opts.count * scale, this.opts.roundMs);
          errorSamples.push(...result.errorSamples);
          return { result, good: o.good };
        }),
      );
    }
    let diagnosis: Diagnosis | undefined;
    if (o.diagnose && servers.length === 1 && servers[0].where === 'child') {
      diagnosis = await this.diagnosticRound(servers, o.diagnose, async () => ({
        result: await phase('diagnostic round', this.opts.diagCount, this.opts.diagMs),
        good: o.good,
      }));
    }
    return { rounds, errorSamples: errorSamples.slice(0, 5), diagnosis };
  }

  /** One more round, not counted, with the server's SQL timed and its CPU profiled into `profileFile`. */
  async diagnosticRound(
    servers: RunningServer[],
    o: { name: string; profileFile: string },
    phase: () => Promise<{ result: LoadResult; good: string; counted?: { n: number; ms: number } }>,
  ): Promise<Diagnosis> {
    const d = await this.round(servers, phase, { profileFile: o.profileFile });
    return {
      name: o.name,
      tasks: d.good + d.pending,
      round: d,
      sql: d.server?.sql ?? [],
      profile: existsSync(o.profileFile) ? summariseProfile(o.profileFile) : null,
    };
  }
}

export function outcomeNote(r: LoadResult) {
  return `(${Object.entries(r.outcomes)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')})`;
}
