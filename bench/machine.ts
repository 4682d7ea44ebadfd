import { readdirSync, readFileSync } from 'node:fs';
import { cpus, freemem, totalmem } from 'node:os';

/**
 * The machine the bench runs on, and how quiet it was: CPU time from /proc (Linux; elsewhere the
 * figures are missing, not made up). "Ours" is this process and every process it started (the
 * servers, Prism, npm); "others" is everything else, PostgreSQL's own work on our rows included.
 */

/** Busy and total CPU time of the whole machine so far (clock ticks), or null off Linux. */
export function machineCpu(): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const total = v.slice(0, 8).reduce((a, x) => a + x, 0);
    const idle = v[3] + (v[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

export function loadAverage(): number {
  try {
    return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  } catch {
    return NaN;
  }
}

export function machine() {
  let model = cpus()[0]?.model ?? 'unknown';
  let nproc = cpus().length;
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const m = /^model name\s*:\s*(.+)$/m.exec(info);
    if (m) model = m[1].trim();
    nproc = info.match(/^processor\s*:/gm)?.length ?? nproc;
  } catch {
    /* not Linux */
  }
  return { model, nproc, memGb: totalmem() / 2 ** 30, freeGb: freemem() / 2 ** 30 };
}

interface Proc {
  comm: string;
  ppid: number;
  /** utime + stime (own CPU). */
  own: number;
  /** cutime + cstime (children it has waited for). */
  reaped: number;
}

function processes(): Map<number, Proc> {
  const out = new Map<number, Proc>();
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const text = readFileSync(`/proc/${name}/stat`, 'utf8');
      // comm is in parentheses and may hold spaces; the fields after it are space-separated.
      const close = text.lastIndexOf(')');
      const comm = text.slice(text.indexOf('(') + 1, close);
      const f = text.slice(close + 2).split(' ');
      // f[0] is field 3 (state): ppid is field 4, utime..cstime fields 14..17.
      out.set(Number(name), { comm, ppid: Number(f[1]), own: Number(f[11]) + Number(f[12]), reaped: Number(f[13]) + Number(f[14]) });
    } catch {
      /* it exited meanwhile */
    }
  }
  return out;
}

/** This process, its live descendants, and what started it (npm, tsx: its ancestors, by their own time only). */
function oursIn(procs: Map<number, Proc>): { mine: Set<number>; ancestors: Set<number> } {
  const mine = new Set<number>([process.pid]);
  // Parents come before children often but not always: iterate until nothing is added.
  for (let changed = true; changed; ) {
    changed = false;
    for (const [pid, p] of procs) if (!mine.has(pid) && mine.has(p.ppid)) (mine.add(pid), (changed = true));
  }
  const ancestors = new Set<number>();
  for (let pid = procs.get(process.pid)?.ppid ?? 0; pid > 1 && !ancestors.has(pid); pid = procs.get(pid)?.ppid ?? 0) ancestors.add(pid);
  return { mine, ancestors };
}

/** CPU ticks used so far by the bench: its processes and the children they reaped, and its ancestors' own time. */
function oursTicks(procs: Map<number, Proc>): number {
  const { mine, ancestors } = oursIn(procs);
  let sum = 0;
  for (const pid of mine) {
    const p = procs.get(pid);
    if (p) sum += p.own + p.reaped;
  }
  for (const pid of ancestors) sum += procs.get(pid)?.own ?? 0;
  return sum;
}

interface Snapshot {
  at: number;
  cpu: { busy: number; total: number } | null;
  ours: number;
  others: Map<number, { comm: string; own: number }>;
}

function snapshot(): Snapshot {
  const procs = processes();
  const ours = oursTicks(procs);
  const others = new Map<number, { comm: string; own: number }>();
  for (const [pid, p] of procs) others.set(pid, { comm: p.comm, own: p.own });
  return { at: performance.now(), cpu: machineCpu(), ours, others };
}

export interface QuietWindow {
  seconds: number;
  /** Share of all the machine's CPU time that was busy. */
  busy: number;
  /** Share used by processes other than the bench's. */
  others: number;
  /** Other processes by name, their share of all CPU time, largest first. */
  top: { comm: string; share: number }[];
  loadAvg: number;
}

function between(a: Snapshot, b: Snapshot, oursPids: Set<number>): QuietWindow {
  const total = a.cpu && b.cpu ? b.cpu.total - a.cpu.total : NaN;
  const busy = a.cpu && b.cpu ? (b.cpu.busy - a.cpu.busy) / total : NaN;
  const others = a.cpu && b.cpu ? Math.max(0, b.cpu.busy - a.cpu.busy - (b.ours - a.ours)) / total : NaN;
  const byComm = new Map<string, number>();
  for (const [pid, p] of b.others) {
    if (oursPids.has(pid)) continue;
    // A process started during the window counts from zero (a kernel worker renames itself as it works: same pid, same process).
    const delta = p.own - (a.others.get(pid)?.own ?? 0);
    const name = p.comm.startsWith('kworker/') ? 'kworker (kernel)' : p.comm;
    if (delta > 0) byComm.set(name, (byComm.get(name) ?? 0) + delta);
  }
  const top = [...byComm.entries()]
    .map(([comm, ticks]) => ({ comm, share: ticks / total }))
    .filter((x) => x.share >= 0.005)
    .sort((x, y) => y.share - x.share)
    .slice(0, 5);
  return { seconds: (b.at - a.at) / 1000, busy, others, top, loadAvg: loadAverage() };
}

/** Pids of the bench now (this process, its live descendants, its ancestors). */
function oursPidsNow(): Set<number> {
  const { mine, ancestors } = oursIn(processes());
  return new Set([...mine, ...ancestors]);
}

/**
 * Watches the machine: `before()` for a few seconds before the run, then a sample every 5 s
 * during it (the busiest 5-s window of other processes is kept), and the whole run at `finish()`.
 */
export class QuietWatch {
  beforeRun: QuietWindow | null = null;
  private start: Snapshot | null = null;
  private last: Snapshot | null = null;
  private timer: NodeJS.Timeout | null = null;
  private ourPids = new Set<number>();
  worstWindow: QuietWindow | null = null;
  private loads: number[] = [];

  async before(seconds: number) {
    const a = snapshot();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const b = snapshot();
    this.beforeRun = between(a, b, oursPidsNow());
  }

  begin() {
    this.start = this.last = snapshot();
    this.timer = setInterval(() => this.sample(), 5000);
    this.timer.unref();
  }

  private sample() {
    // Our processes as they are now: a pid ever ours stays ours (its parent may have exited).
    for (const pid of oursPidsNow()) this.ourPids.add(pid);
    const s = snapshot();
    if (this.last) {
      const w = between(this.last, s, this.ourPids);
      if (Number.isFinite(w.others) && (!this.worstWindow || w.others > this.worstWindow.others)) this.worstWindow = w;
      this.loads.push(w.loadAvg);
    }
    this.last = s;
  }

  finish(): { whole: QuietWindow; worst: QuietWindow | null; meanLoad: number; maxLoad: number } | null {
    if (this.timer) clearInterval(this.timer);
    if (!this.start) return null;
    this.sample();
    const whole = between(this.start, this.last!, this.ourPids);
    const finite = this.loads.filter(Number.isFinite);
    return {
      whole,
      worst: this.worstWindow,
      meanLoad: finite.length ? finite.reduce((a, x) => a + x, 0) / finite.length : NaN,
      maxLoad: finite.length ? Math.max(...finite) : NaN,
    };
  }
}
