import { openDatabase } from '../../src/store/open.ts';
import type { Database } from '../../src/store/database.ts';
import type { Backend } from '../support/server.ts';
import { buildRequest, type Context, type FuzzRequest } from './requests.ts';
import { Random } from './random.ts';
import { rawCase, sendRaw } from './raw.ts';
import { inventory, type FuzzRoute } from './routes.ts';
import { call, Sender, SLOW_MS, type Outcome } from './send.ts';
import { newAccount, Target } from './target.ts';
import { WriteLog } from './writes.ts';
import { World } from './world.ts';

/** Reads (and raw cases) go this many at a time. */
const CONCURRENCY = 12;
const BATCH = 64;
const RAW_PER_BATCH = 2;
/** Writes expected to be refused that go at once. */
const GROUP = 10;
/** Successful writes after which the world is read again from the store. */
const REFRESH_AFTER = 100;
/** Deaths after which a lane stops (each costs a restart): the run fails either way. */
const MAX_DEATHS = 10;
/** SIDs whose deletion takes others with it: the world is read again. */
const CASCADES = new Set(['WS', 'WK', 'WT', 'WQ', 'WW', 'CH', 'KD', 'UO', 'IS']);
const NOW = Date.UTC(2026, 0, 15, 9, 0, 0);

export interface Finding {
  what: 'status' | 'slow' | 'raw' | 'store' | 'health';
  request: string;
  detail: string;
}

/** What a lane saw: counts and findings. */
export interface Tally {
  requests: number;
  raws: number;
  checks: number;
  reseeds: number;
  byStatus: Map<string, number>;
  rawByResult: Map<string, number>;
  findings: Finding[];
  /** Requests the server closed without an answer (not failures: listed to be looked at). */
  unanswered: string[];
  /** "route parameter" pairs given a bad value at least once. */
  broken: Set<string>;
}

export const show = (req: FuzzRequest) =>
  `${req.method} ${req.path.length > 160 ? req.path.slice(0, 160) + `…(${req.path.length})` : req.path} [${req.kinds.join(', ')}] ${JSON.stringify(req.headers).slice(0, 200)}` +
  (req.body ? ` body(${req.body.length}): ${req.body.subarray(0, 200).toString('latin1')}` : '');

const count = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
const refusal = (o: Outcome) => o.status >= 400 || o.status === 0;

/**
 * One server process on a store of its own, and the fuzzer aimed at it. Lanes run side by side:
 * checking that a refusal left the store as it was needs the writes to that store one at a time
 * (or in groups of expected refusals), so a second store is what keeps both cores busy.
 *
 * Per batch: reads and raw cases go several at a time, and the store must not move; then the
 * writes expected to succeed go one at a time, each refusal among them checked; then the writes
 * expected to be refused go in groups: if the store did not move, none of them wrote; if it did
 * (one succeeded, or a refusal wrote), each refusal goes again alone, checked.
 */
export class Lane {
  readonly tally: Tally = { requests: 0, raws: 0, checks: 0, reseeds: 0, byStatus: new Map(), rawByResult: new Map(), findings: [], unanswered: [], broken: new Set() };
  /** Requests (and raw cases, by label) in flight: what a death is reported with. */
  private readonly inFlight = new Set<FuzzRequest | string>();
  private readonly expected = new Expectations();
  private sender: Sender;
  private successes = 0;
  private stale = false;
  private mark = 0;

  private constructor(
    private readonly r: Random,
    private readonly target: Target,
    private readonly db: Database,
    private readonly log: WriteLog,
    readonly world: World,
    readonly routes: FuzzRoute[],
    private readonly lane: { index: number; of: number },
    private readonly dispose: () => Promise<void>,
  ) {
    this.sender = new Sender(target.baseUrl);
    target.inFlight = () => [...this.inFlight].map((q) => (typeof q === 'string' ? q : show(q)));
  }

  static async open(backend: Backend, seed: number, lane: { index: number; of: number }): Promise<Lane> {
    const store = await backend.create();
    const target = new Target(store.config, [newAccount(), newAccount()], NOW);
    let db: Database | undefined;
    try {
      await target.start();
      db = await openDatabase(store.config);
      const log = await WriteLog.install(db);
      const r = new Random(seed);
      const world = new World(target, db, r);
      await world.seed();
      return new Lane(r, target, db, log, world, inventory(target.routes), lane, store.dispose);
    } catch (err) {
      // Nothing of a lane that could not start may outlive the test file.
      await target.stop();
      await db?.close();
      await store.dispose();
      throw err;
    }
  }

  get deaths(): string[] {
    return this.target.deaths;
  }

  /** Runs batches until `enough` says so. */
  async run(enough: () => boolean): Promise<void> {
    const served = this.routes.filter((x) => x.served);
    const unserved = this.routes.filter((x) => !x.served);
    const ctx: Context = { world: this.world, r: this.r, baseUrl: this.target.baseUrl, account: this.world.account, now: NOW, turns: new Map(), lane: this.lane };
    while (!enough() && this.target.deaths.length < MAX_DEATHS) {
      await this.upkeep(ctx);
      const batch: FuzzRequest[] = [];
      // Operations of the spec this server does not serve only need to be a clean 404: a few of them.
      for (let i = 0; i < BATCH; i++) batch.push(await buildRequest(this.r.chance(0.06) ? this.r.pick(unserved) : this.r.pick(served), ctx, (sid) => this.world.rowOf(sid)));
      await this.reads(batch.filter((q) => !q.mutating));
      const writes = batch.filter((q) => q.mutating);
      const succeed = writes.map((q) => this.expected.success(q));
      for (const req of writes.filter((_, i) => succeed[i])) if (!(await this.alone(req))) break;
      const rest = writes.filter((_, i) => !succeed[i]);
      for (let i = 0; i < rest.length && this.target.alive; i += GROUP) await this.group(rest.slice(i, i + GROUP));
    }
  }

  async close(): Promise<void> {
    this.sender.close();
    await this.target.stop();
    await this.db.close();
    await this.dispose();
  }

  /** A dead process is replaced (its death is recorded); the world is read again or seeded again when requests changed it. */
  private async upkeep(ctx: Context): Promise<void> {
    if (!this.target.alive) {
      this.sender.close();
      await this.target.restart();
      this.sender = new Sender(this.target.baseUrl);
      ctx.baseUrl = this.target.baseUrl;
    }
    if (this.stale || this.successes > REFRESH_AFTER) {
      this.successes = 0;
      this.stale = false;
      await this.world.refresh();
    }
    if (this.world.thin().length > 0) {
      await this.world.seed();
      this.tally.reseeds++;
    }
    this.mark = await this.log.mark();
  }

  /** Reads and raw cases, several at a time: none of them may write anything. The process must still answer. */
  private async reads(reads: FuzzRequest[]): Promise<void> {
    const jobs: (() => Promise<unknown>)[] = reads.map((q) => () => this.send(q));
    for (let i = 0; i < RAW_PER_BATCH; i++) jobs.push(() => this.raw());
    await pool(jobs, CONCURRENCY);
    await this.unchanged(`one of ${jobs.length} reads and raw cases`);
    const health = await call(this.target.baseUrl, 'GET', '/health');
    // No answer at all: the process is dying (its death is recorded), or it hangs (a finding).
    if (health.status !== 200 && !(health.status === 0 && (await this.target.exited(2_000))))
      this.tally.findings.push({ what: 'health', request: 'GET /health', detail: `${health.status} ${String(health.body).slice(0, 200)}` });
  }

  /** One write with nothing else in flight: a refusal must leave the store as it was. False when the process is dead. */
  private async alone(req: FuzzRequest): Promise<boolean> {
    const o = await this.send(req);
    if (!o) return false;
    this.learn(req, o);
    if (refusal(o)) await this.unchanged(`${show(req)} → ${o.status} ${o.body.slice(0, 200)}`);
    else this.mark = await this.log.mark();
    return true;
  }

  /** Writes expected to be refused, at once. */
  private async group(group: FuzzRequest[]): Promise<void> {
    const outcomes = await Promise.all(group.map((q) => this.send(q)));
    group.forEach((q, j) => outcomes[j] && this.learn(q, outcomes[j]!));
    const before = this.mark;
    this.tally.checks++;
    this.mark = await this.log.mark();
    if (this.mark === before || !this.target.alive) return;
    const written = (await this.log.since(before)).join('; ');
    const found = this.tally.findings.length;
    for (const [j, req] of group.entries()) if (outcomes[j] && refusal(outcomes[j]!) && !(await this.alone(req))) return;
    if (outcomes.every((o) => o && refusal(o)) && this.tally.findings.length === found)
      this.tally.findings.push({ what: 'store', request: `a group of refusals, none of which wrote when sent again alone:\n      ${group.map(show).join('\n      ')}`, detail: written });
  }

  /** The store must not have moved since the last mark. */
  private async unchanged(request: string): Promise<void> {
    const before = this.mark;
    this.tally.checks++;
    this.mark = await this.log.mark();
    if (this.mark !== before) this.tally.findings.push({ what: 'store', request, detail: (await this.log.since(before)).join('; ') });
  }

  /** Successes change the world: it is read again after a deletion that cascades, and every so many successes. */
  private learn(req: FuzzRequest, o: Outcome): void {
    this.expected.saw(req, o);
    if (o.status < 200 || o.status >= 300) return;
    this.successes++;
    if (req.method !== 'DELETE' || !req.last) return;
    this.world.remove(req.last);
    if (CASCADES.has(req.last.slice(0, 2))) this.stale = true;
  }

  /** Undefined when the process is dead. */
  private async send(req: FuzzRequest): Promise<Outcome | undefined> {
    if (!this.target.alive) return undefined;
    this.inFlight.add(req);
    try {
      const o = await this.sender.send(req);
      const t = this.tally;
      t.requests++;
      for (const name of req.broken) t.broken.add(`${req.route} ${name}`);
      count(t.byStatus, String(o.status));
      if (o.status === 0) t.unanswered.push(`${show(req)} → ${o.body}`);
      if (o.status >= 500) t.findings.push({ what: 'status', request: show(req), detail: `${o.status} ${o.body.slice(0, 400)}` });
      if (o.ms > SLOW_MS) t.findings.push({ what: 'slow', request: show(req), detail: `${Math.round(o.ms)} ms, status ${o.status}` });
      return o;
    } finally {
      this.inFlight.delete(req);
    }
  }

  private async raw(): Promise<void> {
    const c = rawCase(this.r, { chat: this.world.tokens.customerChat, worker: this.world.tokens.worker });
    const label = `${c.kind}: ${JSON.stringify(c.bytes.subarray(0, 160).toString('latin1'))}`;
    this.inFlight.add(label);
    const o = await sendRaw(this.target.port, c, SLOW_MS);
    this.inFlight.delete(label);
    this.tally.raws++;
    count(this.tally.rawByResult, `${c.kind} → ${o.result}`);
    if (o.result === 'timeout' || /^5/.test(o.result)) this.tally.findings.push({ what: 'raw', request: label, detail: `${o.result} after ${Math.round(o.ms)} ms` });
  }
}

/**
 * Which writes are expected to succeed: clean ones, and those broken in a way (whatever the route)
 * that let more than one in twenty through so far. Those go alone; the others go in groups, which
 * pay off only while nearly every member of a group is refused.
 */
class Expectations {
  private readonly seen = new Map<string, { n: number; ok: number }>();
  private key = (req: FuzzRequest) => `${req.method} ${req.kinds.join(',')}`;

  success(req: FuzzRequest): boolean {
    if (req.kinds[0] === 'clean') return true;
    const s = this.seen.get(this.key(req));
    return s !== undefined && s.ok / s.n > 0.05;
  }

  saw(req: FuzzRequest, o: Outcome): void {
    const s = this.seen.get(this.key(req)) ?? { n: 0, ok: 0 };
    s.n++;
    if (o.status >= 200 && o.status < 300) s.ok++;
    this.seen.set(this.key(req), s);
  }
}

/** Runs the jobs, at most `n` at a time. */
async function pool(jobs: (() => Promise<unknown>)[], n: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) await jobs[next++]();
  };
  await Promise.all(Array.from({ length: Math.min(n, jobs.length) }, worker));
}
