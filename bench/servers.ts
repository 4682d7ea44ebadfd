import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SqlStat } from './sql-timing.ts';
import { startTarget, type TargetConfig } from './target.ts';

export interface ServerSample {
  wallMs: number;
  /** Event-loop utilisation of the server process: near 1 means its one thread was always busy. */
  elu: number;
  cpuMs: number;
  rssMb: number;
  /** Peak resident size of the process since it started. */
  maxRssMb: number;
  /** V8 heap in use at the read. */
  heapMb: number;
  sql: SqlStat[];
}

/** A running bench server, in a child process or (for comparison) in this one. */
export interface RunningServer {
  port: number;
  where: 'child' | 'in-process';
  /** Starts a measured window; `diagnose` also times SQL and profiles the CPU into that file. */
  mark(diagnose?: { profileFile: string }): Promise<void>;
  read(): Promise<ServerSample | null>;
  stop(): Promise<void>;
}

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));

export async function spawnServer(
  config: TargetConfig,
  options: { startTimeoutMs?: number } = {},
): Promise<RunningServer> {
  const execArgv = ['--import', 'tsx'];
  const child: ChildProcess = fork(CHILD, [JSON.stringify(config)], {
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let nextId = 1;
  const waiting = new Map<number, (result: unknown) => void>();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('bench server did not start in time')), options.startTimeoutMs ?? 60_000);
    child.on('message', (m: { ready?: boolean; port?: number; failed?: string; id?: number; result?: unknown }) => {
      if (m.ready) {
        clearTimeout(timer);
        resolve(m.port!);
      } else if (m.failed) {
        clearTimeout(timer);
        reject(new Error(`bench server failed to start: ${m.failed}`));
      } else if (m.id !== undefined) {
        waiting.get(m.id)?.(m.result);
        waiting.delete(m.id);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`bench server exited with code ${code}`));
    });
  });
  const call = (cmd: string, extra: Record<string, unknown> = {}, timeoutMs = 30_000) =>
    new Promise<unknown>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => reject(new Error(`bench server did not answer '${cmd}'`)), timeoutMs);
      waiting.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      // With a callback, a closed channel (the server died) rejects this call instead of throwing an 'error' event.
      child.send({ id, cmd, ...extra }, (err) => {
        if (!err) return;
        clearTimeout(timer);
        waiting.delete(id);
        reject(new Error(`bench server unreachable for '${cmd}': ${err.message}`));
      });
    });
  return {
    port,
    where: 'child',
    mark: async (diagnose) => void (await call('mark', { diagnose })),
    read: async () => (await call('read')) as ServerSample,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // Its IPC channel gone (it was interrupted with the bench, say): nothing to ask, only to end it.
      if (!child.connected) child.kill('SIGKILL');
      else await call('stop').catch(() => child.kill('SIGKILL'));
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** The same server in this process: the load generator then shares its event loop (for comparison only). */
export async function inProcessServer(config: TargetConfig): Promise<RunningServer> {
  const target = await startTarget(config);
  return { port: target.port, where: 'in-process', mark: async () => undefined, read: async () => null, stop: () => target.close() };
}
