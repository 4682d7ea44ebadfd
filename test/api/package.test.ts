/**
 * The package as its users get it: `npm pack` (which builds dist/ through `prepare`), the tarball installed into an
 * empty JavaScript project (no TypeScript, no tsx), then imported from an .mjs file, required from a .cjs file, and its
 * `bin` run; each starts a server and calls it.
 *
 * The pack is made from a copy of the package's sources (node_modules linked), so it never rewrites the checkout's
 * dist/ under a server someone else runs from it. Dependencies come from the registry (the npm cache first). Their
 * install scripts are skipped and better-sqlite3's native addon is the checkout's own build of the same version:
 * compiling it takes minutes where its prebuilt binaries cannot be downloaded. PACKAGE_TEST_INSTALL_SCRIPTS=1 runs
 * every install script instead, as a user's `npm install` does.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

const ROOT = new URL('../..', import.meta.url).pathname;
const NAME = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).name as string;
const WITH_SCRIPTS = process.env.PACKAGE_TEST_INSTALL_SCRIPTS === '1';
const dir = mkdtempSync(join(tmpdir(), 'switchyard-package-'));
const app = join(dir, 'app');
after(() => rmSync(dir, { recursive: true, force: true }));

/** Only PATH and HOME (npm's cache and ~/.npmrc): no NODE_OPTIONS (tsx), no npm_config_* or settings of the caller. */
const cleanEnv = (extra: Record<string, string> = {}) => ({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...extra });

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end; fails when it takes longer than `seconds` (and kills it). */
function run(command: string, args: string[], cwd: string, seconds: number, env = cleanEnv()): Promise<Run> {
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c));
  child.stderr.on('data', (c: Buffer) => (stderr += c));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} took over ${seconds} s; stdout: ${stdout}; stderr: ${stderr}`));
    }, seconds * 1000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

function ok(r: Run, what: string): Run {
  assert.equal(r.code, 0, `${what} failed (${r.code ?? r.signal}); stdout: ${r.stdout}; stderr: ${r.stderr}`);
  return r;
}

/** The last line a script printed, as JSON. */
const result = (r: Run) => JSON.parse(r.stdout.trim().split('\n').at(-1)!);

let packed: string[] = [];
const timings: Record<string, number> = {};

before(async () => {
  // What the build needs, from the working tree; node_modules linked (the build's TypeScript and types).
  const source = join(dir, 'source');
  mkdirSync(source);
  for (const entry of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md', 'src', 'public'])
    cpSync(join(ROOT, entry), join(source, entry), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(source, 'node_modules'));
  let t = Date.now();
  const pack = ok(await run('npm', ['pack', '--json', '--pack-destination', dir], source, 240), 'npm pack');
  timings.pack = Date.now() - t;
  const [info] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
  packed = info.files.map((f) => f.path);

  mkdirSync(app);
  // An empty project, as a user's: allowScripts names the dependencies whose install scripts it trusts (npm 12 runs no others).
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, allowScripts: { 'better-sqlite3': true, esbuild: true } }));
  t = Date.now();
  const flags = WITH_SCRIPTS ? [] : ['--ignore-scripts'];
  ok(await run('npm', ['install', ...flags, '--prefer-offline', '--no-audit', '--no-fund', join(dir, info.filename)], app, WITH_SCRIPTS ? 900 : 300), 'npm install');
  if (!WITH_SCRIPTS) {
    const addon = (root: string) => join(root, 'node_modules', 'better-sqlite3');
    const version = (root: string) => JSON.parse(readFileSync(join(addon(root), 'package.json'), 'utf8')).version;
    if (version(app) === version(ROOT)) {
      mkdirSync(join(addon(app), 'build', 'Release'), { recursive: true });
      copyFileSync(join(addon(ROOT), 'build', 'Release', 'better_sqlite3.node'), join(addon(app), 'build', 'Release', 'better_sqlite3.node'));
    } else {
      ok(await run('npm', ['rebuild', 'better-sqlite3'], app, 900), 'npm rebuild better-sqlite3');
    }
  }
  timings.install = Date.now() - t;
  console.log(`package test: npm pack ${timings.pack} ms, npm install ${timings.install} ms (install scripts ${WITH_SCRIPTS ? 'run' : 'skipped'})`);
}, { timeout: 1_200_000 });

test('the tarball holds the compiled package and the pages, not the sources or the tests', () => {
  for (const path of packed) assert.match(path, /^(dist\/.+\.(js|cjs|d\.ts|d\.cts)|public\/.+|package\.json|README\.md|LICENSE)$/, path);
  for (const path of ['dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts', 'dist/bin.js', 'dist/main.js', 'public/agent/index.html', 'public/webchat/index.html', 'public/supervisor/index.html'])
    assert.ok(packed.includes(path), `${path} is packed`);
  const installed = join(app, 'node_modules', ...NAME.split('/'));
  assert.match(readFileSync(join(installed, 'dist', 'bin.js'), 'utf8'), /^#!\/usr\/bin\/env node\n/);
  // Nothing of TypeScript reached the user's project: the package runs as plain JavaScript.
  assert.equal(existsSync(join(app, 'node_modules', 'tsx')), false, 'tsx is not installed');
  assert.equal(existsSync(join(app, 'node_modules', 'typescript')), false, 'typescript is not installed');
});

test('import from an ES module: createServer on port 0 with the in-memory store and a manual clock, the official client, close()', async () => {
  writeFileSync(
    join(app, 'esm.mjs'),
    `import { createServer, ManualClock, switchyardClient } from '${NAME}';
const server = await createServer({ port: 0, clock: new ManualClock(Date.UTC(2026, 0, 1)) });
try {
  const client = switchyardClient(server.url, server.account.accountSid, server.account.authToken);
  const first = await client.taskrouter.v1.workspaces.create({ friendlyName: 'Support' });
  await server.advance(90_000);
  const second = await client.taskrouter.v1.workspaces.create({ friendlyName: 'Sales' });
  const listed = await client.taskrouter.v1.workspaces.list();
  console.log(JSON.stringify({ url: server.url, created: [first.dateCreated, second.dateCreated], listed: listed.map((w) => w.friendlyName).sort() }));
} finally {
  await server.close();
}
`,
  );
  // The process ends by itself: close() left nothing running.
  const r = ok(await run(process.execPath, ['esm.mjs'], app, 60), 'esm.mjs');
  const out = result(r);
  assert.match(out.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  // The workspaces are dated by the manual clock, moved 90 s by advance().
  assert.deepEqual(out.created, ['2026-01-01T00:00:00.000Z', '2026-01-01T00:01:30.000Z']);
  assert.deepEqual(out.listed, ['Sales', 'Support']);
  assert.doesNotMatch(r.stderr, /Warning/, 'no warning printed (e.g. ExperimentalWarning)');
});

test('require from CommonJS: the same API, createServer a promise; the reported account authenticates, another does not', async () => {
  writeFileSync(
    join(app, 'cjs.cjs'),
    `const { createServer, ManualClock } = require('${NAME}');
const { version } = require('${NAME}/package.json');
const basic = (user, password) => 'Basic ' + Buffer.from(user + ':' + password).toString('base64');
(async () => {
  const pending = createServer({ port: 0, clock: new ManualClock() });
  const isPromise = pending instanceof Promise;
  const server = await pending;
  try {
    const auth = basic(server.account.accountSid, server.account.authToken);
    const url = server.url + '/taskrouter/v1/Workspaces';
    const created = await fetch(url, { method: 'POST', headers: { authorization: auth }, body: new URLSearchParams({ FriendlyName: 'Support' }) });
    const list = await fetch(url, { headers: { authorization: auth } });
    const wrong = await fetch(url, { headers: { authorization: basic(server.account.accountSid, 'not-the-token') } });
    const names = (await list.json()).workspaces.map((w) => w.friendly_name);
    console.log(JSON.stringify({ isPromise, version, status: [created.status, list.status, wrong.status], names }));
  } finally {
    await server.close();
  }
})().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
`,
  );
  const r = ok(await run(process.execPath, ['cjs.cjs'], app, 60), 'cjs.cjs');
  const out = result(r);
  assert.equal(out.isPromise, true);
  assert.equal(out.version, JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  assert.deepEqual(out.status, [201, 200, 401]);
  assert.deepEqual(out.names, ['Support']);
  assert.doesNotMatch(r.stderr, /Warning/, 'no warning printed (e.g. ExperimentalWarning)');
});

test('the bin starts the server on PORT, serves the API, the pages and the SDK bundles, and exits 0 on SIGTERM', async () => {
  const port = await freePort();
  const accountSid = 'AC' + randomBytes(16).toString('hex');
  const authToken = randomBytes(16).toString('hex');
  const bin = spawn(join(app, 'node_modules', '.bin', 'switchyard'), [], {
    cwd: app,
    env: cleanEnv({ PORT: String(port), HOST: '127.0.0.1', TWILIO_ACCOUNT_SID: accountSid, TWILIO_AUTH_TOKEN: authToken }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => bin.on('exit', (code, signal) => resolve({ code, signal })));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line within 60 s; output: ${output}`)), 60_000);
      const seen = (c: Buffer) => {
        output += c;
        if (/listening/i.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      bin.stdout.on('data', seen);
      bin.stderr.on('data', seen);
      exited.then(({ code, signal }) => reject(new Error(`the bin exited (${code ?? signal}) before listening; output: ${output}`)));
    });
    const base = `http://127.0.0.1:${port}`;
    const auth = 'Basic ' + Buffer.from(`${accountSid}:${authToken}`).toString('base64');
    const list = await fetch(`${base}/taskrouter/v1/Workspaces`, { headers: { authorization: auth } });
    assert.equal(list.status, 200);
    assert.deepEqual((await list.json()).workspaces, []);
    // The pages are found from dist/ (public/ beside it in the package), and the SDKs' bundles are built from the installed packages.
    const page = await fetch(`${base}/webchat/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<html/i);
    const bundle = await fetch(`${base}/vendor/twilio-taskrouter.js`);
    assert.equal(bundle.status, 200);
    assert.match(await bundle.text(), /window\.TaskRouter/);
    bin.kill('SIGTERM');
    const exit = await Promise.race([exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no exit within 30 s of SIGTERM; output: ${output}`)), 30_000).unref())]);
    assert.deepEqual(exit, { code: 0, signal: null }, output);
  } finally {
    if (bin.exitCode === null && bin.signalCode === null) bin.kill('SIGKILL');
  }
});

/** A port nothing listens on now (the bin needs a number in PORT, so that its URL can be known before it prints it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
