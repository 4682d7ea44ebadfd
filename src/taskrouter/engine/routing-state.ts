import { WorkerPool, type PoolRows } from '../../core/routing/worker-pool.ts';
import { later, readTogether, type Executor } from '../../store/database.ts';
import { taskChannels, taskQueues, workflows, workspaces, type TaskChannelRow, type TaskQueueRow, type WorkflowRow, type WorkspaceRow } from '../model.ts';
import { parseAttributes } from '../attributes.ts';

/**
 * What a node keeps in memory of a workspace to route without re-reading it: its workers' routing
 * state (WorkerPool) and its configuration. The store stays the truth: every routing commit moves
 * the workspace's routing version, in the same transaction, and a node whose memory carries an
 * older version (another node committed since) reloads it under the workspace lock before deciding.
 */
export interface WorkspaceMemory {
  version: number;
  pool: WorkerPool;
  queues: Map<string, TaskQueueRow>;
  workflows: Map<string, WorkflowRow>;
  taskChannels: Map<string, TaskChannelRow>;
}

export class RoutingState {
  private readonly memory = new Map<string, WorkspaceMemory>();

  /** `verify`: after every change, compare memory with a fresh load and refuse to commit a difference (tests). */
  constructor(readonly verify = false) {}

  /**
   * Opens a routing change on a workspace, under its lock: the version the store holds now (the
   * fence, which brings memory up to it), and the workspace's row (undefined: it is gone).
   */
  async open(tx: Executor, workspaceSid: string): Promise<{ fence: Fence; workspace: WorkspaceRow | undefined }> {
    // The version, the workspace and, for memory held at an older version, what changed since: one
    // read (on PostgreSQL, one round trip with the BEGIN and the lock). A row per change, if any.
    const since = this.memory.get(workspaceSid)?.version;
    const rows = await tx.all<Record<string, unknown>>(
      'SELECT v.version AS routing_version, c.version AS change_version, c.workers AS change_workers, c.config AS change_config, w.* ' +
        'FROM (SELECT ? AS sid) k LEFT JOIN routing_versions v ON v.workspace_sid = k.sid LEFT JOIN workspaces w ON w.sid = k.sid ' +
        'LEFT JOIN routing_changes c ON c.workspace_sid = k.sid AND c.version > ?',
      [workspaceSid, since ?? Number.MAX_SAFE_INTEGER],
    );
    const { routing_version: version, change_version: _v, change_workers: _w, change_config: _c, ...workspace } = rows[0] ?? {};
    const changes: Changes | undefined =
      since === undefined
        ? undefined
        : {
            since,
            rows: rows
              .filter((r) => r.change_version != null)
              .map((r) => ({ version: Number(r.change_version), workers: String(r.change_workers), config: r.change_config as number | boolean })),
          };
    const fence = new Fence(this, workspaceSid, Number(version ?? 0), changes);
    return { fence, workspace: workspace.sid == null ? undefined : workspaces.decode(workspace) };
  }

  /** The memory of a workspace whose routing change is under way on this node. */
  of(workspaceSid: string): WorkspaceMemory {
    const m = this.memory.get(workspaceSid);
    if (!m) throw new Error(`routing state of ${workspaceSid} used outside a routing change`);
    return m;
  }

  /** Memory of this workspace at whatever version, for catching up. */
  behind(workspaceSid: string, version: number): WorkspaceMemory | undefined {
    const m = this.memory.get(workspaceSid);
    return m && m.version < version ? m : undefined;
  }

  /** Memory of this workspace, if held and current. */
  held(workspaceSid: string, version: number): WorkspaceMemory | undefined {
    const m = this.memory.get(workspaceSid);
    return m && m.version === version ? m : undefined;
  }

  set(workspaceSid: string, m: WorkspaceMemory) {
    this.memory.set(workspaceSid, m);
  }

  /** Forgets a workspace: it is loaded again before the next decision. */
  invalidate(workspaceSid: string) {
    this.memory.delete(workspaceSid);
  }

  /*
   * A service that changes what memory holds other than through the engine's routing writes
   * (configuration, membership, a worker's attributes or channels) calls one of these inside its
   * transaction, after its writes: memory reads the change back from the transaction. Tests run with
   * `verify`, which refuses to commit memory that differs from the store, so a missing call shows.
   */

  /** A worker was created, changed (name, attributes, channels, queues) or deleted. */
  async refreshWorker(tx: Executor, workspaceSid: string, workerSid: string): Promise<void> {
    const m = this.memory.get(workspaceSid);
    if (!m) return;
    const rows = await loadRows(tx, workspaceSid, workerSid);
    const [worker] = rows.workers;
    m.pool.putWorker(
      workerSid,
      worker ? { worker, channels: rows.channels, queues: rows.members.map((r) => r.queueSid) } : null,
    );
  }

  /** A queue was created, changed or deleted (its members with it). */
  async refreshQueue(tx: Executor, workspaceSid: string, queueSid: string): Promise<void> {
    const m = this.memory.get(workspaceSid);
    if (!m) return;
    const queue = await taskQueues.get(tx, queueSid, ['workspace_sid = ?', workspaceSid]);
    const members = queue ? await tx.all<{ worker_sid: string }>('SELECT worker_sid FROM queue_members WHERE queue_sid = ?', [queueSid]) : [];
    putEntry(m, m.queues, queueSid, queue);
    m.pool.setMembers(queueSid, members.map((r) => r.worker_sid));
  }

  /** A workflow was created, changed or deleted. */
  async refreshWorkflow(tx: Executor, workspaceSid: string, workflowSid: string): Promise<void> {
    const m = this.memory.get(workspaceSid);
    if (!m) return;
    putEntry(m, m.workflows, workflowSid, await workflows.get(tx, workflowSid, ['workspace_sid = ?', workspaceSid]));
  }

  /** An activity was created, changed or deleted. */
  async refreshActivity(tx: Executor, workspaceSid: string, activitySid: string): Promise<void> {
    const m = this.memory.get(workspaceSid);
    if (!m) return;
    const a = await tx.get<{ sid: string; friendly_name: string; available: number | boolean }>(
      'SELECT sid, friendly_name, available FROM activities WHERE sid = ? AND workspace_sid = ?',
      [activitySid, workspaceSid],
    );
    m.pool.putActivity(activitySid, a ? { sid: a.sid, friendlyName: a.friendly_name, available: Boolean(Number(a.available)) } : null);
  }

  /** Anything wider (a task channel, which every worker has; the workspace's own settings): all of it again. */
  async reload(tx: Executor, workspaceSid: string): Promise<void> {
    const m = this.memory.get(workspaceSid);
    if (!m) return;
    this.memory.set(workspaceSid, await loadMemory(tx, workspaceSid, m.version));
  }

  /** The memory object held for a workspace (a full reload replaces it). */
  peek(workspaceSid: string): WorkspaceMemory | undefined {
    return this.memory.get(workspaceSid);
  }
}

/** Sets (or with undefined, removes) one configuration entry, undone with the pool's journal. */
function putEntry<T>(m: WorkspaceMemory, map: Map<string, T>, key: string, value: T | undefined) {
  const previous = map.get(key);
  const apply = (v: T | undefined) => (v === undefined ? map.delete(key) : map.set(key, v));
  apply(value);
  m.pool.record(() => apply(previous));
}

/** A workspace's routing changes after version `since`, read with the fence. */
interface Changes {
  since: number;
  rows: ChangeRow[];
}

interface ChangeRow {
  version: number;
  workers: string;
  config: number | boolean;
}

/** One routing transaction's view of the memory: loads it when missing, moves the version at the end. */
export class Fence {
  constructor(
    private readonly state: RoutingState,
    readonly workspaceSid: string,
    private readonly version: number,
    /** What changed since the version memory held when the fence was read (catching up needs it). */
    private readonly changes?: Changes,
  ) {}

  /** The memory the change under way started from (see replaced). */
  private current: WorkspaceMemory | undefined;

  /** Makes sure memory is there and current: held, caught up from routing_changes, or loaded from this transaction's view. */
  async ready(tx: Executor): Promise<WorkspaceMemory> {
    let m = this.state.held(this.workspaceSid, this.version);
    if (!m) {
      const old = this.state.behind(this.workspaceSid, this.version);
      const read = old && this.changes?.since === old.version ? this.changes.rows : undefined;
      m = (old && (await catchUp(tx, this.workspaceSid, old, this.version, read))) || (await loadMemory(tx, this.workspaceSid, this.version));
      this.state.set(this.workspaceSid, m);
    }
    this.current = m;
    return m;
  }

  /** Whether the change since `ready` replaced memory whole (reload): its journal cannot undo that. */
  replaced(): boolean {
    return this.state.peek(this.workspaceSid) !== this.current;
  }

  mark(): number {
    return this.state.held(this.workspaceSid, this.version)?.pool.mark() ?? 0;
  }

  /** A change rolled back to its savepoint: memory goes back too (or, replaced, is forgotten). */
  undo(mark: number) {
    if (this.replaced()) this.state.invalidate(this.workspaceSid);
    else this.state.held(this.workspaceSid, this.version)?.pool.undo(mark);
  }

  /** Moves the store's version (inside the transaction); in verify mode, checks memory against the store first. */
  async close(tx: Executor): Promise<void> {
    const held = this.state.held(this.workspaceSid, this.version);
    if (held && this.state.verify) {
      const fresh = await loadMemory(tx, this.workspaceSid, this.version);
      const a = describe(held);
      const b = describe(fresh);
      if (a !== b) {
        this.state.invalidate(this.workspaceSid);
        let at = 0;
        while (a[at] === b[at]) at++;
        const near = (t: string) => t.slice(Math.max(0, at - 150), at + 150);
        throw new Error(`routing memory of ${this.workspaceSid} differs from the store at ${at}:\nmemory …${near(a)}…\nstore  …${near(b)}…`);
      }
    }
    const next = this.version + 1;
    await later(
      tx,
      'INSERT INTO routing_versions (workspace_sid, version) VALUES (?, ?) ON CONFLICT (workspace_sid) DO UPDATE SET version = excluded.version',
      [this.workspaceSid, next],
    );
    // What this version changed, for nodes that catch up instead of reloading (memory dropped: "everything").
    const pool = held?.pool;
    const everything = !pool || pool.configChanged || this.replaced();
    await later(tx, 'INSERT INTO routing_changes (workspace_sid, version, workers, config) VALUES (?, ?, ?, ?)', [
      this.workspaceSid,
      next,
      everything ? '[]' : JSON.stringify([...pool.touched]),
      everything ? 1 : 0,
    ]);
    if (next % CHANGES_KEPT === 0)
      await later(tx, 'DELETE FROM routing_changes WHERE workspace_sid = ? AND version <= ?', [this.workspaceSid, next - CHANGES_KEPT]);
  }

  /** The transaction committed: memory now stands for the version it wrote. */
  committed() {
    const held = this.state.held(this.workspaceSid, this.version);
    if (!held) return;
    held.version = this.version + 1;
    held.pool.settle();
  }

  /** The transaction rolled back whole: memory may hold changes the store does not. */
  failed() {
    this.state.invalidate(this.workspaceSid);
  }
}

/** How many versions of changes are kept for nodes catching up; one further behind reloads. */
const CHANGES_KEPT = 500;

/**
 * Brings memory held at an older version up to `version` by reading again only the workers the
 * versions in between changed; null when that cannot be done (a configuration change among them,
 * or versions no longer recorded): the caller reloads everything.
 */
async function catchUp(tx: Executor, workspaceSid: string, m: WorkspaceMemory, version: number, read?: ChangeRow[]): Promise<WorkspaceMemory | null> {
  const rows = read
    ? read.filter((r) => r.version <= version)
    : await tx.all<ChangeRow>('SELECT version, workers, config FROM routing_changes WHERE workspace_sid = ? AND version > ? AND version <= ?', [
        workspaceSid,
        m.version,
        version,
      ]);
  if (rows.length !== version - m.version || rows.some((r) => Number(r.config))) return null;
  const sids = new Set<string>();
  for (const r of rows) for (const sid of JSON.parse(r.workers) as string[]) sids.add(sid);
  const all = [...sids];
  for (let i = 0; i < all.length; i += 500) {
    const chunk = all.slice(i, i + 500);
    const loaded = await loadRows(tx, workspaceSid, chunk);
    for (const sid of chunk) {
      const worker = loaded.workers.find((w) => w.sid === sid);
      m.pool.putWorker(sid, worker ? {
        worker,
        channels: loaded.channels.filter((c) => c.workerSid === sid),
        queues: loaded.members.filter((x) => x.workerSid === sid).map((x) => x.queueSid),
      } : null);
    }
  }
  // Caught up: none of that is this transaction's to undo or to report.
  m.pool.settle();
  m.version = version;
  return m;
}

function describe(m: WorkspaceMemory): string {
  const byKey = <T>(map: Map<string, T>) => [...map.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  return JSON.stringify({ pool: m.pool.snapshot(), queues: byKey(m.queues), workflows: byKey(m.workflows), channels: byKey(m.taskChannels) });
}

/** Reads a workspace's routing state and configuration: a handful of statements, once per reload. */
export async function loadMemory(tx: Executor, workspaceSid: string, version: number): Promise<WorkspaceMemory> {
  // One after another: a PostgreSQL transaction is one connection, which runs one query at a time.
  const rows = await loadRows(tx, workspaceSid);
  const queues = await taskQueues.list(tx, { where: [['workspace_sid = ?', workspaceSid]] });
  const flows = await workflows.list(tx, { where: [['workspace_sid = ?', workspaceSid]] });
  const channels = await taskChannels.list(tx, { where: [['workspace_sid = ?', workspaceSid]] });
  return {
    version,
    pool: new WorkerPool(rows),
    queues: new Map(queues.map((q) => [q.sid, q])),
    workflows: new Map(flows.map((w) => [w.sid, w])),
    taskChannels: new Map(channels.map((c) => [c.sid, c])),
  };
}

type ActivityRow = { sid: string; friendly_name: string; available: number | boolean };
type WorkerRow = { sid: string; friendly_name: string; attributes: string; version: number | string; activity_sid: string; idle_since: number | string };

/** The pool's rows: of the whole workspace, or of one worker. */
async function loadRows(tx: Executor, workspaceSid: string, workerSid?: string | string[]): Promise<PoolRows> {
  const some = workerSid === undefined ? [] : Array.isArray(workerSid) ? workerSid : [workerSid];
  const one = workerSid === undefined ? '' : ` AND w.sid IN (${some.map(() => '?').join(', ')})`;
  const params = [workspaceSid, ...some];
  // Sent together: on PostgreSQL one round trip, which a node catching up spends under the workspace lock.
  const reads = await readTogether(tx, [
    {
      sql: `SELECT w.sid, w.friendly_name, w.attributes, w.version, w.activity_sid, w.idle_since FROM workers w WHERE w.workspace_sid = ?${one}`,
      params,
    },
    {
      sql: `SELECT wc.worker_sid, wc.task_channel_sid, tc.unique_name, wc.capacity, wc.available, wc.held, wc.assigned
       FROM worker_channels wc JOIN task_channels tc ON tc.sid = wc.task_channel_sid
       JOIN workers w ON w.sid = wc.worker_sid WHERE wc.workspace_sid = ?${one}`,
      params,
    },
    {
      sql: `SELECT m.queue_sid, m.worker_sid FROM queue_members m JOIN task_queues q ON q.sid = m.queue_sid
       JOIN workers w ON w.sid = m.worker_sid WHERE q.workspace_sid = ?${one}`,
      params,
    },
    // A worker's own rows need no activities (memory has them).
    ...(workerSid ? [] : [{ sql: 'SELECT sid, friendly_name, available FROM activities WHERE workspace_sid = ?', params: [workspaceSid] }]),
  ]);
  const [workerRows, channelRows, memberRows, activityRows = []] = reads as [
    WorkerRow[],
    Record<string, unknown>[],
    { queue_sid: string; worker_sid: string }[],
    ActivityRow[]?,
  ];
  return {
    activities: activityRows.map((a) => ({ sid: a.sid, friendlyName: a.friendly_name, available: Boolean(Number(a.available)) })),
    workers: workerRows.map((w) => ({
      sid: w.sid,
      friendlyName: w.friendly_name,
      attributes: parseAttributes(w.attributes),
      attributesText: w.attributes,
      version: Number(w.version),
      activitySid: w.activity_sid,
      idleSince: Number(w.idle_since),
    })),
    channels: channelRows.map((c) => ({
      workerSid: c.worker_sid as string,
      taskChannelSid: c.task_channel_sid as string,
      uniqueName: c.unique_name as string,
      capacity: Number(c.capacity),
      available: Boolean(Number(c.available)),
      held: Number(c.held),
      assigned: Number(c.assigned),
    })),
    members: memberRows.map((m) => ({ queueSid: m.queue_sid, workerSid: m.worker_sid })),
  };
}
