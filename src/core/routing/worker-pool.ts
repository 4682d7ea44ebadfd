import type { Candidate } from './matching.ts';

/**
 * A workspace's routing state in memory: who is available, on which channel, with what room, in
 * which queues and in what idle order. The engine loads it from the store, keeps it in step with
 * every routing write it makes, and throws it away when anything else changes (see
 * engine/routing-state.ts for the fencing). No I/O here.
 */

export interface PoolChannel {
  taskChannelSid: string;
  uniqueName: string;
  capacity: number;
  available: boolean;
  held: number;
  assigned: number;
}

export interface PoolWorker {
  sid: string;
  friendlyName: string;
  attributes: Record<string, unknown>;
  /** The attributes as stored, and the row's version: what events about the worker report. */
  attributesText: string;
  version: number;
  activitySid: string;
  idleSince: number;
  channels: Map<string, PoolChannel>;
  queues: Set<string>;
}

export interface PoolActivity {
  sid: string;
  friendlyName: string;
  available: boolean;
}

/** What the pool is built from: rows as the store has them. */
export interface PoolRows {
  activities: PoolActivity[];
  workers: { sid: string; friendlyName: string; attributes: Record<string, unknown>; attributesText: string; version: number; activitySid: string; idleSince: number }[];
  channels: ({ workerSid: string } & PoolChannel)[];
  members: { queueSid: string; workerSid: string }[];
}

/** Who may be offered a task: the in-memory counterpart of the old candidate query. */
export interface PoolQuery {
  queueSid: string;
  taskChannelSid: string;
  multiTask: boolean;
  ignoreCapacity: boolean;
  knownWorker?: { by: 'sid' | 'friendly_name'; value: string } | null;
  /** Restrict to one worker. */
  workerSid?: string;
  /** Any worker of the workspace, member of the queue or not (tasks routed to one worker). */
  anyWorker?: boolean;
  /** Workers the task may not be offered to (they hold or held it). */
  excluded: ReadonlySet<string>;
  /** Whether the target expression reads worker.channel.*. */
  needChannels: boolean;
}

const before = (a: PoolWorker, b: PoolWorker) => a.idleSince < b.idleSince || (a.idleSince === b.idleSince && a.sid < b.sid);

export class WorkerPool {
  readonly activities = new Map<string, PoolActivity>();
  readonly workers = new Map<string, PoolWorker>();
  /** Each queue's members, longest idle first (idle_since, then sid, as the store orders them). */
  private readonly members = new Map<string, PoolWorker[]>();
  /** Undo steps of the changes since the last mark, so a rolled-back savepoint rolls memory back too. */
  private journal: (() => void)[] = [];
  /** Workers whose routing state changed since the last settle (what other nodes must read again). */
  readonly touched = new Set<string>();
  /** Whether anything beyond workers changed since the last settle (activities, membership, configuration). */
  configChanged = false;

  constructor(rows: PoolRows) {
    for (const a of rows.activities) this.activities.set(a.sid, { ...a });
    for (const w of rows.workers) this.workers.set(w.sid, { ...w, channels: new Map(), queues: new Set() });
    for (const c of rows.channels) {
      const { workerSid, ...channel } = c;
      this.workers.get(workerSid)?.channels.set(c.taskChannelSid, channel);
    }
    for (const m of rows.members) {
      const w = this.workers.get(m.workerSid);
      if (!w) continue;
      w.queues.add(m.queueSid);
      let list = this.members.get(m.queueSid);
      if (!list) this.members.set(m.queueSid, (list = []));
      list.push(w);
    }
    for (const list of this.members.values()) list.sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
  }

  /** Where the journal stands; `undo(mark)` goes back to it. */
  mark(): number {
    return this.journal.length;
  }

  undo(mark: number) {
    while (this.journal.length > mark) this.journal.pop()!();
  }

  /** The changes are committed: nothing left to undo, nothing left to report. */
  settle() {
    this.journal = [];
    this.touched.clear();
    this.configChanged = false;
  }

  /** Records how to undo a change made outside the pool's own methods (the configuration beside it). */
  record(undo: () => void) {
    this.configChanged = true;
    this.journal.push(undo);
  }

  /**
   * Puts a worker in (created, or its name, attributes, channels or queues changed), replacing what
   * was there; null removes it (deleted).
   */
  putWorker(sid: string, next: { worker: PoolRows['workers'][number]; channels: PoolChannel[]; queues: string[] } | null) {
    const previous = this.workers.get(sid);
    this.touched.add(sid);
    const place = (w: PoolWorker | undefined, add: boolean) => {
      if (!w) return;
      if (add) this.workers.set(w.sid, w);
      else this.workers.delete(w.sid);
      for (const q of w.queues) {
        if (add) {
          if (!this.members.has(q)) this.members.set(q, []);
          this.insert(q, w);
        } else this.remove(q, w);
      }
    };
    place(previous, false);
    const created = next && {
      ...next.worker,
      channels: new Map(
        next.channels.map((c) => [
          c.taskChannelSid,
          { taskChannelSid: c.taskChannelSid, uniqueName: c.uniqueName, capacity: c.capacity, available: c.available, held: c.held, assigned: c.assigned },
        ]),
      ),
      queues: new Set(next.queues),
    };
    place(created ?? undefined, true);
    this.journal.push(() => {
      place(created ?? undefined, false);
      place(previous, true);
    });
  }

  /** A queue's members are now these workers (the queue was created, its expression changed, or it was deleted: none). */
  setMembers(queueSid: string, workerSids: string[]) {
    this.configChanged = true;
    const before = [...this.membersOf(queueSid)];
    const apply = (sids: PoolWorker[]) => {
      for (const w of this.membersOf(queueSid)) w.queues.delete(queueSid);
      this.members.set(queueSid, []);
      for (const w of sids) {
        w.queues.add(queueSid);
        this.insert(queueSid, w);
      }
      if (sids.length === 0) this.members.delete(queueSid);
    };
    const after = workerSids.map((sid) => this.workers.get(sid)).filter((w): w is PoolWorker => w !== undefined);
    apply(after);
    this.journal.push(() => apply(before));
  }

  /** An activity was created or changed (null: deleted). */
  putActivity(sid: string, activity: PoolActivity | null) {
    this.configChanged = true;
    const previous = this.activities.get(sid);
    const apply = (a: PoolActivity | undefined) => (a ? this.activities.set(sid, a) : this.activities.delete(sid));
    apply(activity ?? undefined);
    this.journal.push(() => apply(previous));
  }

  membersOf(queueSid: string): readonly PoolWorker[] {
    return this.members.get(queueSid) ?? [];
  }

  /** A reservation takes room on a channel, and the worker goes to the back of the idle order. */
  hold(workerSid: string, taskChannelSid: string, now: number) {
    const w = this.workers.get(workerSid);
    if (!w) return;
    this.touched.add(workerSid);
    const ch = w.channels.get(taskChannelSid);
    if (ch) {
      ch.held++;
      this.journal.push(() => void ch.held--);
    }
    this.setIdleSince(w, now);
  }

  /** A reservation ends: its room comes back (and its assignment, when it was accepted). */
  release(workerSid: string, taskChannelSid: string, wasAssigned: boolean) {
    const ch = this.workers.get(workerSid)?.channels.get(taskChannelSid);
    if (!ch) return;
    this.touched.add(workerSid);
    const { held, assigned } = ch;
    ch.held = Math.max(0, held - 1);
    if (wasAssigned) ch.assigned = Math.max(0, assigned - 1);
    this.journal.push(() => {
      ch.held = held;
      ch.assigned = assigned;
    });
  }

  assign(workerSid: string, taskChannelSid: string) {
    const ch = this.workers.get(workerSid)?.channels.get(taskChannelSid);
    if (!ch) return;
    this.touched.add(workerSid);
    ch.assigned++;
    this.journal.push(() => void ch.assigned--);
  }

  /** The worker's row changed in what memory does not hold (its version moved all the same). */
  setVersion(workerSid: string, version: number) {
    const w = this.workers.get(workerSid);
    if (!w || w.version === version) return;
    this.touched.add(workerSid);
    const previous = w.version;
    w.version = version;
    this.journal.push(() => void (w.version = previous));
  }

  /** The worker moved to an activity; its row's version moved with it. */
  setActivity(workerSid: string, activitySid: string, version: number) {
    const w = this.workers.get(workerSid);
    if (!w) return;
    this.touched.add(workerSid);
    const previous = { activitySid: w.activitySid, version: w.version };
    w.activitySid = activitySid;
    w.version = version;
    this.journal.push(() => {
      w.activitySid = previous.activitySid;
      w.version = previous.version;
    });
  }

  private setIdleSince(w: PoolWorker, idleSince: number) {
    const previous = w.idleSince;
    if (previous === idleSince) return;
    for (const q of w.queues) this.remove(q, w);
    w.idleSince = idleSince;
    for (const q of w.queues) this.insert(q, w);
    this.journal.push(() => {
      for (const q of w.queues) this.remove(q, w);
      w.idleSince = previous;
      for (const q of w.queues) this.insert(q, w);
    });
  }

  private insert(queueSid: string, w: PoolWorker) {
    const list = this.members.get(queueSid);
    if (!list) return;
    // Mostly the newest idle time: the end, found without a search.
    if (list.length === 0 || before(list[list.length - 1], w)) {
      list.push(w);
      return;
    }
    list.splice(this.position(list, w), 0, w);
  }

  private remove(queueSid: string, w: PoolWorker) {
    const list = this.members.get(queueSid);
    if (!list) return;
    const at = this.position(list, w);
    if (list[at] === w) list.splice(at, 1);
    else {
      const i = list.indexOf(w);
      if (i >= 0) list.splice(i, 1);
    }
  }

  /** The first index whose worker does not come before w. */
  private position(list: PoolWorker[], w: PoolWorker): number {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (before(list[mid], w)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Whether the worker has room for a task on any channel now (multi-tasking: a channel available
   * with capacity to spare; single-tasking: nothing held anywhere and a channel with capacity).
   * Without room it can still take a task that ignores capacity.
   */
  hasRoom(workerSid: string, multiTask: boolean): boolean {
    const w = this.workers.get(workerSid);
    if (!w) return false;
    const channels = [...w.channels.values()];
    if (multiTask) return channels.some((ch) => ch.available && ch.held < ch.capacity);
    return channels.every((ch) => ch.held === 0) && channels.some((ch) => ch.available && ch.capacity > 0);
  }

  /** Whether the worker's activity is an available one. */
  isAvailable(workerSid: string): boolean {
    const w = this.workers.get(workerSid);
    return Boolean(w && this.activities.get(w.activitySid)?.available);
  }

  /**
   * Queue members (or the one worker asked for) who could take the task now, longest idle first,
   * in pages of `pageSize`: available activity, channel available with spare capacity (single-
   * tasking: nothing held on any channel), not excluded. The target expression is the matcher's.
   * Pages double in size from `pageSize` up to `maxPageSize`.
   */
  *candidates(q: PoolQuery, pageSize: number, maxPageSize = pageSize): Generator<Candidate[]> {
    let page: Candidate[] = [];
    for (const w of this.scope(q)) {
      const c = this.candidate(w, q);
      if (!c) continue;
      page.push(c);
      if (page.length === pageSize) {
        yield page;
        page = [];
        pageSize = Math.min(pageSize * 2, maxPageSize);
      }
    }
    if (page.length > 0) yield page;
  }

  private *scope(q: PoolQuery): Iterable<PoolWorker> {
    const one = q.workerSid ?? (q.knownWorker?.by === 'sid' ? q.knownWorker.value : undefined);
    if (one !== undefined) {
      const w = this.workers.get(one);
      if (w && (q.anyWorker || w.queues.has(q.queueSid))) yield w;
      return;
    }
    if (q.anyWorker) {
      yield* [...this.workers.values()].sort((a, b) => (before(a, b) ? -1 : 1));
      return;
    }
    yield* this.membersOf(q.queueSid);
  }

  private candidate(w: PoolWorker, q: PoolQuery): Candidate | null {
    if (q.knownWorker?.by === 'friendly_name' && w.friendlyName !== q.knownWorker.value) return null;
    if (q.excluded.has(w.sid)) return null;
    const activity = this.activities.get(w.activitySid);
    if (!activity?.available) return null;
    const ch = w.channels.get(q.taskChannelSid);
    if (!ch) return null;
    if (!q.ignoreCapacity) {
      if (!ch.available) return null;
      if (q.multiTask ? ch.held >= ch.capacity : ch.capacity <= 0 || [...w.channels.values()].some((x) => x.held > 0)) return null;
    }
    return {
      sid: w.sid,
      friendlyName: w.friendlyName,
      activitySid: w.activitySid,
      activityName: activity.friendlyName,
      available: true,
      attributes: w.attributes,
      channel: { capacity: ch.capacity, available: ch.available, held: ch.held, assigned: ch.assigned },
      channels: q.needChannels ? channelsOf(w) : {},
      idleSince: w.idleSince,
      reservedForTask: false,
    };
  }

  /** A description of the state, for comparing two pools (the consistency check in tests). */
  snapshot(): string {
    const workers = [...this.workers.values()]
      .sort((a, b) => (a.sid < b.sid ? -1 : 1))
      .map((w) => ({
        sid: w.sid,
        name: w.friendlyName,
        attributes: w.attributesText,
        version: w.version,
        activity: w.activitySid,
        idleSince: w.idleSince,
        channels: [...w.channels.values()].sort((a, b) => (a.taskChannelSid < b.taskChannelSid ? -1 : 1)),
        queues: [...w.queues].sort(),
      }));
    const activities = [...this.activities.values()].sort((a, b) => (a.sid < b.sid ? -1 : 1));
    const members = [...this.members.entries()].filter(([, list]) => list.length > 0).sort(([a], [b]) => (a < b ? -1 : 1)).map(([q, list]) => [q, list.map((w) => w.sid)]);
    return JSON.stringify({ activities, workers, members });
  }
}

/** A worker's channels as `worker.channel.<unique_name>.*` expressions see them. */
export function channelsOf(w: Pick<PoolWorker, 'channels'>): Candidate['channels'] {
  const out: Candidate['channels'] = {};
  for (const ch of w.channels.values())
    out[ch.uniqueName] = {
      configured_capacity: ch.capacity,
      assigned_tasks: ch.assigned,
      available_capacity_percentage: ch.capacity > 0 ? Math.max(0, Math.floor((1 - ch.held / ch.capacity) * 100)) : 0,
    };
  return out;
}
