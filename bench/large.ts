import { join } from 'node:path';
import { runLoad } from './load.ts';
import { outcomeNote, type Bench, type Diagnosis, type Round, type Row } from './measure.ts';
import { LARGE_DEFAULTS, isFull } from './options.ts';
import {
  CAPACITY,
  QUEUES,
  byQueueWorkflow,
  classifyTask,
  createMany,
  form,
  newWorkspace,
  queueRequest,
  taskRequest,
  type Scenario,
} from './setup.ts';
import { checkStore } from './store-check.ts';
import type { StoreReader } from './stores.ts';
import { startSwitchyard } from './switchyard.ts';

/**
 * Twilio's largest workspace on SQLite: 15,000 workers, 5,000 queues, 100,000 tasks waiting
 * (sizes are options). Built through the API, queues first, then workers, then the waiting tasks:
 *
 * - the 1,000-worker row's routing inside it: queues q0..q49 with 1,000 Available workers
 *   (capacity 50) and the same 50-filter workflow; the create rate is measured on them, with
 *   everything else around: the issue's "create rate with 100,000 waiting";
 * - the rest of the queues (q50...) each select their own Offline workers (capacity 1, as a
 *   worker is made) and hold the waiting tasks, created straight into them with TaskQueueSid
 *   while nobody can take them;
 * - then each drain round moves workers Offline → Available (worker update, ActivitySid), each in
 *   a different queue, each taking one waiting task: the bench counts the reservations made
 *   since the round started in the store, until there are as many as workers (or it stops growing).
 *
 * Memory: the server process's resident size (and its peak since it started) and V8 heap, read
 * after setup and after every round.
 */

const LIVE_WORKERS = 1000;

export async function largeRows(bench: Bench, diag: { profileDir?: string } = {}): Promise<{ rows: Row[]; note: string; diagnoses: Diagnosis[] }> {
  const size = bench.opts.large;
  const waitingQueues = size.queues - QUEUES;
  const offline = size.workers - LIVE_WORKERS;
  const warmDrain = Math.max(1, Math.ceil(size.drain / 10));
  const diagDrain = diag.profileDir ? size.drain : 0;
  if (waitingQueues < 1 || offline < warmDrain + size.drain * bench.opts.rounds + diagDrain)
    throw new Error(
      `largest workspace: ${size.queues} queues and ${size.workers} workers leave too few for ${QUEUES} routing queues, ${LIVE_WORKERS} routing workers and ${bench.opts.rounds} drain rounds of ${size.drain}${diagDrain ? ' and a diagnostic one' : ''}`,
    );
  const label = 'largest workspace';
  const sy = await startSwitchyard(bench, 'sqlite');
  try {
    const o = sy.setup(label);
    const api = sy.api;
    const t0 = performance.now();
    const ws = await newWorkspace(api, 'bench largest workspace');
    const w = ws.path;
    const queueSids: string[] = new Array(size.queues);
    const phases: string[] = [];
    const took = (what: string, n: number, ms: number) => phases.push(`${what} ${n.toLocaleString('en-US')} in ${(ms / 1000).toFixed(1)} s (${Math.round((n / ms) * 1000)}/s)`);
    took('queues', size.queues, await createMany(api, o, 'queues', size.queues, (q) => queueRequest(w, q), (q, b) => (queueSids[q] = b.sid)));
    const workflowSid = await byQueueWorkflow(api, w, queueSids.slice(0, QUEUES));
    // Worker i < 1,000 routes (q0..q49, Available); the others wait Offline, spread over q50...
    const skill = (i: number) => (i < LIVE_WORKERS ? i % QUEUES : QUEUES + ((i - LIVE_WORKERS) % waitingQueues));
    const workerSids: string[] = new Array(size.workers);
    const made = await createMany(
      api,
      o,
      'workers',
      size.workers,
      (i) => ({
        method: 'POST',
        path: `${w}/Workers`,
        body: form({
          FriendlyName: `agent${i}`,
          ActivitySid: i < LIVE_WORKERS ? ws.available : ws.offline,
          Attributes: JSON.stringify({ skills: [`q${skill(i)}`], agent: i }),
        }),
      }),
      (i, b) => (workerSids[i] = b.sid),
    );
    took('workers', size.workers, made);
    took(
      'capacity updates',
      LIVE_WORKERS,
      await createMany(api, o, 'capacity', LIVE_WORKERS, (i) => ({
        method: 'POST',
        path: `${w}/Workers/${workerSids[i]}/Channels/default`,
        body: form({ Capacity: CAPACITY }),
      })),
    );
    took(
      'waiting tasks',
      size.waiting,
      await createMany(api, o, 'waiting tasks', size.waiting, (k) => ({
        method: 'POST',
        path: `${w}/Tasks`,
        body: form({ TaskQueueSid: queueSids[QUEUES + (k % waitingQueues)], Attributes: JSON.stringify({ waiting: k }) }),
      })),
    );
    const setupMs = performance.now() - t0;
    const reader = sy.reader();
    const [{ n: pending }] = await reader.all<{ n: number }>("SELECT COUNT(*) AS n FROM tasks WHERE workspace_sid = ? AND assignment_status = 'pending'", [ws.sid]);
    if (Number(pending) !== size.waiting) throw new Error(`largest workspace: ${pending} tasks pending after setup, expected ${size.waiting}`);
    await sy.servers[0].mark();
    const afterSetup = await sy.servers[0].read();
    const note =
      `Largest workspace (${size.workers.toLocaleString('en-US')} workers, ${size.queues.toLocaleString('en-US')} queues, ${size.waiting.toLocaleString('en-US')} tasks waiting` +
      `${isFull(size) ? '' : `; the issue's sizes are ${LARGE_DEFAULTS.workers.toLocaleString('en-US')}, ${LARGE_DEFAULTS.queues.toLocaleString('en-US')} and ${LARGE_DEFAULTS.waiting.toLocaleString('en-US')}`}) ` +
      `set up through the API by ${bench.opts.setupConcurrency} clients in ${(setupMs / 1000).toFixed(1)} s (by phase under the results). ` +
      (afterSetup ? `Server memory after setup: RSS ${afterSetup.rssMb.toFixed(0)} MiB, V8 heap ${afterSetup.heapMb.toFixed(0)} MiB.` : '');

    // The create rate, with everything above waiting around it.
    const scenario: Scenario = { workspaceSid: ws.sid, workflowSid, queueSids: queueSids.slice(0, QUEUES), workerCount: LIVE_WORKERS, auth: api.auth };
    const diagnose = diag.profileDir ? { name: 'largest workspace, create', profileFile: join(diag.profileDir, 'large-create.cpuprofile') } : undefined;
    const { diagnosis, ...created } = await bench.measure(sy.servers, `${label} create`, (i) => taskRequest(scenario, i), { classify: classifyTask, good: 'reserved', diagnose });

    // The drains: a warm-up one (not counted), then one per round, each on workers not yet used.
    let next = LIVE_WORKERS;
    const drainSamples: string[] = [];
    const drain = async (title: string, count: number) => {
      const sids = workerSids.slice(next, next + count);
      next += count;
      const phase = await drainPhase(bench, sy.api.port, api.auth, w, ws.available, sids, reader, ws.sid, `${label} ${title}`);
      drainSamples.push(...phase.result.errorSamples);
      return phase;
    };
    await drain('drain warm-up', warmDrain);
    const rounds: Round[] = [];
    for (let r = 1; r <= bench.opts.rounds; r++)
      rounds.push(await bench.round(sy.servers, () => drain(`drain ${r}/${bench.opts.rounds}`, size.drain)));
    const diagnoses = diagnosis ? [diagnosis] : [];
    if (diag.profileDir)
      diagnoses.push(
        await bench.diagnosticRound(sy.servers, { name: 'largest workspace, drain', profileFile: join(diag.profileDir, 'large-drain.cpuprofile') }, () =>
          drain('drain diagnostic round', size.drain),
        ),
      );
    const check = await checkStore(reader, ws.sid);
    const common = { backend: 'sqlite' as const, where: 'child' as const, workers: size.workers };
    return {
      note,
      diagnoses,
      rows: [
        {
          key: 'large-create',
          name: `largest workspace: tasks created → reserved on the 1,000 Available workers, ${size.waiting.toLocaleString('en-US')} tasks waiting elsewhere`,
          unit: 'tasks',
          setupMs,
          setupNote: phases.join('; '),
          ...common,
          ...created,
        },
        {
          key: 'large-drain',
          name: `largest workspace: ${size.drain.toLocaleString('en-US')} workers going Available (REST), one waiting task each (rate in reservations/s; latency of the worker update)`,
          unit: 'reservations',
          ...common,
          check,
          rounds,
          errorSamples: drainSamples.slice(0, 5),
        },
      ],
    };
  } finally {
    await sy.done();
  }
}

/**
 * Moves `workerSids` to Available, `concurrency` at a time, then counts the reservations the store
 * holds that were made since: done when there is one per worker, or when the count has not grown
 * for 5 s (bounded at 60 s after the last answer). The rate is reservations per second from the
 * first update sent to the moment the bench saw the last of them.
 */
async function drainPhase(
  bench: Bench,
  port: number,
  auth: string,
  w: string,
  available: string,
  workerSids: string[],
  reader: StoreReader,
  workspaceSid: string,
  label: string,
) {
  const count = async (since: number) =>
    Number(
      (await reader.all<{ n: number }>('SELECT COUNT(*) AS n FROM reservations WHERE workspace_sid = ? AND date_created >= ?', [workspaceSid, since]))[0].n,
    );
  const sinceMs = Date.now();
  const t0 = performance.now();
  bench.progress.start(label, workerSids.length);
  const result = await runLoad({
    port,
    concurrency: bench.opts.concurrency,
    count: workerSids.length,
    maxMs: Math.min(bench.opts.roundMs, bench.remainingMs()),
    request: (i) => ({ method: 'POST', path: `${w}/Workers/${workerSids[i]}`, body: form({ ActivitySid: available }), headers: { authorization: auth } }),
    classify: (status) => (status === 200 ? 'ok' : 'error'),
    onResponse: (n) => bench.progress.set(n),
  });
  let seen = await count(sinceMs);
  let seenAt = performance.now();
  const giveUp = seenAt + 60_000;
  while (seen < result.completed && performance.now() < giveUp && performance.now() - seenAt < 5000) {
    await new Promise((r) => setTimeout(r, 25));
    const n = await count(sinceMs);
    if (n > seen) (seen = n), (seenAt = performance.now());
  }
  bench.progress.end(`${outcomeNote(result)}, ${seen} reservations in ${((seenAt - t0) / 1000).toFixed(2)} s`);
  return { result, good: 'ok', counted: { n: seen, ms: seenAt - t0 } };
}
