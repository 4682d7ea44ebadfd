import type { Row } from './measure.ts';
import type { ServerSample } from './servers.ts';
import { median } from './stats.ts';

/** A row's rounds summarised (medians, sums, peaks), and how figures are printed. */

export const fmt = {
  int: (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–'),
  ms: (n: number) => (Number.isFinite(n) ? (n < 10 ? n.toFixed(2) : n.toFixed(1)) : '–'),
  x: (n: number) => (Number.isFinite(n) ? (n >= 10 ? n.toFixed(0) : n.toFixed(2)) + '×' : '–'),
  pct: (n: number) => (Number.isFinite(n) ? `${(n * 100).toFixed(0)}%` : '–'),
  s: (ms: number) => `${(ms / 1000).toFixed(1)} s`,
};

export function summary(row: Row) {
  const r = row.rounds;
  const server = r.map((x) => x.server).filter((x): x is ServerSample => x !== null);
  const units = r.reduce((a, x) => a + x.good + x.pending, 0);
  return {
    rate: median(r.map((x) => x.rate)),
    p50: median(r.map((x) => x.p50)),
    p99: median(r.map((x) => x.p99)),
    rateRange: [Math.min(...r.map((x) => x.rate)), Math.max(...r.map((x) => x.rate))],
    /** Counted outcomes per round (median). */
    good: median(r.map((x) => x.good)),
    pending: r.reduce((a, x) => a + x.pending, 0),
    errors: r.reduce((a, x) => a + x.errors, 0),
    serverElu: server.length ? median(server.map((s) => s.elu)) : NaN,
    serverCpuPerUnit: server.length && units ? server.reduce((a, s) => a + s.cpuMs, 0) / units : NaN,
    clientElu: median(r.map((x) => x.clientElu)),
    rss: server.length ? Math.max(...server.map((s) => s.rssMb)) : NaN,
    peakRss: server.length ? Math.max(...server.map((s) => s.maxRssMb)) : NaN,
    heap: server.length ? Math.max(...server.map((s) => s.heapMb)) : NaN,
    machineBusy: median(r.map((x) => x.machineBusy)),
    benchBusy: median(r.map((x) => x.benchBusy)),
    loadAvg: Math.max(...r.map((x) => x.loadAvg)),
  };
}


/** A row's short name, for the lines under the tables. */
export function shortName(row: Row): string {
  const m = /^(sqlite|postgres)-(\d+)(-in-process)?$/.exec(row.key);
  if (m) return `${m[1]} ${Number(m[2]).toLocaleString('en-US')} workers${m[3] ? ' in-process' : ''}`;
  const names: Record<string, string> = {
    'ceiling-node': 'bare node:http',
    'ceiling-fastify': 'bare Fastify',
    'large-create': 'largest workspace (create)',
    'large-drain': 'largest workspace (drain)',
    cluster: 'postgres cluster',
    interactions: 'Flex Interactions',
    life: 'full life',
    prism: 'Prism',
  };
  return names[row.key] ?? row.name;
}
