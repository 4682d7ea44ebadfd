import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { StoreConfig } from '../../src/store/open.ts';
import type { ServedRoute } from './routes.ts';

const ENTRY = fileURLToPath(new URL('./server-process.ts', import.meta.url));
const START_MS = 60_000;
const STOP_MS = 10_000;

export interface Account {
  accountSid: string;
  authToken: string;
}

export const newAccount = (): Account => ({ accountSid: 'AC' + randomBytes(16).toString('hex'), authToken: randomBytes(16).toString('hex') });

/**
 * The server process under fuzz. When it dies, the death is recorded (exit code, the end of its
 * stderr, what was in flight) and a new process is started on the same store, so one run counts
 * every way to kill it rather than stopping at the first.
 */
export class Target {
  private child: ChildProcess | undefined;
  private stderr = '';
  private stopping = false;
  port = 0;
  /** The routes the process said it serves. */
  routes: ServedRoute[] = [];
  readonly deaths: string[] = [];
  /** Told what was in flight when the process died. */
  inFlight: () => string[] = () => [];

  constructor(
    private readonly store: StoreConfig,
    readonly accounts: Account[],
    private readonly now: number,
  ) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', ENTRY], {
      env: { ...process.env, FUZZ_SERVER: JSON.stringify({ store: this.store, accounts: this.accounts, now: this.now }) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.stderr = '';
    child.stderr!.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-3000)));
    child.on('exit', (code, signal) => {
      if (this.stopping || this.child !== child) return;
      this.deaths.push(`exit ${code ?? signal}; stderr: ${this.stderr.trim()}\n    in flight: ${this.inFlight().slice(0, 8).join('\n      ')}`);
    });
    this.port = await new Promise<number>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`the server process did not start in ${START_MS} ms: ${this.stderr}`)), START_MS);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /FUZZ-READY (\d+)/.exec(out);
        const routes = /FUZZ-ROUTES (.*)\n/.exec(out);
        if (m && routes) {
          this.routes = JSON.parse(routes[1]);
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child.once('exit', () => {
        clearTimeout(timer);
        reject(new Error(`the server process exited while starting: ${this.stderr}`));
      });
    });
  }

  /** Resolves true once the process has exited, false if it is still running after `ms`. */
  exited(ms: number): Promise<boolean> {
    const child = this.child;
    if (!child || !this.alive) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** After a death: a new process on the same store. */
  async restart(): Promise<void> {
    await this.start();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || !this.alive) return;
    await new Promise<void>((resolve) => {
      // A process that does not end on SIGTERM within a few seconds (a hung close) is killed.
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_MS);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }
}
