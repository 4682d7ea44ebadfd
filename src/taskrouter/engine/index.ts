import type { Clock } from '../../core/clock.ts';
import { notFound } from '../../core/errors.ts';
import type { Database, Executor } from '../../store/database.ts';
import { workspaces, type WorkspaceRow } from '../model.ts';
import { ConfigCache, lockWorkspace, type EngineContext, type EngineHooks } from './context.ts';
import { Lifecycle } from './lifecycle.ts';
import { claimTimer, dueTimers, nextDue } from './timers.ts';

/**
 * The routing engine: the one way to change routing state. Every change runs in a transaction
 * holding its workspace's lock; timers are rows, handled by whichever node claims them first.
 */
export class Engine {
  readonly lifecycle: Lifecycle;
  private readonly ctx: EngineContext;
  private wakeTimer: NodeJS.Timeout | null = null;
  private running = false;
  private ticking: Promise<number> | null = null;
  private readonly listeners: (() => void)[] = [];

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {
    this.ctx = {
      db,
      clock,
      configs: new ConfigCache(),
      afterCommit: () => this.changed(),
      hooks: { reservationCreated: async () => undefined },
    };
    this.lifecycle = new Lifecycle(this.ctx);
  }

  /** Plugs an adapter into the engine (see EngineHooks). */
  setHooks(hooks: Partial<EngineHooks>) {
    Object.assign(this.ctx.hooks, hooks);
  }

  /** Runs fn in a transaction holding the workspace's routing lock. */
  async inWorkspace<T>(accountSid: string, workspaceSid: string, fn: (tx: Executor, ws: WorkspaceRow) => Promise<T>): Promise<T> {
    const result = await this.db.transaction(async (tx) => {
      await lockWorkspace(this.db, tx, workspaceSid);
      const ws = await workspaces.get(tx, workspaceSid, ['account_sid = ?', accountSid]);
      if (!ws) throw notFound(`/v1/Workspaces/${workspaceSid}`);
      return fn(tx, ws);
    });
    this.changed();
    return result;
  }

  /** Something committed: events may wait for delivery, timers may have moved. */
  private changed() {
    for (const l of this.listeners) l();
    if (this.running) this.schedule();
  }

  onChange(listener: () => void) {
    this.listeners.push(listener);
  }

  /** Handles every timer due at the clock's current time. Returns how many fired. */
  tick(): Promise<number> {
    // One pass at a time on this node; others are kept apart by claiming rows.
    this.ticking ??= this.runDue().finally(() => {
      this.ticking = null;
    });
    return this.ticking;
  }

  private async runDue(): Promise<number> {
    let fired = 0;
    for (;;) {
      const due = await dueTimers(this.db, this.clock.now(), 100);
      if (due.length === 0) break;
      let claimed = 0;
      for (const timer of due) {
        const ok = await this.db.transaction(async (tx) => {
          await lockWorkspace(this.db, tx, timer.workspace_sid);
          if (!(await claimTimer(tx, timer))) return false;
          await this.lifecycle.fire(tx, timer);
          return true;
        });
        if (ok) claimed++;
      }
      fired += claimed;
      if (claimed === 0) break;
    }
    if (fired > 0) for (const l of this.listeners) l();
    return fired;
  }

  /** Starts firing timers on their own (with the system clock); tests drive `tick()` instead. */
  start() {
    this.running = true;
    this.schedule();
  }

  stop() {
    this.running = false;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = null;
  }

  private schedule() {
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = setTimeout(async () => {
      try {
        await this.tick();
        const next = await nextDue(this.db);
        // Poll at least every second, so timers set by other nodes fire too.
        const wait = next === null ? 1000 : Math.min(1000, Math.max(0, next - this.clock.now()));
        if (this.running) {
          this.wakeTimer = setTimeout(() => this.schedule(), wait);
        }
      } catch {
        if (this.running) this.wakeTimer = setTimeout(() => this.schedule(), 1000);
      }
    }, 0);
  }
}
