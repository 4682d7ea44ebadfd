import { fileURLToPath } from 'node:url';

/** The bench's command-line options (bench/README.md lists them). */

export type Backend = 'sqlite' | 'postgres';

/** What one `npm run bench` can run; `--scenarios=a,b` picks some (all by default). */
export const SCENARIOS = ['ceiling', 'sqlite', 'postgres', 'in-process', 'large', 'cluster', 'interactions', 'life', 'prism'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** Twilio's largest workspace, as the issue gives it. */
export const LARGE_DEFAULTS = { workers: 15_000, queues: 5_000, waiting: 100_000, drain: 1_000 } as const;

/** Whether these sizes are at least the (only then can a target set for them be met). */
export function isFull(size: LargeSizes) {
  return size.workers >= LARGE_DEFAULTS.workers && size.queues >= LARGE_DEFAULTS.queues && size.waiting >= LARGE_DEFAULTS.waiting && size.drain >= LARGE_DEFAULTS.drain;
}

export interface LargeSizes {
  workers: number;
  queues: number;
  waiting: number;
  /** Workers going Available per drain round (each takes one waiting task). */
  drain: number;
}

export interface Options {
  quick: boolean;
  rounds: number;
  count: number;
  warmup: number;
  concurrency: number;
  roundMs: number;
  warmupMs: number;
  scenarios: Set<ScenarioName>;
  backends: Backend[];
  workers: number[];
  diagnose: boolean;
  diagCount: number;
  diagMs: number;
  large: LargeSizes;
  /** Concurrent clients building a scenario through the API. */
  setupConcurrency: number;
  /** Server processes of the PostgreSQL cluster scenario. */
  nodes: number;
  /** An existing folder holding node_modules/.bin/prism (else Prism is installed into a temporary folder). */
  prismDir: string | null;
  /** Twilio's TaskRouter OpenAPI spec for Prism (default: ../shared/reference/openapi/twilio_taskrouter_v1.json). */
  prismSpec: string | null;
  out: string | null;
  /** Also write the raw rounds and diagnostics (every SQL statement) as JSON here. */
  dump: string | null;
  deadlineMs: number;
  /** Seconds to watch the machine before the run starts, to say how quiet it was. */
  quietSeconds: number;
}

export function parseOptions(argv: string[]): Options {
  const flags = new Map<string, string>();
  for (const a of argv) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new Error(`Unknown argument ${a} (see bench/README.md)`);
    flags.set(m[1], m[2] ?? 'true');
  }
  const known = new Set([
    'quick', 'rounds', 'count', 'warmup', 'concurrency', 'round-seconds', 'warmup-seconds', 'scenarios', 'backends', 'workers',
    'diagnose', 'no-diagnose', 'diag-count', 'diag-seconds', 'in-process', 'no-in-process', 'large-workers', 'large-queues',
    'large-waiting', 'large-drain', 'setup-concurrency', 'nodes', 'prism-dir', 'prism-spec', 'out', 'dump', 'max-minutes', 'quiet-seconds',
  ]);
  for (const k of flags.keys()) if (!known.has(k)) throw new Error(`Unknown option --${k} (see bench/README.md)`);
  const quick = flags.has('quick');
  const num = (name: string, dflt: number) => {
    const v = flags.get(name);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
    return n;
  };
  const list = (name: string, dflt: string) => (flags.get(name) ?? dflt).split(',').filter(Boolean);

  const scenarios = new Set<ScenarioName>();
  for (const s of list('scenarios', SCENARIOS.join(','))) {
    if (!(SCENARIOS as readonly string[]).includes(s)) throw new Error(`--scenarios: unknown scenario '${s}' (one of ${SCENARIOS.join(', ')})`);
    scenarios.add(s as ScenarioName);
  }
  // The older switches still work: --no-in-process drops that row; --quick leaves it out unless asked for.
  if (flags.has('no-in-process') || (quick && !flags.has('in-process') && !flags.has('scenarios'))) scenarios.delete('in-process');
  const backends = list('backends', 'sqlite,postgres') as Backend[];
  for (const b of backends) if (b !== 'sqlite' && b !== 'postgres') throw new Error(`--backends: unknown backend '${b}'`);

  // --quick shrinks the largest workspace tenfold, unless the sizes are given.
  const shrink = quick ? 10 : 1;
  const large: LargeSizes = {
    workers: num('large-workers', LARGE_DEFAULTS.workers / shrink),
    queues: num('large-queues', LARGE_DEFAULTS.queues / shrink),
    waiting: num('large-waiting', LARGE_DEFAULTS.waiting / shrink),
    drain: num('large-drain', LARGE_DEFAULTS.drain / shrink),
  };
  const out = flags.get('out') ?? (quick ? null : fileURLToPath(new URL('./RESULTS.md', import.meta.url)));
  return {
    quick,
    rounds: num('rounds', quick ? 1 : 3),
    count: num('count', quick ? 1500 : 6000),
    warmup: num('warmup', quick ? 300 : 1500),
    concurrency: num('concurrency', 16),
    roundMs: num('round-seconds', 30) * 1000,
    warmupMs: num('warmup-seconds', 10) * 1000,
    scenarios,
    backends,
    workers: list('workers', quick ? '1000' : '1000,10000').map(Number),
    diagnose: flags.has('diagnose') || (!flags.has('no-diagnose') && !quick),
    diagCount: num('diag-count', 3000),
    diagMs: num('diag-seconds', 30) * 1000,
    large,
    setupConcurrency: num('setup-concurrency', 8),
    nodes: num('nodes', 3),
    prismDir: flags.get('prism-dir') ?? null,
    prismSpec: flags.get('prism-spec') ?? null,
    out: out === 'none' ? null : out,
    dump: flags.get('dump') ?? null,
    deadlineMs: num('max-minutes', 90) * 60_000,
    quietSeconds: num('quiet-seconds', quick ? 2 : 10),
  };
}
