/**
 * What the cluster tests share: real server processes (`node --import tsx src/main.ts`) started on
 * one store, a small REST client, direct access to the store for assertions, and the invariants
 * that must hold between tasks, reservations, capacity counters, timers and events.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const ACCOUNT_SID = 'AC' + 'c1'.repeat(16);
export const AUTH_TOKEN = 'cluster-test-token';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Every child this process started, so none outlives it whatever happens to the test. */
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface StoreEnv {
  DATABASE_URL?: string;
  DATABASE_SCHEMA?: string;
  SQLITE_FILE?: string;
}

export interface Node {
  name: string;
  baseUrl: string;
  child: ChildProcess;
  /** The last lines it wrote, for failure messages. */
  output(): string;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts one server process on the store and waits until it listens. */
export async function startNode(name: string, store: StoreEnv, extra: Record<string, string> = {}): Promise<Node> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    TWILIO_ACCOUNT_SID: ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    ...store,
    ...extra,
  };
  // The test runner's own flags must not leak into the server.
  delete env.NODE_TEST_CONTEXT;
  delete env.NODE_OPTIONS;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let log = '';
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => children.delete(child));
  const node: Node = {
    name,
    baseUrl: `http://127.0.0.1:${port}`,
    child,
    output: () => log,
    exited,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<string>((r) => (timer = setTimeout(() => r('timeout'), 10_000)));
      const outcome = await Promise.race([exited.then(() => 'ok'), timeout]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
  const deadline = Date.now() + 30_000;
  while (!log.includes('Switchyard listening')) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited at start:\n${log}`);
    if (Date.now() > deadline) {
      await node.kill('SIGKILL');
      throw new Error(`${name} did not start within 30 s:\n${log}`);
    }
    await sleep(50);
  }
  return node;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: any,
    what: string,
  ) {
    super(`${what} → ${status} ${typeof body === 'string' ? body : JSON.stringify(body)}`);
  }
}

const AUTH = 'Basic ' + Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64');

/** One REST call to a node; non-2xx responses throw HttpError. */
export async function call(baseUrl: string, method: 'GET' | 'POST' | 'DELETE', path: string, form?: Record<string, string | number>): Promise<any> {
  const init: RequestInit = { method, headers: { authorization: AUTH } };
  if (form) {
    init.body = new URLSearchParams(Object.entries(form).map(([k, v]) => [k, String(v)])).toString();
    (init.headers as Record<string, string>)['content-type'] = 'application/x-www-form-urlencoded';
  }
  const res = await fetch(baseUrl + path, { ...init, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  let body: any = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* keep the text */
  }
  if (res.status < 200 || res.status >= 300) throw new HttpError(res.status, body, `${method} ${path}`);
  return body;
}

export const tr = (ws: string) => `/taskrouter/v1/Workspaces/${ws}`;

/** Advances a node's clock (SWITCHYARD_CLOCK_CONTROL=1) and returns how many timers its own tick fired. */
export async function advance(node: Node, seconds: number): Promise<{ timers_fired: number; now_ms: number }> {
  return call(node.baseUrl, 'POST', '/switchyard/v1/Clock', { AdvanceSeconds: seconds });
}

// ---- the store, seen directly -------------------------------------------------------------------

/** Read access to the store the servers run on; `snapshot` runs its queries on one consistent view. */
export interface Store {
  env: StoreEnv;
  dialect: 'sqlite' | 'postgres';
  all<T = any>(sql: string, params?: unknown[]): Promise<T[]>;
  snapshot<T>(fn: (q: <R = any>(sql: string, params?: unknown[]) => Promise<R[]>) => Promise<T>): Promise<T>;
  dispose(): Promise<void>;
}

// COUNT(*) and BIGINT columns as numbers, as the server itself reads them.
pg.types.setTypeParser(20, (v) => Number(v));

const toPg = (sql: string) => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
};

/** A fresh PostgreSQL schema on TEST_DATABASE_URL, dropped by dispose(). */
export async function postgresStore(url: string): Promise<Store> {
  const schema = `sy_cluster_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const pool = new pg.Pool({ connectionString: url, max: 3, options: `-c search_path=${schema}` });
  pool.on('error', () => undefined);
  const all = async (sql: string, params: unknown[] = []) => (await pool.query(toPg(sql), params)).rows;
  return {
    env: { DATABASE_URL: url, DATABASE_SCHEMA: schema },
    dialect: 'postgres',
    all: all as Store['all'],
    async snapshot(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        const q = async (sql: string, params: unknown[] = []) => (await client.query(toPg(sql), params)).rows;
        return await fn(q as never);
      } finally {
        await client.query('ROLLBACK').catch(() => undefined);
        client.release();
      }
    },
    async dispose() {
      await pool.end();
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    },
  };
}

/** A SQLite file the servers share; read through its own connection (WAL: readers never block the server). */
export function sqliteStore(file: string): Store {
  let db: BetterSqlite3.Database | null = null;
  const open = () => (db ??= new BetterSqlite3(file, { fileMustExist: true }));
  const all = async (sql: string, params: unknown[] = []) => open().prepare(sql).all(...(params as never[]));
  return {
    env: { SQLITE_FILE: file },
    dialect: 'sqlite',
    all: all as Store['all'],
    async snapshot(fn) {
      const conn = open();
      conn.exec('BEGIN');
      try {
        return await fn(all as never);
      } finally {
        conn.exec('ROLLBACK');
      }
    },
    async dispose() {
      db?.close();
      db = null;
    },
  };
}


// ---- invariants ---------------------------------------------------------------------------------

export type Query = <R = any>(sql: string, params?: unknown[]) => Promise<R[]>;

export interface InvariantOptions {
  /** Capacity must bound held (true unless a test routes ignore-capacity tasks or lowers capacity). */
  capacityBound?: boolean;
}

/** Capacity counters against the reservations that hold them (the cheap part of the invariants). */
export async function capacityViolations(q: Query, workspaceSid: string, opts: InvariantOptions = {}): Promise<string[]> {
  const out: string[] = [];
  const channels = await q<{ worker_sid: string; task_channel_sid: string; held: number; assigned: number; capacity: number; active: number; accepted_rows: number }>(
    `SELECT wc.worker_sid, wc.task_channel_sid, wc.held, wc.assigned, wc.capacity,
            (SELECT COUNT(*) FROM reservations r WHERE r.worker_sid = wc.worker_sid AND r.task_channel_sid = wc.task_channel_sid
                AND r.reservation_status IN ('pending', 'accepted', 'wrapping')) AS active,
            (SELECT COUNT(*) FROM reservations r WHERE r.worker_sid = wc.worker_sid AND r.task_channel_sid = wc.task_channel_sid
                AND r.reservation_status IN ('accepted', 'wrapping')) AS accepted_rows
       FROM worker_channels wc WHERE wc.workspace_sid = ?`,
    [workspaceSid],
  );
  for (const c of channels) {
    const [held, assigned, active, acceptedRows, capacity] = [c.held, c.assigned, c.active, c.accepted_rows, c.capacity].map(Number);
    if (held !== active) out.push(`worker ${c.worker_sid} channel ${c.task_channel_sid}: held=${held} but ${active} pending/accepted/wrapping reservations`);
    if (assigned !== acceptedRows) out.push(`worker ${c.worker_sid} channel ${c.task_channel_sid}: assigned=${assigned} but ${acceptedRows} accepted/wrapping reservations`);
    if (opts.capacityBound !== false && held > capacity) out.push(`worker ${c.worker_sid} channel ${c.task_channel_sid}: held=${held} over capacity ${capacity}`);
  }
  return out;
}

/**
 * Everything that must hold in any committed state of a workspace, checked on one snapshot.
 * Returns the violations (empty when all is well), each a readable line.
 */
export async function invariantViolations(q: Query, workspaceSid: string, opts: InvariantOptions = {}): Promise<string[]> {
  const out = await capacityViolations(q, workspaceSid, opts);
  // Each task's status against its reservations.
  const tasks = await q<{ sid: string; assignment_status: string; pending_rows: number; accepted_rows: number; wrapping_rows: number; done_rows: number; max_reserved: number | null }>(
    `SELECT t.sid, t.assignment_status,
            (SELECT COUNT(*) FROM reservations r WHERE r.task_sid = t.sid AND r.reservation_status = 'pending') AS pending_rows,
            (SELECT COUNT(*) FROM reservations r WHERE r.task_sid = t.sid AND r.reservation_status = 'accepted') AS accepted_rows,
            (SELECT COUNT(*) FROM reservations r WHERE r.task_sid = t.sid AND r.reservation_status = 'wrapping') AS wrapping_rows,
            (SELECT COUNT(*) FROM reservations r WHERE r.task_sid = t.sid AND r.reservation_status = 'completed') AS done_rows,
            (SELECT q.max_reserved_workers FROM task_queues q WHERE q.sid = t.task_queue_sid) AS max_reserved
       FROM tasks t WHERE t.workspace_sid = ?`,
    [workspaceSid],
  );
  for (const t of tasks) {
    const [p, a, w, d] = [t.pending_rows, t.accepted_rows, t.wrapping_rows, t.done_rows].map(Number);
    const bad = (why: string) => out.push(`task ${t.sid} ${t.assignment_status}: ${why} (pending=${p} accepted=${a} wrapping=${w} completed=${d})`);
    if (a + w + d > 1) bad('more than one accepted reservation');
    switch (t.assignment_status) {
      case 'pending':
        if (p + a + w + d > 0) bad('pending yet held by a reservation');
        break;
      case 'reserved':
        if (p === 0 || a + w + d > 0) bad('reserved needs pending reservations only');
        if (t.max_reserved !== null && p > Number(t.max_reserved)) bad(`more pending than max_reserved_workers ${t.max_reserved}`);
        break;
      case 'assigned':
        if (a !== 1 || p + w + d > 0) bad('assigned needs exactly one accepted reservation');
        break;
      case 'wrapping':
        if (w !== 1 || p + a + d > 0) bad('wrapping needs exactly one wrapping reservation');
        break;
      case 'completed':
      case 'canceled':
        if (p + a + w > 0) bad('closed yet still held');
        break;
      default:
        bad('unknown status');
    }
  }
  // Timers: every pending reservation has its timeout, nothing else does; waiting tasks have a TTL.
  const resTimers = await q<{ sid: string; reservation_status: string; timers: number }>(
    `SELECT r.sid, r.reservation_status, (SELECT COUNT(*) FROM timers x WHERE x.kind = 'reservation' AND x.ref_sid = r.sid) AS timers
       FROM reservations r WHERE r.workspace_sid = ?`,
    [workspaceSid],
  );
  for (const r of resTimers) {
    const want = r.reservation_status === 'pending' ? 1 : 0;
    if (Number(r.timers) !== want) out.push(`reservation ${r.sid} ${r.reservation_status}: ${r.timers} timeout timers`);
  }
  const ttl = await q<{ sid: string; assignment_status: string; timers: number }>(
    `SELECT t.sid, t.assignment_status, (SELECT COUNT(*) FROM timers x WHERE x.kind = 'ttl' AND x.ref_sid = t.sid) AS timers
       FROM tasks t WHERE t.workspace_sid = ?`,
    [workspaceSid],
  );
  for (const t of ttl) {
    const want = t.assignment_status === 'pending' || t.assignment_status === 'reserved' ? 1 : 0;
    if (Number(t.timers) !== want) out.push(`task ${t.sid} ${t.assignment_status}: ${t.timers} TTL timers`);
  }
  return out;
}

/**
 * Events against rows: one task.created per task, one reservation.created per reservation, and a
 * reservation's ending event (at most one) matching the status it ended in.
 */
export async function eventViolations(q: Query, workspaceSid: string): Promise<string[]> {
  const out: string[] = [];
  const created = await q<{ sid: string; n: number }>(
    `SELECT t.sid, (SELECT COUNT(*) FROM events e WHERE e.workspace_sid = t.workspace_sid AND e.event_type = 'task.created' AND e.resource_sid = t.sid) AS n
       FROM tasks t WHERE t.workspace_sid = ?`,
    [workspaceSid],
  );
  for (const t of created) if (Number(t.n) !== 1) out.push(`task ${t.sid}: ${t.n} task.created events`);
  const ENDS: Record<string, string> = {
    rejected: 'reservation.rejected',
    timeout: 'reservation.timeout',
    canceled: 'reservation.canceled',
    rescinded: 'reservation.rescinded',
    completed: 'reservation.completed',
  };
  const rows = await q<{ sid: string; reservation_status: string }>('SELECT sid, reservation_status FROM reservations WHERE workspace_sid = ?', [workspaceSid]);
  const evs = await q<{ resource_sid: string; event_type: string }>(
    "SELECT resource_sid, event_type FROM events WHERE workspace_sid = ? AND resource_type = 'reservation'",
    [workspaceSid],
  );
  const byRes = new Map<string, string[]>();
  for (const e of evs) {
    const l = byRes.get(e.resource_sid) ?? [];
    l.push(e.event_type);
    byRes.set(e.resource_sid, l);
  }
  for (const r of rows) {
    const types = byRes.get(r.sid) ?? [];
    const count = (t: string) => types.filter((x) => x === t).length;
    if (count('reservation.created') !== 1) out.push(`reservation ${r.sid}: ${count('reservation.created')} reservation.created events`);
    if (count('reservation.accepted') > 1) out.push(`reservation ${r.sid}: accepted ${count('reservation.accepted')} times`);
    const ends = types.filter((t) => Object.values(ENDS).includes(t));
    const want = ENDS[r.reservation_status];
    if (want ? ends.length !== 1 || ends[0] !== want : ends.length !== 0)
      out.push(`reservation ${r.sid} ${r.reservation_status}: ending events [${ends.join(', ')}]`);
  }
  return out;
}

/** Counts of events by type in a workspace. */
export async function eventCounts(store: Store, workspaceSid: string): Promise<Record<string, number>> {
  const rows = await store.all<{ event_type: string; n: number }>('SELECT event_type, COUNT(*) AS n FROM events WHERE workspace_sid = ? GROUP BY event_type', [workspaceSid]);
  return Object.fromEntries(rows.map((r) => [r.event_type, Number(r.n)]));
}

/** Runs `fn` on `n` concurrent lanes until it returns false (or throws). */
export async function lanes(n: number, fn: (lane: number) => Promise<boolean>): Promise<void> {
  await Promise.all(
    Array.from({ length: n }, async (_, lane) => {
      while (await fn(lane));
    }),
  );
}

// ---- a workspace to route in --------------------------------------------------------------------

export interface QueueSpec {
  name: string;
  /** target_workers */
  target: string;
  maxReserved: number;
  /** The task attribute `type` this queue's filter matches. */
  type: string;
}

export interface Workspace {
  sid: string;
  workflowSid: string;
  queues: Record<string, string>;
  workers: { sid: string; capacity: number }[];
  activities: Record<string, string>;
}

/** Creates, through one node, a workspace with queues, a workflow routing on `type`, and available workers. */
export async function setupWorkspace(
  baseUrl: string,
  spec: { name: string; queues: QueueSpec[]; workers: number; skills(i: number): string[]; capacity(i: number): number; reservationTimeout: number },
  lanesForWorkers = 4,
): Promise<Workspace> {
  const ws = await call(baseUrl, 'POST', '/taskrouter/v1/Workspaces', { FriendlyName: spec.name, MultiTaskEnabled: 'true' });
  const acts = await call(baseUrl, 'GET', `${tr(ws.sid)}/Activities?PageSize=50`);
  const activities: Record<string, string> = Object.fromEntries(acts.activities.map((a: any) => [a.friendly_name, a.sid]));
  const queues: Record<string, string> = {};
  for (const q of spec.queues) {
    const made = await call(baseUrl, 'POST', `${tr(ws.sid)}/TaskQueues`, { FriendlyName: q.name, TargetWorkers: q.target, MaxReservedWorkers: q.maxReserved });
    queues[q.name] = made.sid;
  }
  const configuration = JSON.stringify({
    task_routing: {
      filters: spec.queues.map((q) => ({ filter_friendly_name: q.name, expression: `type == '${q.type}'`, targets: [{ queue: queues[q.name] }] })),
      default_filter: { queue: queues[spec.queues[0].name] },
    },
  });
  const wf = await call(baseUrl, 'POST', `${tr(ws.sid)}/Workflows`, {
    FriendlyName: 'by type',
    Configuration: configuration,
    TaskReservationTimeout: spec.reservationTimeout,
  });
  const workers: Workspace['workers'] = new Array(spec.workers);
  let next = 0;
  await lanes(lanesForWorkers, async () => {
    const i = next++;
    if (i >= spec.workers) return false;
    const w = await call(baseUrl, 'POST', `${tr(ws.sid)}/Workers`, {
      FriendlyName: `agent${String(i).padStart(3, '0')}`,
      Attributes: JSON.stringify({ skills: spec.skills(i) }),
    });
    const capacity = spec.capacity(i);
    await call(baseUrl, 'POST', `${tr(ws.sid)}/Workers/${w.sid}/Channels/sms`, { Capacity: capacity, Available: 'true' });
    await call(baseUrl, 'POST', `${tr(ws.sid)}/Workers/${w.sid}`, { ActivitySid: activities.Available });
    workers[i] = { sid: w.sid, capacity };
    return true;
  });
  return { sid: ws.sid, workflowSid: wf.sid, queues, workers, activities };
}
