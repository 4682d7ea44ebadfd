import type http from 'node:http';
import { runLoad, send, type RequestSpec } from './load.ts';
import type { Progress } from './progress.ts';

/**
 * Builds the routing scenario through the public API, as a user would: one workspace, 50 queues
 * selecting workers by skill (`skills HAS 'qN'`), one workflow whose 50 filters send a task to the
 * queue its `queue` attribute names (the usual way a Twilio workflow routes by attribute), and
 * N workers, all Available, each with one skill (spread evenly over the queues) and a 'default'
 * channel capacity of 50 so that every task finds a worker with room (nothing is completed).
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

const form = (params: Record<string, string | number>) =>
  new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])).toString();

async function call(api: Api, spec: RequestSpec): Promise<any> {
  const res = await send(api.agent, api.port, { ...spec, headers: { authorization: api.auth, ...(spec.headers ?? {}) } });
  if (res.status >= 300) throw new Error(`${spec.method} ${spec.path} -> ${res.status} ${res.body.slice(0, 500)}`);
  return JSON.parse(res.body);
}

export const basicAuth = (user: string, password: string) => 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');

export async function setupScenario(api: Api, workerCount: number, progress: Progress, label: string): Promise<Scenario> {
  const tr = '/taskrouter/v1';
  const ws = await call(api, { method: 'POST', path: `${tr}/Workspaces`, body: form({ FriendlyName: `bench ${workerCount}` }) });
  const w = `${tr}/Workspaces/${ws.sid}`;
  const activities = await call(api, { method: 'GET', path: `${w}/Activities?FriendlyName=Available` });
  const available = activities.activities[0].sid as string;

  const queueSids: string[] = [];
  for (let q = 0; q < QUEUES; q++) {
    const queue = await call(api, {
      method: 'POST',
      path: `${w}/TaskQueues`,
      body: form({ FriendlyName: `q${q}`, TargetWorkers: `skills HAS 'q${q}'`, MaxReservedWorkers: 1 }),
    });
    queueSids.push(queue.sid);
  }
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

  const workerSids: string[] = new Array(workerCount);
  const concurrency = 4;
  const creating = async (phase: string, request: (i: number) => RequestSpec, onBody?: (i: number, body: any) => void) => {
    progress.start(`${label} setup: ${phase}`, workerCount);
    const result = await runLoad({
      port: api.port,
      agent: api.agent,
      concurrency,
      count: workerCount,
      maxMs: 30 * 60_000,
      request: (i) => ({ ...request(i), headers: { authorization: api.auth } }),
      classify: (status, body, i) => {
        if (status >= 300) return 'error';
        onBody?.(i, JSON.parse(body));
        return 'ok';
      },
      onResponse: (n) => progress.set(n),
    });
    progress.end();
    if (result.outcomes.error) throw new Error(`setup ${phase} failed ${result.outcomes.error} times: ${result.errorSamples.join(' | ')}`);
  };
  await creating(
    'workers',
    (i) => ({
      method: 'POST',
      path: `${w}/Workers`,
      body: form({ FriendlyName: `agent${i}`, ActivitySid: available, Attributes: JSON.stringify({ skills: [`q${i % QUEUES}`], agent: i }) }),
    }),
    (i, body) => (workerSids[i] = body.sid),
  );
  await creating('channel capacity', (i) => ({
    method: 'POST',
    path: `${w}/Workers/${workerSids[i]}/Channels/default`,
    body: form({ Capacity: CAPACITY }),
  }));
  return { workspaceSid: ws.sid, workflowSid: workflow.sid, queueSids, workerCount, auth: api.auth };
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
