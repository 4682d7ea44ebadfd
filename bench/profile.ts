import { readFileSync } from 'node:fs';

/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`) written by a bench server: where its one
 * thread spent its time, by area (category), by function (self time) and by source function
 * including what it called synchronously (inclusive; async continuations count where they resume).
 */
interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  parent?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  totalMs: number;
  categories: { name: string; ms: number; share: number }[];
  selfTop: { name: string; ms: number; share: number }[];
  inclusiveTop: { name: string; ms: number; share: number }[];
}

const ROOT = '/work/main/';

function shortUrl(url: string): string {
  const u = url.replace(/^file:\/\//, '');
  const nm = u.lastIndexOf('node_modules/');
  if (nm >= 0) return u.slice(nm + 'node_modules/'.length);
  const src = u.search(/\/(src|bench)\//);
  return src >= 0 ? u.slice(src + 1) : u.replace(ROOT, '');
}

function category(url: string, name: string): string {
  if (name === '(idle)') return 'idle (waiting for I/O)';
  if (name === '(garbage collector)') return 'garbage collection';
  if (name === '(program)' || name === '(root)') return 'V8/native, unattributed';
  const u = shortUrl(url);
  if (u.startsWith('bench/sql-timing')) return 'SQLite statements (native, in better-sqlite3)';
  if (u.startsWith('src/store/sqlite')) return 'SQLite statements (native, in better-sqlite3)';
  if (u.startsWith('better-sqlite3')) return 'SQLite statements (native, in better-sqlite3)';
  if (u.startsWith('pg') || u.startsWith('pg-')) return 'pg driver (protocol, parsing)';
  if (/^(fastify|@fastify|find-my-way|avvio|light-my-request|fast-|pino|secure-json-parse|toad-cache|process-warning|abstract-logging)/.test(u))
    return 'Fastify';
  if (u.startsWith('node:') || u === '') return 'Node core (http, net, streams, timers)';
  if (u.startsWith('src/core/expression')) return 'expression evaluation';
  if (u.startsWith('src/core/')) return 'routing core (matching, workflow, sids)';
  if (u.startsWith('src/taskrouter/engine')) return 'engine (router, lifecycle, events, timers)';
  if (u.startsWith('src/taskrouter/http') || u.startsWith('src/http')) return 'HTTP adapter and rendering';
  if (u.startsWith('src/store')) return 'store layer (table helpers)';
  if (u.startsWith('src/')) return 'services and accounts';
  if (u.startsWith('bench/')) return 'bench server harness';
  return `other (${u.split('/')[0]})`;
}

export function summariseProfile(file: string, top = 15): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  for (const n of p.nodes) byId.set(n.id, n);
  for (const n of p.nodes) for (const c of n.children ?? []) byId.get(c)!.parent = n.id;
  const cats = new Map<string, number>();
  const self = new Map<string, number>();
  const incl = new Map<string, number>();
  let total = 0;
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  // The node's category: a native leaf (no URL: addon calls, builtins like JSON.parse) counts
  // where the first JS frame above it belongs.
  const catCache = new Map<number, string>();
  const catOf = (id: number): string => {
    let c = catCache.get(id);
    if (c) return c;
    const n = byId.get(id)!;
    const f = n.callFrame;
    if (f.url || f.functionName.startsWith('(') || n.parent === undefined) c = category(f.url, f.functionName);
    else c = catOf(n.parent);
    catCache.set(id, c);
    return c;
  };
  for (let i = 0; i < p.samples.length; i++) {
    const ms = (p.timeDeltas[i + 1] ?? 0) / 1000;
    if (ms <= 0) continue;
    const leaf = byId.get(p.samples[i])!;
    total += ms;
    add(cats, catOf(leaf.id), ms);
    const f = leaf.callFrame;
    add(self, f.url ? `${f.functionName || '(anonymous)'} ${shortUrl(f.url)}` : `${f.functionName || '(anonymous)'} (native)`, ms);
    const seen = new Set<string>();
    for (let n: ProfileNode | undefined = leaf; n; n = n.parent === undefined ? undefined : byId.get(n.parent)) {
      const u = shortUrl(n.callFrame.url);
      if (!u.startsWith('src/')) continue;
      const key = `${n.callFrame.functionName || '(anonymous)'} ${u}`;
      if (seen.has(key)) continue;
      seen.add(key);
      add(incl, key, ms);
    }
  }
  const rank = (m: Map<string, number>, limit: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([name, ms]) => ({ name, ms, share: total > 0 ? ms / total : 0 }));
  return { totalMs: total, categories: rank(cats, 30), selfTop: rank(self, top), inclusiveTop: rank(incl, top) };
}

// `tsx bench/profile.ts FILE.cpuprofile` prints a summary of any profile.
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!) && process.argv[2]) {
  const s = summariseProfile(process.argv[2], 25);
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  console.log(`total sampled ${s.totalMs.toFixed(0)} ms`);
  for (const [title, rows] of [
    ['by area', s.categories],
    ['self time', s.selfTop],
    ['inclusive (src/)', s.inclusiveTop],
  ] as const) {
    console.log(`\n${title}`);
    for (const r of rows) console.log(`  ${pct(r.share).padStart(6)} ${r.ms.toFixed(0).padStart(7)} ms  ${r.name}`);
  }
}
