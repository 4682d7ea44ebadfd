import { execFileSync } from 'node:child_process';
import { machine, type QuietWindow } from './machine.ts';
import type { Diagnosis, Row } from './measure.ts';
import type { Options } from './options.ts';
import { fmt, shortName, summary } from './summary.ts';
import { targets } from './targets.ts';

/** The report: printed, and written to RESULTS.md by a full run. What each figure means is in README.md. */

export const ANALYSIS_MARKER = '<!-- Everything below this line is kept by `npm run bench` when it rewrites this file. -->';

function codeVersion(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return `commit ${head}${dirty ? ` plus uncommitted changes under src/ (${dirty.split('\n').length} paths)` : ', src/ clean'}`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

export interface ReportContext {
  opts: Options;
  rows: Row[];
  diagnoses: Diagnosis[];
  notes: string[];
  startedAt: Date;
  minutes: number;
  pgVersion: string | null;
  postgresRan: boolean;
  quiet: { before: QuietWindow | null; whole: QuietWindow | null; worst: QuietWindow | null; meanLoad: number; maxLoad: number };
}

function resultsTable(rows: Row[]) {
  const base = rows.find((r) => r.key === 'ceiling-node');
  const b = base && base.rounds.length ? summary(base) : null;
  const lines = [
    '| backend | scenario | server | per second (median, range) | ÷ ceiling | p50 ms | × ceiling | p99 ms | × ceiling | pending | errors | server loop busy | server CPU ms per unit | server RSS MiB (peak) | client loop busy | machine CPU busy (this bench) | load avg |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const row of rows) {
    if (!row.rounds.length) {
      lines.push(`| ${row.backend} | ${row.name} | ${row.where} | not measured: ${(row.skipped ?? '?').replace(/\|/g, '\\|').slice(0, 200)} |  |  |  |  |  |  |  |  |  |  |  |  |  |`);
      continue;
    }
    const s = summary(row);
    lines.push(
      `| ${row.backend} | ${row.name} | ${row.where} | ${fmt.int(s.rate)} ${row.unit} (${fmt.int(s.rateRange[0])}–${fmt.int(s.rateRange[1])}) | ${b ? fmt.x(s.rate / b.rate) : '–'} | ${fmt.ms(s.p50)} | ${b ? fmt.x(s.p50 / b.p50) : '–'} | ${fmt.ms(s.p99)} | ${b ? fmt.x(s.p99 / b.p99) : '–'} | ${s.pending} | ${s.errors} | ${fmt.pct(s.serverElu)} | ${fmt.ms(s.serverCpuPerUnit)} | ${fmt.int(s.rss)} (${fmt.int(s.peakRss)}) | ${fmt.pct(s.clientElu)} | ${fmt.pct(s.machineBusy)} (${fmt.pct(s.benchBusy)}) | ${Number.isFinite(s.loadAvg) ? s.loadAvg.toFixed(1) : '–'} |`,
    );
  }
  return lines.join('\n');
}

function quietLine(q: ReportContext['quiet'], minutes: number): string {
  const top = (w: QuietWindow | null) => (w && w.top.length ? w.top.map((t) => `${t.comm} ${fmt.pct(t.share)}`).join(', ') : 'none above 0.5%');
  const parts: string[] = [];
  if (q.before)
    parts.push(
      `before the run (${q.before.seconds.toFixed(0)} s watched): 1-minute load average ${q.before.loadAvg.toFixed(2)}, other processes ${fmt.pct(q.before.others)} of all CPU time (${top(q.before)})`,
    );
  if (q.whole)
    parts.push(
      `during the run (${minutes.toFixed(1)} min): other processes ${fmt.pct(q.whole.others)} of all CPU time on average` +
        `${q.worst ? `, ${fmt.pct(q.worst.others)} in the busiest 5-s window (${top(q.worst)})` : ''}; busiest others over the whole run: ${top(q.whole)}` +
        `; load average ${Number.isFinite(q.meanLoad) ? q.meanLoad.toFixed(1) : '–'} on average, ${Number.isFinite(q.maxLoad) ? q.maxLoad.toFixed(1) : '–'} at most (the bench itself keeps it near 2). PostgreSQL's own work on the bench's rows counts as others`,
    );
  return parts.length ? `- **How quiet the machine was:** ${parts.join('; ')}.` : '- **How quiet the machine was:** not measured (no /proc).';
}

export function render(c: ReportContext) {
  const { opts, rows } = c;
  const table = resultsTable(rows);
  const targetTable = targets(rows, opts);
  const m = machine();
  const out: string[] = [];
  out.push('# Routing benchmark: latest results');
  out.push('');
  out.push('Written by `npm run bench` (bench/run.ts); what each figure means is in [README.md](README.md).');
  out.push('');
  out.push(`- **Date:** ${c.startedAt.toISOString().replace(/\.\d+Z$/, 'Z')} (run took ${c.minutes.toFixed(1)} min)`);
  out.push(`- **Command:** \`npm run bench${process.argv.length > 2 ? ' -- ' + process.argv.slice(2).join(' ') : ''}\``);
  out.push(`- **Code:** ${codeVersion()}`);
  out.push(`- **Machine:** ${m.nproc} CPUs (nproc), ${m.model}, ${m.memGb.toFixed(1)} GiB memory`);
  out.push(
    `- **Software:** Node ${process.version}, ${process.platform}/${process.arch}; SQLite through better-sqlite3 (WAL, synchronous=NORMAL); PostgreSQL ${c.pgVersion ?? 'not reached'} at 127.0.0.1${c.postgresRan ? '' : ' (not run)'}`,
  );
  out.push(quietLine(c.quiet, c.minutes));
  out.push(
    `- **Load:** ${opts.concurrency} concurrent clients on keep-alive connections, closed loop; warm-up of ${opts.warmup.toLocaleString('en-US')} requests or ${opts.warmupMs / 1000} s, then ${opts.rounds} round${opts.rounds === 1 ? '' : 's'} of ${opts.count.toLocaleString('en-US')} requests or ${opts.roundMs / 1000} s, whichever ends first (the bare endpoints: 4 times the requests, same time limits; a full life is 5 requests, so a fifth as many lives; a drain round is one update per worker); every server in its own process except the row marked in-process. Each scenario starts on a fresh, empty store, built through the API by ${opts.setupConcurrency} clients.`,
  );
  out.push(
    '- **Scenario:** one workspace, 50 queues (`skills HAS \'qN\'`, MaxReservedWorkers 1), one workflow with 50 filters (`queue == \'qN\'`), workers spread evenly over the queues, all Available, `default` channel capacity 50 (`sms` for the Interactions row); tasks round-robin over the queues by their `queue` attribute. A task counts when its create response says `reserved`. The other scenarios build on it (README.md, "What it does").',
  );
  for (const n of c.notes) out.push(`- **Note:** ${n}`);
  out.push('');
  out.push('## Targets');
  out.push('');
  out.push(
    `The issue's targets (issue 13), each against this run's figures: medians over the rounds, "÷ ceiling" the rate divided by the bare node:http endpoint's requests/s in this run.`,
  );
  out.push('');
  out.push(targetTable);
  out.push('');
  out.push('## Results');
  out.push('');
  out.push(
    'Figures are medians over the rounds (range in brackets). "÷ ceiling" is the rate divided by the bare node:http endpoint\'s requests/s; "× ceiling" is how many times the bare endpoint\'s latency. The unit after the rate says what is counted.',
  );
  out.push('');
  out.push(table);
  out.push('');
  const busy = rows.filter((r) => r.rounds.length && summary(r).machineBusy - summary(r).benchBusy > 0.15);
  if (busy.length)
    out.push(
      `**The machine was not quiet:** during ${busy.map(shortName).join('; ')}, other processes (PostgreSQL's own work on its rows, and anything else running, such as other test runs) kept more than 15% of all CPU time busy (see the last two columns). Throughput there is lower, and latency higher, than on a quiet machine; CPU ms per unit is the steadier figure.`,
      '',
    );
  for (const row of rows) if (row.errorSamples.length) out.push(`- ${row.backend} ${row.name}: errors such as \`${row.errorSamples[0].replace(/`/g, "'").slice(0, 200)}\``);
  const setups = rows.filter((r) => r.setupMs !== undefined);
  if (setups.length)
    out.push(
      '',
      `Setup (through the API, ${opts.setupConcurrency} clients; for Prism, its install and start): ${setups.map((r) => `${shortName(r)} ${fmt.s(r.setupMs!)}${r.setupNote ? ` (${r.setupNote})` : ''}`).join('; ')}.`,
    );
  const checked = rows.filter((r) => r.check);
  if (checked.length) {
    out.push(
      '',
      `Store read by the bench after each run (bench/store-check.ts; live = pending, accepted or wrapping reservations): ${checked
        .map(
          (r) =>
            `${shortName(r)}: ${r.check!.tasks.toLocaleString('en-US')} tasks, ${r.check!.reservations.toLocaleString('en-US')} reservations, ${r.check!.doubleReservations} double reservations, ${r.check!.capacityOverruns} capacity overruns`,
        )
        .join('; ')}.`,
    );
    for (const r of checked) for (const s of r.check!.samples) out.push(`- ${shortName(r)}: ${s}`);
  }
  out.push('');
  out.push(...diagnosisSections(c.diagnoses));
  return { table, targets: targetTable, full: out.join('\n') };
}

function diagnosisSections(diagnoses: Diagnosis[]): string[] {
  if (!diagnoses.length) return [];
  const out: string[] = [];
  out.push('## Where the time goes (diagnostic rounds)');
  out.push('');
  out.push(
    `One more round per scenario, on the same server after its measured rounds, with every SQL statement timed and the server's CPU profiled (V8 sampler, 0.5 ms) over exactly that round. The instruments slow the server down, so these rounds are not in the table above. SQLite time is the synchronous statement call on the server's one thread; PostgreSQL time is send to result, during which the thread is free for other requests.`,
  );
  for (const d of diagnoses) {
    out.push('');
    out.push(`### ${d.name}: ${d.tasks.toLocaleString('en-US')} tasks, ${fmt.int(d.round.rate)} tasks/s, p99 ${fmt.ms(d.round.p99)} ms under instruments`);
    out.push('');
    const totalSql = d.sql.reduce((a, s) => a + s.calls, 0);
    const sqlMs = d.sql.reduce((a, s) => a + s.totalMs, 0);
    const wall = d.round.server?.wallMs ?? NaN;
    out.push(
      `${(totalSql / d.tasks).toFixed(1)} SQL calls per task, ${fmt.ms(sqlMs / d.tasks)} ms of SQL per task; server CPU ${fmt.ms((d.round.server?.cpuMs ?? NaN) / d.tasks)} ms per task, its event loop busy ${fmt.pct(d.round.server?.elu ?? NaN)} of ${fmt.ms(wall / 1000)} s.`,
    );
    out.push('');
    out.push('| statement (top 12 by total time) | calls/task | ms/call | ms/task | share of SQL |');
    out.push('| --- | ---: | ---: | ---: | ---: |');
    for (const s of d.sql.slice(0, 12)) {
      const sql = s.sql.replace(/\s+/g, ' ').trim();
      out.push(
        `| \`${(sql.length > 110 ? sql.slice(0, 107) + '...' : sql).replace(/\|/g, '\\|')}\` | ${(s.calls / d.tasks).toFixed(2)} | ${(s.totalMs / s.calls).toFixed(3)} | ${(s.totalMs / d.tasks).toFixed(3)} | ${fmt.pct(s.totalMs / sqlMs)} |`,
      );
    }
    if (d.profile) {
      out.push('');
      out.push('| server CPU by area | share |');
      out.push('| --- | ---: |');
      for (const x of d.profile.categories.slice(0, 12)) out.push(`| ${x.name} | ${fmt.pct(x.share)} |`);
      out.push('');
      out.push('| top functions, self time | share |');
      out.push('| --- | ---: |');
      for (const x of d.profile.selfTop.slice(0, 10)) out.push(`| \`${x.name}\` | ${(x.share * 100).toFixed(1)}% |`);
      out.push('');
      out.push('| src/ functions, inclusive (synchronous part) | share |');
      out.push('| --- | ---: |');
      for (const x of d.profile.inclusiveTop.slice(0, 12)) out.push(`| \`${x.name}\` | ${(x.share * 100).toFixed(1)}% |`);
    }
  }
  out.push('');
  return out;
}
