import type { Clock } from '../../core/clock.ts';
import { parseWorkflowConfiguration, type WorkflowConfiguration } from '../../core/workflow/configuration.ts';
import type { Database, Executor } from '../../store/database.ts';
import type { WorkflowRow, WorkspaceRow } from '../model.ts';
import type { ReservationRow, TaskRow } from '../routing-model.ts';
import type { RoutingState } from './routing-state.ts';

/** What the engine's parts share: the database, the clock, memory and the in-transaction hooks. */
export interface EngineContext {
  db: Database;
  clock: Clock;
  configs: ConfigCache;
  /** What this node keeps in memory of each workspace's routing state (routing-state.ts). */
  state: RoutingState;
  hooks: TransactionHooks;
}

/**
 * Extension points called inside the routing transaction, for what must commit (or roll back)
 * with the change itself; added with Engine.addTransactionHook. What may follow the commit
 * subscribes to the engine's bus instead (commits.ts).
 */
/** What the routing memory knows of a reservation's workflow and worker: hooks need not read them again. */
export interface ReservationContext {
  workflow: WorkflowRow | undefined;
  workerAttributes: string;
}

export interface TransactionHooks {
  /**
   * A reservation was just created (the workflow's assignment callback is queued here), with what
   * the engine's memory already holds of it: the task's workflow and the worker's attributes.
   */
  reservationCreated(tx: Executor, ws: WorkspaceRow, task: TaskRow, reservation: ReservationRow, known: ReservationContext): Promise<void>;
}

/**
 * Serialises routing within a workspace. On PostgreSQL, an advisory lock held until the end of the
 * transaction, so several nodes never reserve the same task or worker twice; SQLite already runs
 * one transaction at a time.
 */
export async function lockWorkspace(db: Database, tx: Executor, workspaceSid: string): Promise<void> {
  await db.lock(tx, workspaceSid);
}

/** Parsed workflow configurations by (workflow, revision): a revision never changes, so caching is safe. */
export class ConfigCache {
  private readonly cache = new Map<string, WorkflowConfiguration>();

  async get(db: Executor, workflowSid: string, revision: number): Promise<WorkflowConfiguration | null> {
    const key = `${workflowSid}:${revision}`;
    let config = this.cache.get(key);
    if (!config) {
      const row = await db.get<{ configuration: string }>(
        'SELECT configuration FROM workflow_revisions WHERE workflow_sid = ? AND revision = ?',
        [workflowSid, revision],
      );
      if (!row) return null;
      config = parseWorkflowConfiguration(row.configuration);
      if (this.cache.size > 1000) this.cache.clear();
      this.cache.set(key, config);
    }
    return config;
  }
}
