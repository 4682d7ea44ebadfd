/**
 * The container recipe: Dockerfile, .dockerignore, deploy/compose.yaml and deploy/Caddyfile.
 *
 * This machine (and CI, which runs on it) has a Docker client but no engine, and no route to an image registry, so no
 * image is built here. Instead: the Dockerfile is read and its stages carried out by hand (container-image.ts): the
 * build context as .dockerignore leaves it, every COPY, `npm run build`; the runtime stage's /app is then started
 * with the image's CMD, as the image's user, with the image's environment only, and its HEALTHCHECK run. The compose
 * file is read and checked, and its stack is run without Docker: three such nodes on PostgreSQL, with the compose
 * file's environment, behind Caddy running the repository's Caddyfile (TLS, WebSockets, forwarded headers, failover).
 * What cannot be shown here: the base images, apt-get, npm ci's install from the registry and the native addon built
 * in the image, npm prune, node as PID 1, Docker's HEALTHCHECK scheduler and volumes, compose's own reading.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { isBuiltin } from 'node:module';
import { join, posix } from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { configFromEnv } from '../../src/config.ts';
import { caddyDuration, caddyUpstreams, dockerignore, envOf, interpolate, parseDockerfile, parseYaml, type Instruction, type Stage, type Yaml } from './container-files.ts';
import { assemble, IMAGE_UID, type Assembled } from './container-image.ts';
import { ensureCaddy, exitCode, freePort, https, runsAsImageUser, sleep, start, startCaddy, type Caddy, type Proc } from './container-stack.ts';
import { postgresStore, ROOT, type Store } from './support.ts';

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const stages = parseDockerfile(read('Dockerfile'));
const build = stages.find((s) => s.name === 'build')!;
const runtime = stages[stages.length - 1];
const only = (stage: Stage, name: string): Instruction => {
  const found = stage.instructions.filter((i) => i.name === name);
  assert.equal(found.length, 1, `the ${stage.name} stage has one ${name}`);
  return found[0];
};
const pkg = JSON.parse(read('package.json'));
const DEFAULT_PORT = configFromEnv({}).port;
const WORKDIR = only(runtime, 'WORKDIR').args;
const VOLUME = JSON.parse(only(runtime, 'VOLUME').args)[0] as string;
const CMD = only(runtime, 'CMD').exec!;
const HEALTHCHECK = only(runtime, 'HEALTHCHECK').exec!;

// The image is carried out once (its build takes half a minute) for both the CMD test and the stack's nodes.
let assembled: Assembled | undefined;
const image = (): Assembled => {
  if (!assembled) {
    assembled = assemble(ROOT, stages, read('.dockerignore'));
    console.log(`NOTE: not carried out (no Docker engine here):\n  ${assembled.notDone.join('\n  ')}`);
  }
  return assembled;
};
after(() => assembled?.dispose());

describe('the Dockerfile, read', () => {
  test('two stages on the same slim base: the native addon built in `build` matches the runtime', () => {
    assert.deepEqual(
      stages.map((s) => s.name),
      ['build', 'runtime'],
    );
    assert.equal(build.from, runtime.from);
    assert.match(runtime.from, /^node:20[.\w-]*-slim$/, 'Node 20 (package.json engines), a slim image');
  });

  test('the build stage installs from the lockfile, builds, and keeps production dependencies only', () => {
    const runs = build.instructions.filter((i) => i.name === 'RUN').map((i) => i.args);
    assert.ok(runs.some((r) => /\bnpm ci\b/.test(r)), 'npm ci (the lockfile, exactly)');
    assert.ok(runs.some((r) => /\bnpm run build\b/.test(r)));
    assert.ok(runs.some((r) => /\bnpm prune --omit=dev\b/.test(r)));
  });

  test("npm ci runs before the sources are copied, so it must run none of the project's own scripts", () => {
    const copyAll = build.instructions.findIndex((i) => i.name === 'COPY' && /^\.\s/.test(i.args));
    const ci = build.instructions.findIndex((i) => i.name === 'RUN' && /\bnpm ci\b/.test(i.args));
    assert.ok(ci >= 0 && copyAll > ci, 'npm ci has its own layer, before COPY . .');
    const lifecycle = ['preinstall', 'install', 'postinstall', 'preprepare', 'prepare', 'postprepare'].filter((s) => pkg.scripts?.[s]);
    if (lifecycle.length) assert.match(build.instructions[ci].args, /npm ci --ignore-scripts/, `package.json has ${lifecycle.join(', ')}: npm ci must not run it without the sources`);
  });

  test("every production dependency's install script is run by name after --ignore-scripts (or is one package.json skips)", () => {
    const lock = JSON.parse(read('package-lock.json'));
    const ci = build.instructions.find((i) => i.name === 'RUN' && /\bnpm ci\b/.test(i.args))!.args;
    if (!/--ignore-scripts/.test(ci)) return; // npm ci runs them all itself
    const rebuilt = /npm rebuild ([^&]+)/.exec(ci)?.[1].trim().split(/\s+/) ?? [];
    const needed = Object.entries(lock.packages as Record<string, { hasInstallScript?: boolean; dev?: boolean }>)
      .filter(([, p]) => p.hasInstallScript && !p.dev)
      .map(([path]) => path.replace(/^.*node_modules\//, ''))
      .filter((name) => pkg.allowScripts?.[name] !== false);
    assert.ok(needed.includes('better-sqlite3'), 'the native addon is among them');
    for (const name of needed) assert.ok(rebuilt.includes(name), `npm rebuild ${name}: its install step would not run`);
  });

  test('the runtime: a non-root user, the default port exposed, a volume for the SQLite data, no wrapper around node', () => {
    const user = only(runtime, 'USER').args;
    assert.equal(user, `${IMAGE_UID}:${IMAGE_UID}`, "the base image's node user, by number");
    assert.deepEqual(only(runtime, 'EXPOSE').args, String(DEFAULT_PORT), 'EXPOSE is the port the server listens on by default');
    // SQLITE_FILE's default is ./data/switchyard.db, under WORKDIR (and the test below shows the file lands there).
    assert.equal(envOf(runtime).SQLITE_FILE, undefined);
    assert.equal(VOLUME, posix.join(WORKDIR, 'data'));
    assert.deepEqual(CMD, ['node', 'dist/main.js'], 'exec form, node itself: SIGTERM reaches the server');
  });

  test('the HEALTHCHECK is exec-form node asking the server for /health/live', () => {
    const h = only(runtime, 'HEALTHCHECK');
    assert.equal(HEALTHCHECK[0], 'node');
    assert.match(HEALTHCHECK.join(' '), /'\/health\/live'/);
    for (const flag of ['interval', 'timeout', 'start-period', 'retries']) assert.ok(h.flags[flag], `--${flag} set`);
  });

  test('.dockerignore leaves node_modules, dist, data, .git and .env out of the build context', () => {
    const excluded = dockerignore(read('.dockerignore'));
    for (const path of ['node_modules', 'node_modules/pg/package.json', 'dist/main.js', 'data/switchyard.db', '.git/HEAD', '.env'])
      assert.ok(excluded(path), `${path} is left out`);
    for (const path of ['package.json', 'package-lock.json', 'src/main.ts', 'public/webchat/index.html', 'tsconfig.build.json'])
      assert.ok(!excluded(path), `${path} is sent`);
  });
});

describe('the image, carried out by hand, and its CMD started', () => {
  let app: string;
  let asImageUser: boolean;
  before(() => {
    app = join(image().roots.runtime, WORKDIR);
    asImageUser = runsAsImageUser(app);
    if (!asImageUser) console.log(`NOTE: the CMD runs as this user (uid ${process.getuid?.()}), not as uid ${IMAGE_UID}: not root, or the repository's node_modules is closed to others`);
  });

  test('the build leaves the CMD and the package entry points in the runtime stage', () => {
    assert.ok(existsSync(join(app, CMD[1])), `${CMD[1]} is in ${WORKDIR}`);
    for (const entry of [pkg.main, pkg.bin?.switchyard].filter(Boolean)) assert.ok(existsSync(join(app, entry)), `${entry} is in the image`);
    assert.ok(existsSync(join(app, 'public', 'webchat', 'index.html')), 'the pages are there');
    assert.ok(!existsSync(join(app, 'src')), 'no TypeScript sources in the runtime stage');
  });

  // import/export ... from 'x' (possibly over several lines), import 'x', import('x'), require('x').
  const SPECIFIERS = [
    /^\s*(?:import|export)\s[^;]*?\sfrom\s*['"]([@\w./:-]+)['"]/gm,
    /^\s*import\s*['"]([@\w./:-]+)['"]/gm,
    /\bimport\s*\(\s*['"]([@\w./:-]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([@\w./:-]+)['"]\s*\)/g,
  ];
  test("dist/ imports only Node's built-ins, its own files and production dependencies (what npm prune keeps)", () => {
    const imported = new Set<string>();
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.c?js$/.test(e.name)) {
          const code = readFileSync(p, 'utf8').replace(/^\s*(\/\/|\/?\*).*$/gm, ''); // comment lines name modules too
          for (const re of SPECIFIERS) for (const m of code.matchAll(re)) imported.add(m[1]);
        }
      }
    };
    walk(join(app, 'dist'));
    const packages = [...imported].filter((s) => !s.startsWith('.') && !isBuiltin(s)).map((s) => s.split('/').slice(0, s.startsWith('@') ? 2 : 1).join('/'));
    assert.ok(packages.includes('better-sqlite3') && packages.includes('fastify'), `the imports were read (${[...new Set(packages)].join(', ')})`);
    // The package's own name may be imported too: it resolves to dist/ itself.
    for (const name of new Set(packages)) assert.ok(name === pkg.name || pkg.dependencies?.[name], `dist/ imports ${name}, which is not a production dependency`);
  });

  test('the CMD, as the image user with the image environment only: listens, serves /health and the pages, keeps SQLite in the volume; HEALTHCHECK passes, then fails after SIGTERM ends it with 0', { timeout: 90_000 }, async () => {
    const port = await freePort();
    const env = { PATH: process.env.PATH, ...envOf(runtime), PORT: String(port), HOST: '127.0.0.1' };
    assert.equal(CMD[0], 'node');
    const server = await start(process.execPath, CMD.slice(1), { cwd: app, env, asImageUser, ready: 'Switchyard listening' });
    try {
      assert.match(server.output(), /TWILIO_ACCOUNT_SID=AC[0-9a-f]{32}/, 'the first start prints the development account');
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      assert.equal(health.status, 200);
      const page = await fetch(`http://127.0.0.1:${port}/webchat/`);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type') ?? '', /text\/html/);
      const db = join(image().roots.runtime, VOLUME, 'switchyard.db');
      assert.ok(existsSync(db), `the SQLite file is in the volume (${VOLUME})`);
      if (asImageUser) assert.equal(statSync(db).uid, IMAGE_UID, 'written by the image user, not root');
      const check = () => exitCode(process.execPath, HEALTHCHECK.slice(1), { PATH: process.env.PATH, PORT: String(port) });
      assert.equal(await check(), 0, 'HEALTHCHECK passes on a serving server');
      assert.equal(await server.stop('SIGTERM'), 0, 'SIGTERM to node ends it cleanly');
      assert.equal(await check(), 1, 'HEALTHCHECK fails once nothing answers');
    } finally {
      await server.stop('SIGKILL');
    }
  });
});

// ---- compose ------------------------------------------------------------------------------------------------------

type Map = { [key: string]: Yaml };
const compose = parseYaml(read('deploy/compose.yaml')) as Map;
const services = compose.services as Map;
const NODES = ['switchyard-1', 'switchyard-2', 'switchyard-3'];
const caddyfile = read('deploy/Caddyfile');
const svc = (name: string) => services[name] as Map;
const nodeEnv = (name: string) => svc(name).environment as Map;

describe('deploy/compose.yaml, read', () => {
  test('three Switchyard nodes built from this Dockerfile, on the postgres service, waiting for it to be healthy', () => {
    assert.deepEqual(Object.keys(services).sort(), [...NODES, 'postgres', 'proxy'].sort());
    const pgEnv = svc('postgres').environment as Map;
    assert.ok((svc('postgres').healthcheck as Map).test, 'postgres has a healthcheck');
    for (const name of NODES) {
      const s = svc(name);
      const b = s.build as Map;
      assert.ok(existsSync(join(ROOT, 'deploy', b.context as string, b.dockerfile as string)), `${name} builds ${b.dockerfile}`);
      const url = new URL(interpolate(nodeEnv(name).DATABASE_URL as string));
      assert.equal(url.hostname, 'postgres', `${name}'s DATABASE_URL names the postgres service`);
      assert.equal(url.port, '5432');
      assert.equal(url.username, pgEnv.POSTGRES_USER);
      assert.equal(decodeURIComponent(url.password), interpolate(pgEnv.POSTGRES_PASSWORD as string), 'the same password, from the same variable');
      assert.equal(url.pathname, `/${pgEnv.POSTGRES_DB}`);
      assert.deepEqual(s.depends_on, { postgres: { condition: 'service_healthy' } });
      assert.equal(s.ports, undefined, `${name} publishes no port: only the proxy is reached from outside`);
    }
  });

  test("every node's environment is accepted by the server's own configuration reader, as a proxy's back end", () => {
    for (const name of NODES) {
      const env = Object.fromEntries(Object.entries(nodeEnv(name)).filter(([, v]) => v !== null).map(([k, v]) => [k, interpolate(v as string)]));
      const config = configFromEnv(env);
      assert.equal(config.http?.maxConnectionsPerAddress, 0, 'every connection comes from the proxy');
      assert.equal(config.trustProxy, true);
      assert.ok(config.http?.keepAliveTimeoutMs! > caddyDuration(caddyfile, 'keepalive')!, "the node's keep-alive outlasts the proxy's");
      // Passed through from the shell when set, else unset (the shared development account).
      for (const k of ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN']) assert.equal(nodeEnv(name)[k], null);
    }
  });

  test('the proxy publishes 80 and 443, mounts the Caddyfile, keeps its CA in a volume; the Caddyfile routes to the three nodes', () => {
    const proxy = svc('proxy');
    assert.match(proxy.image as string, /^caddy:2/);
    assert.deepEqual((proxy.ports as string[]).map((p) => p.split(':').pop()), ['80', '443']);
    assert.ok((proxy.volumes as string[]).includes('./Caddyfile:/etc/caddy/Caddyfile:ro'));
    assert.match(caddyfile, /^\s*health_uri \/health\/ready$/m, 'the proxy sends requests only to nodes that are ready');
    assert.ok((proxy.volumes as string[]).some((v) => v.startsWith('caddy_data:/data')));
    assert.deepEqual(caddyUpstreams(caddyfile), NODES.map((n) => `${n}:${DEFAULT_PORT}`));
    assert.doesNotMatch(caddyfile, /header_up\s+-?(Upgrade|Connection)/i, 'nothing strips the upgrade headers');
  });
});

// ---- the compose stack, without Docker -----------------------------------------------------------------------------

const url = process.env.TEST_DATABASE_URL;
if (!url) {
  console.log('NOTE: TEST_DATABASE_URL is not set: the three-node stack behind Caddy (PostgreSQL only) did NOT run.');
} else {
  describe('the compose stack without Docker: three nodes of the image on PostgreSQL behind the Caddyfile', () => {
    let store: Store;
    let caddy: Caddy;
    const ports: number[] = [];
    const nodes: (Proc | undefined)[] = [];
    const sid = 'AC' + 'd0'.repeat(16);
    const auth = `${sid}:container-test-token`;

    // A node as compose runs it: the image's CMD and environment, the compose file's, this test's database schema.
    const startNode = (n: number) => {
      const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, ...envOf(runtime), PORT: String(ports[n]), HOST: '127.0.0.1' };
      for (const [k, v] of Object.entries(nodeEnv(NODES[n]))) if (v !== null) env[k] = interpolate(v as string);
      Object.assign(env, store.env, { TWILIO_ACCOUNT_SID: sid, TWILIO_AUTH_TOKEN: 'container-test-token' });
      const app = join(image().roots.runtime, WORKDIR);
      return start(process.execPath, CMD.slice(1), { cwd: app, env, asImageUser: runsAsImageUser(app), ready: 'Switchyard listening' });
    };
    /** Asks through the proxy until it answers 200, within 20 s (Caddy may still be getting its certificate, or finding a node). */
    const healthy = async () => {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const answer = await https(caddy.httpsPort, '/health', { ca: caddy.rootCa }).catch((err: Error) => err);
        if (!(answer instanceof Error) && answer.status === 200) return;
        if (Date.now() > deadline) throw new Error(`no 200 through the proxy: ${answer instanceof Error ? answer.message : answer.status}\n${caddy.proc.output().slice(-2000)}`);
        await sleep(200);
      }
    };

    before(async () => {
      ensureCaddy();
      store = await postgresStore(url);
      for (const _ of NODES) ports.push(await freePort());
      // All three at once on the empty schema, as compose starts them.
      nodes.push(...(await Promise.all(NODES.map((_, n) => startNode(n)))));
      caddy = await startCaddy(caddyfile, Object.fromEntries(NODES.map((name, n) => [`${name}:${DEFAULT_PORT}`, `127.0.0.1:${ports[n]}`])));
      await healthy();
    });
    after(async () => {
      await caddy?.dispose();
      await Promise.all(nodes.map((n) => n?.stop('SIGKILL')));
      await store?.dispose();
    });

    test("TLS at the proxy with a certificate from Caddy's internal CA; plain HTTP is redirected to HTTPS", async () => {
      const answer = await https(caddy.httpsPort, '/health', { ca: caddy.rootCa });
      assert.equal(answer.status, 200);
      assert.equal(JSON.parse(answer.body).status, 'ok', 'ready (/health is /health/ready)');
      await assert.rejects(https(caddy.httpsPort, '/health'), /self[- ]signed|unable to (get|verify)/i, 'without the CA root the certificate is not trusted');
      const plain = await new Promise<IncomingMessage>((resolve, reject) =>
        httpGet({ host: '127.0.0.1', port: caddy.httpPort, path: '/health', headers: { host: 'localhost' } }, resolve).on('error', reject),
      );
      plain.resume();
      assert.equal(plain.statusCode, 308);
      // To the same path on HTTPS (on 443: in compose, Caddy cannot know which host port maps to its own 443).
      assert.match(plain.headers.location ?? '', /^https:\/\/localhost(:\d+)?\/health$/);
    });

    test("the nodes see the client's scheme and host: resource URLs are https on the proxy's address", async () => {
      const created = await https(caddy.httpsPort, '/taskrouter/v1/Workspaces', { ca: caddy.rootCa, method: 'POST', auth, form: { FriendlyName: 'through the proxy' } });
      assert.equal(created.status, 201, created.body);
      assert.ok(JSON.parse(created.body).url.startsWith(`https://localhost:${caddy.httpsPort}/taskrouter/v1/Workspaces/WS`), created.body);
    });

    test('WebSockets pass through the proxy (twilsock at /tsock/v3/wsconnect): upgraded, and frames go both ways', async () => {
      const ws = new WebSocket(`wss://localhost:${caddy.httpsPort}/tsock/v3/wsconnect`, { ca: caddy.rootCa });
      try {
        await new Promise<void>((resolve, reject) => {
          ws.once('open', resolve);
          ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade answered ${res.statusCode}`)));
          ws.once('error', reject);
        });
        // A frame twilsock cannot read is answered with its close message (406): the node got ours, we get its.
        const reply = new Promise<string>((resolve) => ws.once('message', (data) => resolve(String(data))));
        ws.send('not a twilsock frame');
        assert.match(await reply, /406/);
      } finally {
        ws.terminate();
      }
    });

    test('any node serves: with each one left alone in turn, requests through the proxy still succeed', { timeout: 120_000 }, async () => {
      // Each node alone in turn: 3 (1 and 2 stopped), then 1 (restarted; 3 stopped), then 2 (restarted; 1 stopped).
      const alone = async (n: number) => {
        await healthy();
        for (let k = 0; k < 5; k++) assert.equal((await https(caddy.httpsPort, '/health', { ca: caddy.rootCa })).status, 200, `${NODES[n]} alone serves`);
      };
      const stop = async (n: number) => {
        assert.equal(await nodes[n]!.stop('SIGTERM'), 0, `${NODES[n]} stops cleanly`);
        nodes[n] = undefined;
      };
      await stop(0);
      await stop(1);
      await alone(2);
      nodes[0] = await startNode(0);
      await stop(2);
      await alone(0);
      nodes[1] = await startNode(1);
      await stop(0);
      await alone(1);
    });
  });
}
