import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { newAgent, send } from './load.ts';
import type { Bench, Row } from './measure.ts';
import type { RunningServer, ServerSample } from './servers.ts';
import { taskRequest } from './setup.ts';
import { auth } from './switchyard.ts';

/**
 * The baseline Twilio's docs suggest for a local TaskRouter: Stoplight Prism mocking Twilio's
 * TaskRouter OpenAPI spec. Prism is installed for the run (`npm install --prefix` a temporary
 * folder; it is no dependency of the project) unless --prism-dir names an install, started as
 * `prism mock <spec> -p <port>`, and sent the same create request as the Switchyard rows (same
 * form body, same Basic auth header; the path without the /taskrouter prefix, as on Twilio's
 * host), by the same load generator. A request counts when Prism answers 201 (its example task).
 * It validates the request against the spec and routes nothing. When it cannot be installed or
 * started, its row says why and the run goes on.
 */

export const PRISM_PACKAGE = '@stoplight/prism-cli@5';
const DEFAULT_SPEC = fileURLToPath(new URL('../../shared/reference/openapi/twilio_taskrouter_v1.json', import.meta.url));
const INSTALL_MS = 5 * 60_000;

function npmInstall(dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      'npm',
      ['install', '--prefix', dir, '--no-audit', '--no-fund', '--no-save', '--loglevel=error', PRISM_PACKAGE],
      { timeout: INSTALL_MS, maxBuffer: 16 * 2 ** 20 },
      (err, _stdout, stderr) => (err ? reject(new Error(`npm install ${PRISM_PACKAGE} failed: ${(stderr || err.message).trim().split('\n').slice(-3).join(' ')}`)) : resolve()),
    );
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** CPU (ms) and resident size (MiB) of a process, from /proc; null off Linux or once it exited. */
function procUsage(pid: number): { cpuMs: number; rssMb: number; peakMb: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
    // utime + stime, in clock ticks of 10 ms (USER_HZ 100 on Linux).
    return { cpuMs: (Number(f[11]) + Number(f[12])) * 10, rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

/** Prism as a RunningServer: CPU and memory read from /proc (no event-loop figure: it is not ours to instrument). */
function prismServer(child: ChildProcess, port: number): RunningServer {
  let cpu0 = 0;
  let wall0 = performance.now();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    port,
    where: 'child',
    async mark() {
      cpu0 = procUsage(child.pid!)?.cpuMs ?? NaN;
      wall0 = performance.now();
    },
    async read(): Promise<ServerSample | null> {
      const u = procUsage(child.pid!);
      if (!u) return null;
      return { wallMs: performance.now() - wall0, elu: NaN, cpuMs: u.cpuMs - cpu0, rssMb: u.rssMb, maxRssMb: u.peakMb, heapMb: NaN, sql: [] };
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    },
  };
}

export async function prismRow(bench: Bench): Promise<Row> {
  const row: Row = { key: 'prism', name: 'Stoplight Prism mocking Twilio\'s TaskRouter spec, same create request → 201', backend: 'prism', unit: 'requests', workers: null, where: 'child', rounds: [], errorSamples: [] };
  const spec = bench.opts.prismSpec ?? DEFAULT_SPEC;
  if (!existsSync(spec)) return { ...row, skipped: `Twilio's TaskRouter spec was not found at ${spec}` };
  let dir = bench.opts.prismDir;
  const t0 = performance.now();
  if (!dir) {
    const tmp = mkdtempSync(join(tmpdir(), 'switchyard-bench-prism-'));
    bench.cleanups.push(async () => rmSync(tmp, { recursive: true, force: true }));
    bench.progress.log(`bench: installing ${PRISM_PACKAGE} into ${tmp} (for this run only)`);
    try {
      await npmInstall(tmp);
    } catch (err) {
      return { ...row, skipped: (err as Error).message };
    }
    dir = tmp;
  }
  const bin = join(dir, 'node_modules', '.bin', 'prism');
  if (!existsSync(bin)) return { ...row, skipped: `no prism in ${dir}/node_modules/.bin` };
  const version = (() => {
    try {
      return JSON.parse(readFileSync(join(dir, 'node_modules', '@stoplight', 'prism-cli', 'package.json'), 'utf8')).version as string;
    } catch {
      return '?';
    }
  })();
  const port = await freePort();
  // Prism logs every request on stdout: not read, so it costs it nothing to write.
  const child = spawn(bin, ['mock', spec, '-p', String(port), '-h', '127.0.0.1'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.on('error', (err) => (stderr += `\n${err.message}`));
  child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-2000)));
  const server = prismServer(child, port);
  bench.cleanups.push(() => server.stop());
  try {
    // Same form body and auth as Switchyard's create; Prism serves the spec's paths, which have no /taskrouter prefix.
    const ids = { workspaceSid: 'WS' + 'a'.repeat(32), workflowSid: 'WW' + 'b'.repeat(32), queueSids: [], workerCount: 0, auth };
    const request = (i: number) => {
      const r = taskRequest(ids, i);
      return { ...r, path: r.path.replace(/^\/taskrouter/, '') };
    };
    const agent = newAgent(1);
    const ready = performance.now() + 60_000;
    let first: { status: number; body: string } | null = null;
    while (!first) {
      if (child.exitCode !== null) return { ...row, skipped: `prism exited at start (code ${child.exitCode}): ${stderr.trim().slice(-300)}` };
      if (performance.now() > ready) return { ...row, skipped: `prism did not answer within 60 s: ${stderr.trim().slice(-300)}` };
      first = await send(agent, port, request(0)).catch(() => null);
      if (!first) await new Promise((r) => setTimeout(r, 250));
    }
    agent.destroy();
    if (first.status !== 201) return { ...row, skipped: `prism answered the create request ${first.status}: ${first.body.slice(0, 300)}` };
    const m = await bench.measure([server], `prism ${version}`, request, { classify: (status) => (status === 201 ? 'created' : 'error'), good: 'created' });
    return {
      ...row,
      name: `Stoplight Prism ${version} mocking Twilio's TaskRouter spec, same create request → 201`,
      setupMs: performance.now() - t0,
      setupNote: bench.opts.prismDir ? `prism from ${dir}` : `installed from the registry for this run`,
      ...m,
    };
  } finally {
    await server.stop();
  }
}
