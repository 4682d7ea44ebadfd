/**
 * A Switchyard server in a process of its own (src/main.ts, as `npm start` runs it, or `npm start`
 * itself), for the tests of what only a real process shows: its log lines on stdout, its signals,
 * its exit status. Everything waits on output or events, each with a deadline.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = new URL('../..', import.meta.url).pathname;

export interface ServerProcess {
  child: ChildProcessWithoutNullStreams;
  port: number;
  baseUrl: string;
  /** The development account's credentials, as the first start printed them. */
  accountSid: string;
  authToken: string;
  stdout(): string;
  stderr(): string;
  /** stdout's JSON lines, parsed (the plain lines for people are left out). */
  jsonLines(): Record<string, any>[];
  /** Resolves with the first JSON line that `match` accepts, once it is written; fails after `ms`. */
  line(match: (line: Record<string, any>) => boolean, ms?: number): Promise<Record<string, any>>;
  /** Resolves with the exit code (null and the signal if killed); fails after `ms`. */
  exited(ms?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Kills it if still running, and removes its directory. */
  dispose(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Starts `node --import tsx src/main.ts` (or `npm start`) with this environment; resolves once it has printed the credentials. */
export async function startProcess(env: Record<string, string> = {}, options: { npmStart?: boolean; readyMs?: number } = {}): Promise<ServerProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-ops-'));
  const port = await freePort();
  const [command, args] = options.npmStart ? ['npm', ['start', '--silent']] : [process.execPath, ['--import', 'tsx', 'src/main.ts']];
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), HOST: '127.0.0.1', SQLITE_FILE: join(dir, 'db.sqlite'), ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  }) as ChildProcessWithoutNullStreams;
  let out = '';
  let err = '';
  const waiting = new Set<() => void>();
  const changed = () => {
    for (const w of [...waiting]) w();
  };
  child.stdout.on('data', (c: Buffer) => {
    out += c;
    changed();
  });
  child.stderr.on('data', (c: Buffer) => {
    err += c;
    changed();
  });
  let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  child.on('exit', (code, signal) => {
    exit = { code, signal };
    changed();
  });
  /** Resolves when `ready()` gives a value; fails after ms, or when the process exits first (if `exitFails`). */
  const until = <T>(ready: () => T | undefined, ms: number, what: string, exitFails = true): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const check = () => {
        const v = ready();
        if (v !== undefined) return done(() => resolve(v));
        if (exit && exitFails) return done(() => reject(new Error(`the server exited (${JSON.stringify(exit)}) before ${what}\nstdout: ${out}\nstderr: ${err}`)));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`no ${what} within ${ms} ms\nstdout: ${out}\nstderr: ${err}`))), ms);
      const done = (f: () => void) => {
        clearTimeout(timer);
        waiting.delete(check);
        f();
      };
      waiting.add(check);
      check();
    });
  const jsonLines = () =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, any>);
  const proc: ServerProcess = {
    child,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    accountSid: '',
    authToken: '',
    stdout: () => out,
    stderr: () => err,
    jsonLines,
    line: (match, ms = 20_000) => until(() => jsonLines().find(match), ms, 'such log line'),
    exited: (ms = 30_000) => until(() => exit ?? undefined, ms, 'exit', false),
    async dispose() {
      if (!exit) {
        child.kill('SIGKILL');
        await proc.exited().catch(() => undefined);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    const text = await until(() => (/TWILIO_API_SECRET=\S+\n/.test(out) ? out : undefined), options.readyMs ?? 60_000, 'start');
    proc.accountSid = /TWILIO_ACCOUNT_SID=(AC[0-9a-f]{32})/.exec(text)![1];
    proc.authToken = /TWILIO_AUTH_TOKEN=(\S+)/.exec(text)![1];
  } catch (e) {
    await proc.dispose();
    throw e;
  }
  return proc;
}

export function basicAuth(p: { accountSid: string; authToken: string }): string {
  return 'Basic ' + Buffer.from(`${p.accountSid}:${p.authToken}`).toString('base64');
}
