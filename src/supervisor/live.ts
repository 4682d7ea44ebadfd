import { setTimeout as delay } from 'node:timers/promises';
import { Pump } from '../core/pump.ts';
import { consoleLog, type Log } from '../ops/logger.ts';
import { MAX_AGENTS } from './agents.ts';
import { buildBoard } from './board.ts';
import { SUPERVISOR_ROLES, type SupervisorDeps } from './deps.ts';
import type { SupervisorSession } from './session.ts';
import type { EventStream } from './stream.ts';

export interface LiveOptions {
  /** How often each watched workspace's routing version is read, for other nodes' changes (default 2 s). */
  pollMs?: number;
  /** The board is built again at least this often, for the chart's sliding hour (default 30 s). */
  refreshMs?: number;
  /** Builds of one workspace's board are at least this far apart, however fast changes come (default 250 ms). */
  minGapMs?: number;
  log?: Log;
}

interface Watcher {
  stream: EventStream;
  workerSid: string;
  expiresAt: number;
}

interface Room {
  accountSid: string;
  workspaceSid: string;
  watchers: Set<Watcher>;
  pump: Pump;
  /** The routing version the last board was built from: another node's commit moves it. */
  version: string | null;
  builtAt: number;
}

/**
 * Pushes each watched workspace's board to the supervisors watching it: built once per change and
 * sent to all of them. Woken by this node's routing commits (the engine's bus), and by a cheap read
 * of the workspace's routing version for other nodes' commits; only workspaces someone watches are
 * read. A supervisor whose token runs out, or whose worker loses the role, is sent `closed` and let go.
 */
export class BoardHub {
  private readonly rooms = new Map<string, Room>();
  private timer: NodeJS.Timeout | null = null;
  private readonly pollMs: number;
  private readonly refreshMs: number;
  private readonly minGapMs: number;
  private readonly log: Log;

  constructor(
    private readonly deps: SupervisorDeps,
    options: LiveOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 2000;
    this.refreshMs = options.refreshMs ?? 30_000;
    this.minGapMs = options.minGapMs ?? 250;
    this.log = options.log ?? consoleLog;
    deps.taskRouter.engine.bus.on('committed', ({ workspaceSid }) => {
      if (workspaceSid) this.rooms.get(workspaceSid)?.pump.wake();
    });
  }

  /** How many streams are open (tests, shutdown). */
  get size(): number {
    let n = 0;
    for (const r of this.rooms.values()) n += r.watchers.size;
    return n;
  }

  watch(s: SupervisorSession, stream: EventStream): void {
    let room = this.rooms.get(s.workspaceSid);
    if (!room) {
      const r: Room = { accountSid: s.accountSid, workspaceSid: s.workspaceSid, watchers: new Set(), pump: new Pump(() => this.push(r), { onError: (err) => this.failed(err, r) }), version: null, builtAt: 0 };
      this.rooms.set(s.workspaceSid, (room = r));
    }
    const watcher: Watcher = { stream, workerSid: s.workerSid, expiresAt: s.expiresAt };
    room.watchers.add(watcher);
    const r = room;
    stream.onClosed(() => {
      r.watchers.delete(watcher);
      if (r.watchers.size === 0 && this.rooms.get(r.workspaceSid) === r) this.rooms.delete(r.workspaceSid);
      if (this.rooms.size === 0) this.stopPolling();
    });
    this.startPolling();
    // The newcomer needs a board now; the others get the same one, which is harmless.
    room.pump.wake();
  }

  /** Ends every stream (the server is closing). */
  close(): void {
    for (const room of [...this.rooms.values()]) for (const w of [...room.watchers]) w.stream.end('closed', { reason: 'server closing' });
    this.stopPolling();
  }

  private async push(room: Room): Promise<void> {
    const gap = room.builtAt + this.minGapMs - Date.now();
    if (gap > 0) await delay(gap);
    if (room.watchers.size === 0) return;
    // Read before the board: a commit landing during the build moves it again, and the poll builds once more.
    room.version = await this.version(room.workspaceSid);
    const board = await buildBoard(this.deps, room.accountSid, room.workspaceSid);
    room.builtAt = Date.now();
    const json = JSON.stringify(board);
    const now = this.deps.clock.now();
    const complete = board.agents.length < MAX_AGENTS;
    const supervisors = new Set(board.agents.filter((a) => a.roles.some((r) => (SUPERVISOR_ROLES as readonly string[]).includes(r))).map((a) => a.sid));
    for (const w of [...room.watchers]) {
      if (now >= w.expiresAt) w.stream.end('closed', { reason: 'token expired' });
      else if (complete && !supervisors.has(w.workerSid)) w.stream.end('closed', { reason: 'not a supervisor' });
      else w.stream.sendRaw('board', json);
    }
  }

  private failed(err: unknown, room: Room): void {
    this.log.error({ err, workspaceSid: room.workspaceSid }, 'building the supervisor board failed; trying again on the next change or poll');
    room.version = null;
  }

  private async version(workspaceSid: string): Promise<string | null> {
    const row = await this.deps.db.get<{ version: number | string }>('SELECT version FROM routing_versions WHERE workspace_sid = ?', [workspaceSid]);
    return row ? String(row.version) : null;
  }

  private async poll(): Promise<void> {
    for (const room of [...this.rooms.values()]) {
      try {
        const version = await this.version(room.workspaceSid);
        if (version !== room.version || Date.now() - room.builtAt >= this.refreshMs) room.pump.wake();
      } catch (err) {
        this.failed(err, room);
      }
    }
  }

  private startPolling(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.poll(), this.pollMs);
    this.timer.unref();
  }

  private stopPolling(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
