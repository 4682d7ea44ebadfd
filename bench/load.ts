import http from 'node:http';

/**
 * The load generator: a fixed number of concurrent clients on keep-alive connections, each sending
 * its next request as soon as the previous one is answered (a closed loop), until `count` requests
 * were sent or `maxMs` went by, whichever comes first. Only 127.0.0.1.
 */

export interface RequestSpec {
  method: 'GET' | 'POST';
  path: string;
  /** Form-encoded (or any) body; its content type defaults to application/x-www-form-urlencoded. */
  body?: string;
  headers?: Record<string, string>;
  /** Send to this port instead of the load's own (spreading one load over several servers). */
  port?: number;
}

export interface LoadOptions {
  port: number;
  concurrency: number;
  /** Most requests to send. */
  count: number;
  /** Stop sending new requests after this long (ms); those in flight are still awaited. */
  maxMs: number;
  /** The i-th request (i counts from 0 across all clients). */
  request(i: number): RequestSpec;
  /** Names the outcome of a response ('reserved', 'pending', 'error'...); latencies are kept per outcome. */
  classify?(status: number, body: string, i: number): string;
  onResponse?(done: number): void;
  /** Keep-alive agent to reuse (setup phases); a fresh one is made and destroyed otherwise. */
  agent?: http.Agent;
}

export interface LoadResult {
  completed: number;
  elapsedMs: number;
  outcomes: Record<string, number>;
  /** Latency samples (ms, send to full response) by outcome. */
  latencies: Record<string, number[]>;
  /** First few error descriptions, to show what went wrong. */
  errorSamples: string[];
}

export function newAgent(concurrency: number): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
}

/** A request not answered in this long fails (ms): no phase can hang on a server that stopped answering. */
export const REQUEST_TIMEOUT_MS = 30_000;

export function send(agent: http.Agent, port: number, spec: RequestSpec, timeoutMs = REQUEST_TIMEOUT_MS): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...(spec.headers ?? {}) };
    if (spec.body !== undefined) {
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
      headers['content-length'] = Buffer.byteLength(spec.body);
    }
    const req = http.request({ host: '127.0.0.1', port: spec.port ?? port, method: spec.method, path: spec.path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    req.on('error', reject);
    if (spec.body !== undefined) req.write(spec.body);
    req.end();
  });
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const agent = o.agent ?? newAgent(o.concurrency);
  const outcomes: Record<string, number> = {};
  const latencies: Record<string, number[]> = {};
  const errorSamples: string[] = [];
  let next = 0;
  let completed = 0;
  const started = performance.now();
  const deadline = started + o.maxMs;
  const record = (outcome: string, ms: number, detail?: string) => {
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    (latencies[outcome] ??= []).push(ms);
    if (detail && errorSamples.length < 5) errorSamples.push(detail);
    completed++;
    o.onResponse?.(completed);
  };
  const client = async () => {
    while (next < o.count && performance.now() < deadline) {
      const i = next++;
      const spec = o.request(i);
      const t0 = performance.now();
      try {
        const res = await send(agent, o.port, spec);
        const ms = performance.now() - t0;
        const outcome = o.classify ? o.classify(res.status, res.body, i) : res.status < 400 ? 'ok' : 'error';
        record(outcome, ms, outcome === 'error' ? `${res.status} ${res.body.slice(0, 300)}` : undefined);
      } catch (err) {
        record('error', performance.now() - t0, `transport: ${(err as Error).message}`);
        // A refused or reset connection will not get better by hammering it.
        if ((outcomes.error ?? 0) > 100) break;
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, client));
  const elapsedMs = performance.now() - started;
  if (!o.agent) agent.destroy();
  return { completed, elapsedMs, outcomes, latencies, errorSamples };
}

/** One step of a flow: the response, or the reason to stop the flow there. */
export type Sender = (spec: RequestSpec) => Promise<{ status: number; body: string }>;

export interface FlowOptions {
  port: number;
  concurrency: number;
  /** Most flows to start. */
  count: number;
  /** Start no new flow after this long (ms); those under way are still awaited. */
  maxMs: number;
  /**
   * The i-th flow: several requests in a row (a task's whole life), sent with `send`; returns its
   * outcome ('done', 'pending', 'error'...) and, for an error, what happened.
   */
  flow(i: number, send: Sender): Promise<{ outcome: string; detail?: string }>;
  onResponse?(done: number): void;
}

/**
 * The same closed loop as runLoad, but each client runs a whole flow of requests before starting
 * the next one; latencies are per flow (first send to last answer).
 */
export async function runFlows(o: FlowOptions): Promise<LoadResult> {
  const agent = newAgent(o.concurrency);
  const outcomes: Record<string, number> = {};
  const latencies: Record<string, number[]> = {};
  const errorSamples: string[] = [];
  let next = 0;
  let completed = 0;
  const started = performance.now();
  const deadline = started + o.maxMs;
  const sender: Sender = (spec) => send(agent, o.port, spec);
  const client = async () => {
    while (next < o.count && performance.now() < deadline) {
      const i = next++;
      const t0 = performance.now();
      let result: { outcome: string; detail?: string };
      try {
        result = await o.flow(i, sender);
      } catch (err) {
        result = { outcome: 'error', detail: `transport: ${(err as Error).message}` };
      }
      outcomes[result.outcome] = (outcomes[result.outcome] ?? 0) + 1;
      (latencies[result.outcome] ??= []).push(performance.now() - t0);
      if (result.detail && errorSamples.length < 5) errorSamples.push(result.detail);
      o.onResponse?.(++completed);
      if ((outcomes.error ?? 0) > 100) break;
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, client));
  const elapsedMs = performance.now() - started;
  agent.destroy();
  return { completed, elapsedMs, outcomes, latencies, errorSamples };
}
