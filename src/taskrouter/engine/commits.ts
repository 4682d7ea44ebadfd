import type { Database, Executor, SqlValue } from '../../store/database.ts';

/** What one committed transaction queued for the senders. */
export interface Queued {
  /** Rows in `deliveries`: event callbacks (events.ts). */
  eventCallbacks: boolean;
  /** Rows in `assignment_callbacks` (assignment-callback.ts). */
  assignmentCallbacks: boolean;
}

/** A routing change (or a batch of them) committed on this node. */
export interface Committed {
  /** The workspace whose routing lock the transaction held; null for one no lock covers (creating a workspace). */
  workspaceSid: string | null;
  queued: Queued;
}

/**
 * What the engine publishes on its bus (Engine.bus), only ever after a COMMIT: subscribers never
 * see a change that could still roll back. Changes of other nodes are not published here: each
 * subscriber also polls for them.
 */
export interface EngineEvents {
  committed: Committed;
}

const nothingQueued = (): Queued => ({ eventCallbacks: false, assignmentCallbacks: false });

/**
 * The notes of the transactions under way, by executor. On PostgreSQL each transaction has its own
 * executor; on SQLite every transaction has the connection's one, but they run one at a time.
 */
const open = new WeakMap<Executor, Map<string, Queued>>();

/**
 * Inside a transaction: it queued something to send for this workspace. Only transactions run
 * through `QueuedNotes` keep notes; in any other the note is dropped, and the senders' polling
 * finds the rows instead.
 */
export function noteQueued(tx: Executor, workspaceSid: string, what: keyof Queued): void {
  const notes = open.get(tx);
  if (!notes) return;
  let queued = notes.get(workspaceSid);
  if (!queued) notes.set(workspaceSid, (queued = nothingQueued()));
  queued[what] = true;
}

/**
 * Runs transactions that note what they queue (noteQueued), and keeps what the committed ones
 * noted, per workspace, until the engine takes it to publish. A transaction that rolls back leaves
 * nothing; a change whose savepoint rolls back leaves its note (the senders then find nothing due).
 */
export class QueuedNotes {
  private readonly committed = new Map<string, Queued>();

  constructor(private readonly db: Database) {}

  /** Runs fn in a transaction; once it has committed, answers fn's value and what it queued per workspace. */
  async transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<{ value: T; queued: Map<string, Queued> }> {
    const queued = new Map<string, Queued>();
    const value = await this.db.transaction(async (tx) => {
      open.set(tx, queued);
      try {
        return await fn(tx);
      } finally {
        open.delete(tx);
      }
    });
    return { value, queued };
  }

  /** The database with transactions that keep their notes, for GroupCommit (which then calls take). */
  database(): Database {
    const db = this.db;
    return {
      dialect: db.dialect,
      forUpdate: db.forUpdate,
      seqsCommitInOrder: db.seqsCommitInOrder,
      lock: (tx, key, mode) => db.lock(tx, key, mode),
      all: <T>(sql: string, params?: readonly SqlValue[]) => db.all<T>(sql, params),
      get: <T>(sql: string, params?: readonly SqlValue[]) => db.get<T>(sql, params),
      run: (sql: string, params?: readonly SqlValue[]) => db.run(sql, params),
      close: () => db.close(),
      learnForeignKeys: () => db.learnForeignKeys(),
      transaction: async (fn) => {
        const { value, queued } = await this.transaction(fn);
        for (const [workspaceSid, q] of queued) this.committed.set(workspaceSid, merge(this.committed.get(workspaceSid), q));
        return value;
      },
    };
  }

  /** What the committed transactions of this workspace queued since the last take. */
  take(workspaceSid: string): Queued {
    const queued = this.committed.get(workspaceSid) ?? nothingQueued();
    this.committed.delete(workspaceSid);
    return queued;
  }
}

/** Either one queued it. */
function merge(a: Queued | undefined, b: Queued): Queued {
  return { eventCallbacks: !!a?.eventCallbacks || b.eventCallbacks, assignmentCallbacks: !!a?.assignmentCallbacks || b.assignmentCallbacks };
}
