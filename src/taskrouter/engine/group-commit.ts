import { notFound } from '../../core/errors.ts';
import { isDeferredWriteFailure, type Database, type Executor } from '../../store/database.ts';
import { workspaces, type WorkspaceRow } from '../model.ts';
import { lockWorkspace } from './context.ts';
import type { Fence, RoutingState } from './routing-state.ts';

/** A routing change waiting its turn: run under the workspace lock, answered after the commit. */
interface Change {
  /** The account the caller acts for (null: the engine's own work, such as timers). */
  accountSid: string | null;
  fn: (tx: Executor, ws: WorkspaceRow) => Promise<unknown>;
  resolve(value: unknown): void;
  reject(err: unknown): void;
  /** Runs in a transaction of its own (its batch failed as a whole, see RunAlone). */
  alone?: boolean;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** The most changes one transaction carries; more wait for the next. */
const MAX_BATCH = 100;

/** An item's own failure, told apart from a failure of the transaction around it. */
class ChangeFailed {
  constructor(readonly error: unknown) {}
}

/** A failure that cannot be pinned on one change, or undone alone: each change runs again in a transaction of its own. */
class RunAlone {
  constructor(readonly error: unknown) {}
}

/**
 * Group commit: the routing changes waiting for the same workspace run in one transaction, under
 * one lock, and are answered after the one COMMIT; one failing is dropped alone (see commit). A
 * change arriving while a batch runs joins the next one; a batch starts on the next turn of the
 * event loop, so requests that arrived together go together.
 *
 * The next batch opens its transaction (BEGIN, the lock, the fence's read) while the one before
 * commits: the store makes its lock wait for that COMMIT, so its round trip overlaps the commit's
 * instead of following it. It decides nothing until the batch before has settled memory
 * (committed, or forgotten it on failure).
 */
export class GroupCommit {
  private readonly waiting = new Map<string, Change[]>();
  private readonly busy = new Set<string>();

  constructor(
    private readonly db: Database,
    private readonly state: RoutingState,
    /** Runs after each committed batch, before its callers hear back. */
    private readonly afterCommit: (workspaceSid: string) => Promise<void>,
  ) {}

  run<T>(workspaceSid: string, accountSid: string | null, fn: (tx: Executor, ws: WorkspaceRow) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.enqueue(workspaceSid, [{ accountSid, fn, resolve: resolve as (v: unknown) => void, reject }], false);
    });
  }

  /** Adds changes to the workspace's queue (`first`: ahead of those waiting) and starts draining it. */
  private enqueue(workspaceSid: string, changes: Change[], first: boolean) {
    let list = this.waiting.get(workspaceSid);
    if (!list) this.waiting.set(workspaceSid, (list = []));
    if (first) list.unshift(...changes);
    else list.push(...changes);
    if (!this.busy.has(workspaceSid)) {
      this.busy.add(workspaceSid);
      setImmediate(() => void this.drain(workspaceSid));
    }
  }

  private async drain(workspaceSid: string) {
    let settled: Promise<void> = Promise.resolve();
    for (;;) {
      const list = this.waiting.get(workspaceSid);
      if (!list || list.length === 0) {
        // The batch still committing may hand changes back (RunAlone): look again once it settles.
        await settled;
        if (this.waiting.get(workspaceSid)?.length) continue;
        break;
      }
      const batch = list[0].alone ? list.splice(0, 1) : takeBatch(list);
      if (list.length === 0) this.waiting.delete(workspaceSid);
      let committing!: () => void;
      const opening = new Promise<void>((resolve) => (committing = resolve));
      settled = this.commit(workspaceSid, batch, settled, committing);
      // The next batch starts as soon as this one sends its COMMIT (or is done).
      await Promise.race([opening, settled]);
    }
    this.busy.delete(workspaceSid);
  }

  /**
   * Runs a batch once the one before has settled memory (`before`); `committing` is called when
   * only its COMMIT is left. Settles when its outcome is known; answers its callers after that.
   */
  private async commit(workspaceSid: string, batch: Change[], before: Promise<void>, committing: () => void) {
    const outcomes: Outcome[] = [];
    let fence: Fence | undefined;
    try {
      await this.db.transaction(async (tx) => {
        outcomes.length = 0;
        await lockWorkspace(this.db, tx, workspaceSid);
        const opened = await this.state.open(tx, workspaceSid);
        await before;
        fence = opened.fence;
        let ws = opened.workspace;
        const alone = batch.length === 1;
        for (const change of batch) {
          if (!ws || (change.accountSid !== null && ws.account_sid !== change.accountSid)) {
            outcomes.push({ ok: false, error: notFound(`/v1/Workspaces/${workspaceSid}`) });
            continue;
          }
          await fence.ready(tx);
          const mark = fence.mark();
          // No savepoint: a change's writes wait (deferred) with the others', so that the batch's rows
          // reach each table together, and a change that fails before any of its writes was sent is
          // just dropped. One that fails after (it read, which sends what waits) has nothing to roll
          // back to: the batch runs again a change at a time.
          const writes = tx.mark?.();
          try {
            outcomes.push({ ok: true, value: await change.fn(tx, ws) });
          } catch (error) {
            fence.undo(mark);
            if (alone) throw new ChangeFailed(error);
            // Deferred writes that failed may be an earlier change's: the batch is done again a change at a time.
            if (isDeferredWriteFailure(error) || !tx.discard?.(writes)) throw new RunAlone(error);
            outcomes.push({ ok: false, error });
          }
          // A change to the workspace's own settings (or its deletion) reloads memory whole: read it again too.
          if (fence.replaced()) ws = await workspaces.get(tx, workspaceSid);
        }
        // Nothing changed (every change refused): nothing to fence either.
        if (ws && outcomes.some((o) => o.ok)) await fence.close(tx);
        committing();
      });
    } catch (err) {
      committing();
      if (err instanceof ChangeFailed) {
        // The one change failed and rolled back whole: memory was rolled back with it.
        batch[0].reject(err.error);
        return;
      }
      fence?.failed();
      if (batch.length > 1 && (err instanceof RunAlone || isDeferredWriteFailure(err))) {
        // After the batch that may already be waiting for the lock: it cannot go before, it holds the lock.
        this.enqueue(workspaceSid, batch.map((change) => ({ ...change, alone: true })), true);
        return;
      }
      for (const change of batch) change.reject(err);
      return;
    }
    fence?.committed();
    // The workspace is free for the next batch already: what follows a commit may itself route (a
    // follower changing the same workspace), and must not wait for the batch that woke it.
    void this.answer(workspaceSid, batch, outcomes);
  }

  private async answer(workspaceSid: string, batch: Change[], outcomes: Outcome[]) {
    // What follows a commit catches its own failures (they are retried on its next run).
    await this.afterCommit(workspaceSid).catch(() => undefined);
    batch.forEach((change, i) => {
      const o = outcomes[i];
      if (o.ok) change.resolve(o.value);
      else change.reject(o.error);
    });
  }
}

/** The changes at the head of the queue up to MAX_BATCH, stopping before one that runs alone. */
function takeBatch(list: Change[]): Change[] {
  let n = 0;
  while (n < list.length && n < MAX_BATCH && !list[n].alone) n++;
  return list.splice(0, n);
}
