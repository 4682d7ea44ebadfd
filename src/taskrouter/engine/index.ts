import { Bus } from '../../core/bus.ts';
import type { Clock } from '../../core/clock.ts';
import type { Database, Executor } from '../../store/database.ts';
import type { WorkspaceRow } from '../model.ts';
import { QueuedNotes, type Committed, type EngineEvents, type Queued } from './commits.ts';
import { ConfigCache, type EngineContext, type TransactionHooks } from './context.ts';
import { GroupCommit } from './group-commit.ts';
import { Lifecycle } from './lifecycle.ts';
import { RoutingState } from './routing-state.ts';
import { claimTimer, dueTimers, nextDue, postponeTimer, type DueTimer } from './timers.ts';
import { consoleLog, type Log } from '../../ops/logger.ts';

/** The longest the engine goes without looking at the timers, so that timers set by other nodes fire too. */
const POLL_MS = 1000;
/** How soon after a commit on this node it looks again (the commit may have set a sooner timer). */
const AFTER_CHANGE_MS = 25;
/** How long a timer that failed to fire waits before it is tried again. */
const RETRY_FAILED_TIMER_MS = 5000;

/**
 * The routing engine: the one way to change routing state. Every change runs in a transaction
 * holding its workspace's lock; timers are rows, handled by whichever node claims them first.
 */
export class Engine {
  readonly lifecycle: Lifecycle;
  /**
   * What this node's commits tell the rest of the server, after each COMMIT (commits.ts): the
   * senders, the event bridge and Flex's follower subscribe. Publishing waits for the subscribers,
   * and a routing change is answered only after that: what follows a change (Flex's follower) is in
   * place when the REST call that made it returns. Subscribers read what to do from the store, so a
   * failing one loses nothing: it catches up on its next run (their own polling covers other nodes).
   */
  readonly bus = new Bus<EngineEvents>((err, type, event) =>
    this.log.error({ err, type, workspaceSid: (event as Committed).workspaceSid }, 'following a routing change failed; it is retried on the next poll'),
  );
  private readonly ctx: EngineContext;
  private readonly batches: GroupCommit;
  private readonly queued: QueuedNotes;
  private running = false;
  private wake: { timer: NodeJS.Timeout; at: number } | null = null;
  private polling: Promise<void> | null = null;
  private pollAgain = false;
  /** The pass of `tick()` under way, and the one queued after it. */
  private passes: Promise<unknown> = Promise.resolve();
  private nextPass: Promise<number> | null = null;
  /** Where timers and followers that fail are reported (the server gives its logger's child). */
  log: Log = consoleLog;
  /** When the timer loop (start()) last finished a look, by the system clock: readiness checks that it is alive. */
  lastLookAt: number | null = null;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    opts: { verifyRoutingState?: boolean } = {},
  ) {
    this.ctx = {
      db,
      clock,
      configs: new ConfigCache(),
      state: new RoutingState(opts.verifyRoutingState ?? false),
      hooks: { reservationCreated: async () => undefined },
    };
    this.lifecycle = new Lifecycle(this.ctx);
    // Batches run their transactions through QueuedNotes, so that each commit tells what it queued.
    this.queued = new QueuedNotes(db);
    this.batches = new GroupCommit(this.queued.database(), this.ctx.state, (workspaceSid) => this.committed(workspaceSid, this.queued.take(workspaceSid)));
  }

  /** What this node holds in memory of its workspaces' routing state. */
  get state(): RoutingState {
    return this.ctx.state;
  }

  /**
   * Plugs an adapter into an extension point called inside the routing transaction
   * (TransactionHooks): only for what must commit with the change; anything that can follow the
   * commit subscribes to `bus`. Hooks added to the same point all run, in the order added.
   */
  addTransactionHook(point: 'reservationCreated', hook: TransactionHooks['reservationCreated']) {
    const before = this.ctx.hooks[point];
    this.ctx.hooks[point] = async (...args) => {
      await before(...args);
      await hook(...args);
    };
  }

  /**
   * Runs fn in a transaction holding the workspace's routing lock, with the workspace's routing
   * state in memory (ctx.state) caught up with the store. Changes waiting for the same workspace
   * share one transaction and one commit (group-commit.ts); each is answered after that commit and
   * after the bus's subscribers to it have run.
   */
  inWorkspace<T>(accountSid: string, workspaceSid: string, fn: (tx: Executor, ws: WorkspaceRow) => Promise<T>): Promise<T> {
    return this.batches.run(workspaceSid, accountSid, fn);
  }

  /**
   * A change no workspace lock can cover (creating a workspace, which nothing else can see yet): a
   * transaction whose commit, like a locked one's, is published (with no workspace).
   */
  async unlocked<T>(fn: (tx: Executor) => Promise<T>): Promise<T> {
    const { value, queued } = await this.queued.transaction(fn);
    await this.committed(null, {
      eventCallbacks: [...queued.values()].some((q) => q.eventCallbacks),
      assignmentCallbacks: [...queued.values()].some((q) => q.assignmentCallbacks),
    });
    return value;
  }

  /** Something committed on this node: timers may have moved, and the subscribers hear of it. */
  private committed(workspaceSid: string | null, queued: Queued): Promise<void> {
    this.plan(AFTER_CHANGE_MS);
    return this.bus.publish('committed', { workspaceSid, queued });
  }

  /**
   * Handles every timer due at the clock's current time. Returns how many fired. Passes never
   * overlap on a node; asked for while one is under way (which may have looked at the timers
   * before the caller moved the clock or set a timer), it runs a fresh pass after it, shared by
   * everyone who asked meanwhile. Other nodes are kept apart by claiming rows.
   */
  tick(): Promise<number> {
    if (this.nextPass) return this.nextPass;
    const pass = this.passes.then(() => {
      this.nextPass = null;
      return this.runDue();
    });
    this.nextPass = pass;
    this.passes = pass.catch(() => undefined);
    return pass;
  }

  private async runDue(): Promise<number> {
    let fired = 0;
    for (;;) {
      const due = await dueTimers(this.db, this.clock.now(), 100);
      if (due.length === 0) break;
      // Due timers go together: those of one workspace share a transaction (each in its savepoint).
      const results = await Promise.all(due.map((timer) => this.fireOne(timer)));
      const claimed = results.filter(Boolean).length;
      fired += claimed;
      // Nothing claimed: other nodes are on these (or they failed and were put off).
      if (claimed === 0) break;
    }
    // Each batch that fired a timer has published its commit already.
    return fired;
  }

  private async fireOne(timer: DueTimer): Promise<boolean> {
    try {
      return await this.batches.run(timer.workspace_sid, null, async (tx) => {
        if (!(await claimTimer(tx, timer))) return false;
        await this.lifecycle.fire(tx, timer);
        return true;
      });
    } catch (err) {
      // One timer that cannot fire (a bug, a lost connection) must not stop every timer after it,
      // on every node: it is put off and tried again later; the others go on.
      this.log.error({ err, kind: timer.kind, refSid: timer.ref_sid, retryInMs: RETRY_FAILED_TIMER_MS }, 'a timer failed to fire; it is tried again later');
      await this.batches
        .run(timer.workspace_sid, null, (tx) => postponeTimer(tx, timer, this.clock.now() + RETRY_FAILED_TIMER_MS))
        .catch(() => undefined);
      return false;
    }
  }

  /** Starts firing timers on their own (with the system clock); tests drive `tick()` instead. */
  start() {
    this.running = true;
    this.plan(0);
  }

  /** Stops firing timers; resolves once a look under way has finished. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.wake) clearTimeout(this.wake.timer);
    this.wake = null;
    await this.polling;
  }

  /** Looks at the timers in `delayMs`, unless a look is already planned sooner. */
  private plan(delayMs: number) {
    if (!this.running) return;
    const at = Date.now() + delayMs;
    if (this.wake && this.wake.at <= at) return;
    if (this.wake) clearTimeout(this.wake.timer);
    const timer = setTimeout(() => {
      this.wake = null;
      this.poll();
    }, delayMs);
    timer.unref();
    this.wake = { timer, at };
  }

  /** One look: fire what is due, then plan the next look for the next due timer (at most POLL_MS away). */
  private poll() {
    if (this.polling) {
      this.pollAgain = true;
      return;
    }
    this.pollAgain = false;
    this.polling = (async () => {
      let delay = POLL_MS;
      try {
        await this.tick();
        const next = await nextDue(this.db);
        if (next !== null) delay = Math.min(POLL_MS, Math.max(0, next - this.clock.now()));
      } catch {
        // The database is unreachable for now: the next look tries again.
      }
      this.polling = null;
      this.lastLookAt = Date.now();
      this.plan(this.pollAgain ? 0 : delay);
    })();
  }
}
