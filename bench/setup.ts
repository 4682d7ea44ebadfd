import type http from 'node:http';
import { performance } from 'node:perf_hooks';
import { runLoad, send, type RequestSpec } from './load.ts';
import type { Progress } from './progress.ts';

/**
 * Builds the routing scenario through the public API, as a user would: one workspace, 50 queues
 * selecting workers by skill (`skills HAS 'qN'`), one workflow whose 50 filters send a task to the
 * queue its `queue` attribute names (the usual way a Twilio workflow routes by attribute), and
 * N workers, all Available, each with one skill (spread evenly over the queues) and a 'default'
 * channel capacity of 50 so that every task finds a worker with room (nothing is completed). The
 * Interactions scenario raises the 'sms' channel's capacity instead, as its tasks are SMS tasks.
 * The other scenarios build theirs from the same pieces (large.ts).
 */

export const QUEUES = 50;
export const CAPACITY = 50;

export interface Scenario {
  workspaceSid: string;
  workflowSid: string;
  queueSids: string[];
  workerCount: number;
  auth: string;
}

export interface Api {
  port: number;
  agent: http.Agent;
  auth: string;
}

export const form = (params: Record<string, string | number>) =>
  new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])).toString();

/** One API call during setup; anything but 2xx fails the setup. */
export async function call(api: Api, spec: RequestSpec): Promise<any> {
  const res = await send(api.agent, api.port, { ...spec, headers: { authorization: api.auth, ...(spec.headers ?? {}) } });
  if (res.status >= 300) throw new Error(`${spec.method} ${spec.path} -> ${res.status} ${res.body.slice(0, 500)}`);
  return JSON.parse(res.body);
}

export const basicAuth = (user: string, password: string) => 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');

export interface SetupOptions {
  progress: Progress;
  label: string;
  /** Concurrent clients (the server routes on one thread; a few keep it busy). */
  concurrency: number;
  /** A phase fails past this long (ms). */
  maxMs: number;
}

/** `count` setup requests by `concurrency` clients, with the progress bar; any failure fails the setup. */
export async function createMany(
  api: Api,
  o: SetupOptions,
  phase: string,
  count: number,
  request: (i: number) => RequestSpec,
  onBody?: (i: number, body: any) => void,
): Promise<number> {
  const t0 = performance.now();
  o.progress.start(`${o.label} setup: ${phase}`, count);
  const result = await runLoad({
    port: api.port,
    agent: api.agent,
    concurrency: o.concurrency,
    count,
    maxMs: o.maxMs,
    request: (i) => ({ ...request(i), headers: { authorization: api.auth } }),
    classify: (status, body, i) => {
      if (status >= 300) return 'error';
      onBody?.(i, JSON.parse(body));
      return 'ok';
    },
    onResponse: (n) => o.progress.set(n),
  });
  o.progress.end();
  if (result.outcomes.error) throw new Error(`setup ${phase} failed ${result.outcomes.error} times: ${result.errorSamples.join(' | ')}`);
  if (result.completed < count) throw new Error(`setup ${phase}: only ${result.completed} of ${count} done in ${(o.maxMs / 1000).toFixed(0)} s`);
  return performance.now() - t0;
}

export const TR = '/taskrouter/v1';

/** A new workspace and the SIDs of its default activities. */
export async function newWorkspace(api: Api, name: string) {
  const ws = await call(api, { method: 'POST', path: `${TR}/Workspaces`, body: form({ FriendlyName: name }) });
  const w = `${TR}/Workspaces/${ws.sid}`;
  const activities = await call(api, { method: 'GET', path: `${w}/Activities?PageSize=50` });
  const sid = (name: string) => (activities.activities as { sid: string; friendly_name: string }[]).find((a) => a.friendly_name === name)!.sid;
  return { sid: ws.sid as string, path: w, available: sid('Available'), offline: sid('Offline') };
}

/** Queue N selects `skills HAS 'qN'` and reserves one worker per task. */
export function queueRequest(w: string, q: number): RequestSpec {
  return { method: 'POST', path: `${w}/TaskQueues`, body: form({ FriendlyName: `q${q}`, TargetWorkers: `skills HAS 'q${q}'`, MaxReservedWorkers: 1 }) };
}

/** One workflow whose filter N sends a task whose `queue` attribute is 'qN' to queue N. */
export async function byQueueWorkflow(api: Api, w: string, queueSids: string[]): Promise<string> {
  const configuration = {
    task_routing: {
      filters: queueSids.map((sid, q) => ({ filter_friendly_name: `q${q}`, expression: `queue == 'q${q}'`, targets: [{ queue: sid }] })),
      default_filter: { queue: queueSids[0] },
    },
  };
  const workflow = await call(api, {
    method: 'POST',
    path: `${w}/Workflows`,
    // The longest reservation timeout, so no reservation times out (and sends its worker Offline) mid-run.
    body: form({ FriendlyName: 'by queue attribute', Configuration: JSON.stringify(configuration), TaskReservationTimeout: 86_400 }),
  });
  return workflow.sid;
}

export async function setupScenario(
  api: Api,
  workerCount: number,
  o: SetupOptions & { channel?: string },
): Promise<Scenario> {
  const channel = o.channel ?? 'default';
  const ws = await newWorkspace(api, `bench ${workerCount}`);
  const w = ws.path;
  const queueSids: string[] = [];
  for (let q = 0; q < QUEUES; q++) queueSids.push((await call(api, queueRequest(w, q))).sid);
  const workflowSid = await byQueueWorkflow(api, w, queueSids);

  const workerSids: string[] = new Array(workerCount);
  await createMany(
    api,
    o,
    'workers',
    workerCount,
    (i) => ({
      method: 'POST',
      path: `${w}/Workers`,
      body: form({ FriendlyName: `agent${i}`, ActivitySid: ws.available, Attributes: JSON.stringify({ skills: [`q${i % QUEUES}`], agent: i }) }),
    }),
    (i, body) => (workerSids[i] = body.sid),
  );
  await createMany(api, o, `${channel} channel capacity`, workerCount, (i) => ({
    method: 'POST',
    path: `${w}/Workers/${workerSids[i]}/Channels/${channel}`,
    body: form({ Capacity: CAPACITY }),
  }));
  return { workspaceSid: ws.sid, workflowSid, queueSids, workerCount, auth: api.auth };
}

/** The create request of the i-th task: round-robin over the queues by its `queue` attribute. */
export function taskRequest(s: Scenario, i: number): RequestSpec {
  const attributes = JSON.stringify({ queue: `q${i % QUEUES}`, customer: `c${i}` });
  return {
    method: 'POST',
    path: `/taskrouter/v1/Workspaces/${s.workspaceSid}/Tasks`,
    body: form({ WorkflowSid: s.workflowSid, Attributes: attributes }),
    headers: { authorization: s.auth },
  };
}

/** A create response: 'reserved' (what we time), 'pending' (no worker was free), or 'error'. */
export function classifyTask(status: number, body: string): string {
  if (status !== 201) return 'error';
  const status_ = (JSON.parse(body) as { assignment_status?: string }).assignment_status;
  return status_ === 'reserved' ? 'reserved' : status_ === 'pending' ? 'pending' : 'error';
}
