import { runFlows, type Sender } from './load.ts';
import { outcomeNote, type Bench, type Round, type Row } from './measure.ts';
import { form, setupScenario, taskRequest, type Scenario } from './setup.ts';
import { checkStore } from './store-check.ts';
import { startSwitchyard } from './switchyard.ts';

/**
 * A task's full life on SQLite, as an agent application drives it over the REST API: create (the
 * response says reserved), find the pending reservation (the create response does not name it:
 * GET the task's reservations), accept it (reservation update), wrap up, complete (task updates).
 * Five requests per life, one after the other on one client; a life counts when the complete is
 * answered `completed`. Same workspace as the 1,000-worker row.
 */

const REQUESTS_PER_LIFE = 5;

async function life(s: Scenario, i: number, send: Sender): Promise<{ outcome: string; detail?: string }> {
  const w = `/taskrouter/v1/Workspaces/${s.workspaceSid}`;
  const headers = { authorization: s.auth };
  const fail = (step: string, res: { status: number; body: string }) => ({ outcome: 'error', detail: `${step}: ${res.status} ${res.body.slice(0, 300)}` });
  const created = await send(taskRequest(s, i));
  if (created.status !== 201) return fail('create', created);
  const task = JSON.parse(created.body) as { sid: string; assignment_status: string };
  if (task.assignment_status === 'pending') return { outcome: 'pending' };
  const listed = await send({ method: 'GET', path: `${w}/Tasks/${task.sid}/Reservations?ReservationStatus=pending`, headers });
  if (listed.status !== 200) return fail('list reservations', listed);
  const reservation = (JSON.parse(listed.body) as { reservations: { sid: string }[] }).reservations[0];
  if (!reservation) return fail('list reservations', { status: listed.status, body: 'no pending reservation for a reserved task' });
  const accepted = await send({
    method: 'POST',
    path: `${w}/Tasks/${task.sid}/Reservations/${reservation.sid}`,
    body: form({ ReservationStatus: 'accepted' }),
    headers,
  });
  if (accepted.status !== 200) return fail('accept', accepted);
  for (const status of ['wrapping', 'completed']) {
    const res = await send({ method: 'POST', path: `${w}/Tasks/${task.sid}`, body: form({ AssignmentStatus: status }), headers });
    if (res.status !== 200) return fail(status, res);
    if (status === 'completed' && (JSON.parse(res.body) as { assignment_status: string }).assignment_status !== 'completed')
      return fail('complete', { status: res.status, body: res.body });
  }
  return { outcome: 'done' };
}

export async function lifeRow(bench: Bench, workers: number): Promise<Row> {
  const label = `full life ${workers / 1000}k`;
  const sy = await startSwitchyard(bench, 'sqlite');
  try {
    const t0 = performance.now();
    const scenario = await setupScenario(sy.api, workers, sy.setup(label));
    const setupMs = performance.now() - t0;
    let offset = 0;
    const errorSamples: string[] = [];
    // Five requests per life: a fifth as many lives as the other rows' requests per round.
    const phase = async (title: string, count: number, maxMs: number) => {
      const start = offset;
      bench.progress.start(`${label} ${title}`, count);
      const result = await runFlows({
        port: sy.api.port,
        concurrency: bench.opts.concurrency,
        count,
        maxMs: Math.min(maxMs, bench.remainingMs()),
        flow: (i, send) => life(scenario, start + i, send),
        onResponse: (n) => bench.progress.set(n),
      });
      bench.progress.end(outcomeNote(result));
      offset += result.completed;
      errorSamples.push(...result.errorSamples);
      return result;
    };
    const per = (n: number) => Math.max(1, Math.round(n / REQUESTS_PER_LIFE));
    await phase('warm-up', per(bench.opts.warmup), bench.opts.warmupMs);
    const rounds: Round[] = [];
    for (let r = 1; r <= bench.opts.rounds; r++)
      rounds.push(await bench.round(sy.servers, async () => ({ result: await phase(`round ${r}/${bench.opts.rounds}`, per(bench.opts.count), bench.opts.roundMs), good: 'done' })));
    const check = await checkStore(sy.reader(), scenario.workspaceSid);
    return {
      key: 'life',
      name: `full life: create → accept → wrap up → complete (${REQUESTS_PER_LIFE} requests each), ${workers.toLocaleString('en-US')} workers`,
      backend: 'sqlite',
      unit: 'lives',
      workers,
      where: 'child',
      setupMs,
      check,
      rounds,
      errorSamples: errorSamples.slice(0, 5),
    };
  } finally {
    await sy.done();
  }
}
