/**
 * Processes for test/cluster/container.test.ts: the image's CMD started from the assembled /app (as the image's user
 * when the test runs as root, with the image's environment only), and Caddy run on the repository's Caddyfile, the
 * compose services' names swapped for the local nodes' addresses.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { IMAGE_UID } from './container-image.ts';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Every child this process started, so none outlives it whatever happens to the test. */
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Proc {
  child: ChildProcess;
  output(): string;
  /** The exit code (null when ended by a signal). */
  exited: Promise<number | null>;
  /** Sends the signal and waits for the exit (SIGKILL after 15 s). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Whether the server can run as the image's user here: this process is root, and that user can reach the assembled
 * /app and the node_modules it links to (the repository's, which may sit under a directory closed to others).
 */
export function runsAsImageUser(app: string): boolean {
  if (process.getuid?.() !== 0) return false;
  const reachable = (path: string) => {
    for (let dir = path; ; dir = dirname(dir)) {
      if ((statSync(dir).mode & 0o001) === 0) return false;
      if (dir === dirname(dir)) return true;
    }
  };
  return reachable(app) && reachable(realpathSync(join(app, 'node_modules')));
}

/** Starts a process and resolves once `ready` appears in its output (or fails with that output). */
export async function start(command: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; asImageUser?: boolean; ready: string }): Promise<Proc> {
  const asUser = opts.asImageUser ? { uid: IMAGE_UID, gid: IMAGE_UID } : {};
  const child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'], ...asUser });
  children.add(child);
  let log = '';
  const keep = (chunk: Buffer) => (log = (log + chunk.toString('utf8')).slice(-20_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => (children.delete(child), resolve(code))));
  const proc: Proc = {
    child,
    output: () => log,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  const deadline = Date.now() + 30_000;
  while (!log.includes(opts.ready)) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${command} ${args.join(' ')} exited at start:\n${log}`);
    if (Date.now() > deadline) {
      await proc.stop('SIGKILL');
      throw new Error(`${command} ${args.join(' ')} did not start within 30 s:\n${log}`);
    }
    await sleep(50);
  }
  return proc;
}

/** Runs a command to its end and gives its exit code (a HEALTHCHECK's). */
export function exitCode(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number | null> {
  const child = spawn(command, args, { env, stdio: 'ignore' });
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

// ---- Caddy ---------------------------------------------------------------------------------------------------------

/** Caddy, from Debian's package when missing and this machine can (root, apt), as the pretest does for chromium. */
export function ensureCaddy(): string {
  const found = () => {
    try {
      return execFileSync('caddy', ['version'], { encoding: 'utf8' }).trim();
    } catch {
      return undefined;
    }
  };
  let version = found();
  if (!version && process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    execFileSync('bash', ['-c', 'apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q caddy'], { stdio: 'pipe' });
    version = found();
  }
  if (!version) throw new Error("the proxy test runs deploy/Caddyfile in Caddy: install Debian's 'caddy' package");
  return version;
}

export interface Caddy {
  proc: Proc;
  httpsPort: number;
  httpPort: number;
  /** The internal CA's root certificate: what clients of the compose stack are told to trust. */
  rootCa: string;
  dispose(): Promise<void>;
}

/**
 * Caddy on the repository's Caddyfile, unchanged but for: the upstreams (compose service names → local addresses),
 * and, in its global options, free ports instead of 80/443 and no admin endpoint (several may run on this machine).
 */
export async function startCaddy(caddyfile: string, upstreams: Record<string, string>): Promise<Caddy> {
  const dir = mkdtempSync(join(tmpdir(), 'sy-caddy-'));
  const [httpPort, httpsPort] = [await freePort(), await freePort()];
  let text = caddyfile;
  for (const [from, to] of Object.entries(upstreams)) {
    if (!text.includes(from)) throw new Error(`the Caddyfile names no upstream ${from}`);
    text = text.replaceAll(from, to);
  }
  const globals = /^\{\n/m;
  if (!globals.test(text)) throw new Error('the Caddyfile has no global options block');
  text = text.replace(globals, `{\n\tadmin off\n\thttp_port ${httpPort}\n\thttps_port ${httpsPort}\n`);
  writeFileSync(join(dir, 'Caddyfile'), text);
  const env = { PATH: process.env.PATH, HOME: dir, XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') };
  const rootFile = join(dir, 'data', 'caddy', 'pki', 'authorities', 'local', 'root.crt');
  let proc: Proc | undefined;
  for (let attempt = 1; !proc; attempt++) {
    // "serving initial configuration" is logged once the sites (and the internal CA) are set up.
    const p = await start('caddy', ['run', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], { cwd: dir, env, ready: 'serving initial configuration' });
    // Debian's Caddy (2.6) may clean its fresh storage while it writes the first certificate, delete it and retry only
    // 60 s later ("will retry"); started again on the same storage, it gets it at once. Ready: a TLS handshake works.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const handshake = await https(httpsPort, '/', { ca: existsSync(rootFile) ? readFileSync(rootFile, 'utf8') : undefined }).catch(() => undefined);
      if (handshake) {
        proc = p;
        break;
      }
      if (/"logger":"tls\.obtain","msg":"will retry"/.test(p.output()) || Date.now() > deadline) {
        await p.stop();
        if (attempt === 3) throw new Error(`Caddy got no certificate in 3 starts:\n${p.output().slice(-3000)}`);
        break;
      }
      await sleep(100);
    }
  }
  return {
    proc,
    httpPort,
    httpsPort,
    rootCa: readFileSync(rootFile, 'utf8'),
    async dispose() {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTPS request to localhost:port, verifying the certificate against `ca` (none: the system's roots). */
export function https(port: number, path: string, opts: { ca?: string; method?: string; form?: Record<string, string>; auth?: string } = {}): Promise<Answer> {
  const body = opts.form ? new URLSearchParams(opts.form).toString() : undefined;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        servername: 'localhost',
        port,
        path,
        method: opts.method ?? 'GET',
        ca: opts.ca,
        headers: {
          host: `localhost:${port}`,
          ...(opts.auth ? { authorization: `Basic ${Buffer.from(opts.auth).toString('base64')}` } : {}),
          ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        },
        timeout: 15_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(body);
  });
}
