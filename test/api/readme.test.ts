/**
 * Every fenced block of README.md, run as written against a fresh server, so the README cannot drift from what works.
 *
 * - ```sh blocks run in bash, in README order, one bash session per group of sections that belong together (the main
 *   walk-through shares one server and the variables it exports: $WS, $WW, $WK...; "Use it in CI" starts its own
 *   server). `set -e`, and curl fails on an HTTP error (--fail-with-body), so a block that goes wrong fails the test,
 *   named by its line in README.md.
 * - ```ts / ```js blocks are written to files in a project of their own (its node_modules/@switchyard-cc/server is
 *   this package, as `npm install` would give it) and run with node (tsx for .ts) at their place in the session, so
 *   they see what the blocks before them exported.
 * - Plain ``` blocks are output samples and are not run; the blocks that need what CI cannot have are in SKIPPED, with
 *   the reason, and the test asserts SKIPPED names exactly such blocks, so a new block cannot slip by unlisted.
 *
 * The reader's checkout is a temporary directory: package.json, node_modules, src, scripts and public are links to
 * this repository, dist/ is compiled from the current src/ into it (as `npm run build` does; the repository's own
 * dist/ may be older than src/ and is left alone), and data/ starts empty. What the test substitutes, and only that:
 * - `localhost:3000` becomes a free port (PORT is exported with it), so other tests may run beside this one;
 * - the block `npm start` (the reader's first terminal: it stays in the foreground) is started by the test itself, as
 *   written (`npm start`, which execs `node dist/main.js`), and its output is read as a reader would;
 * - the `export TWILIO_...=AC...` block gets the values that first start printed, in place of the placeholders.
 * A `npm start &` inside a block (Use it in CI) runs as written.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { freePort, ROOT } from './ops-process.ts';

interface Block {
  line: number; // of the opening fence, 1-based
  lang: string;
  text: string;
  section: string; // the `## ` heading it is under
}

/** The fenced blocks (``` at the start of a line) of a Markdown text. Indented blocks are prose examples (see below). */
export function fencedBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  let section = '';
  for (let i = 0; i < lines.length; i++) {
    const heading = /^## (.+)/.exec(lines[i]);
    if (heading) section = heading[1];
    const open = /^```(\S*)/.exec(lines[i]);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]); i++) body.push(lines[i]);
    assert.ok(i < lines.length, `README.md line ${start + 1}: a fence that is never closed`);
    blocks.push({ line: start + 1, lang: open[1], text: body.join('\n'), section });
  }
  return blocks;
}

/** Blocks not run, by their first line, each with the reason. Everything else with a language runs. */
const SKIPPED: { first: string; reason: string }[] = [
  { first: 'npm ci', reason: 'installs into the checkout this test runs from (test/api/package.test.ts installs the packed package into an empty project)' },
  { first: '<script src="http://localhost:3000/webchat/embed.js"', reason: 'markup for a web page: test/browser/webchat.test.ts loads embed.js in chromium' },
  { first: 'npm install @switchyard-cc/server', reason: 'installs from the npm registry: test/api/package.test.ts installs the packed tarball and runs the bin' },
  { first: 'docker build -t switchyard .', reason: 'needs a Docker engine: test/cluster/container.test.ts carries out the Dockerfile by hand' },
  { first: 'docker compose -f deploy/compose.yaml up --build -d', reason: 'needs a Docker engine: test/cluster/container.test.ts runs the three nodes behind Caddy without it' },
];

/** Sections whose blocks run in a session of their own, with a server they start themselves. */
const OWN_SESSION = new Set(['Use it in CI']);

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const BLOCKS = fencedBlocks(README);
const RUNNABLE = new Set(['sh', 'ts', 'js']);
const isSkipped = (b: Block) => SKIPPED.some((s) => b.text.split('\n')[0].startsWith(s.first));
const isServerStart = (b: Block) => b.lang === 'sh' && /^npm start\b(?!.*&)/.test(b.text.split('\n')[0]) && b.text.trim().split('\n').length === 1;
const isExport = (b: Block) => b.lang === 'sh' && /^export TWILIO_ACCOUNT_SID=AC\.\.\. /.test(b.text);

describe('README.md: every block runs as written', () => {
  let tmp: string;
  let checkout: string;
  let project: string;
  const children: ChildProcess[] = [];

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'switchyard-readme-'));
    checkout = join(tmp, 'switchyard');
    project = join(tmp, 'my-project');
    mkdirSync(checkout);
    for (const name of ['package.json', 'package-lock.json', 'node_modules', 'src', 'scripts', 'public', 'tsconfig.json']) symlinkSync(join(ROOT, name), join(checkout, name));
    // `npm run build`'s compiler, into the temporary checkout (about 10 s).
    await promisify(execFile)(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', join(checkout, 'dist')], { cwd: ROOT });
    // The reader's own project: the package as installed, and the packages the snippets import beside it.
    mkdirSync(join(project, 'node_modules/@switchyard-cc'), { recursive: true });
    mkdirSync(join(project, 'node_modules/@twilio'), { recursive: true });
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'my-project', type: 'module', private: true }));
    symlinkSync(checkout, join(project, 'node_modules/@switchyard-cc/server'));
    for (const name of ['twilio', '@twilio/conversations', 'twilio-taskrouter', 'ws']) symlinkSync(join(ROOT, 'node_modules', name), join(project, 'node_modules', name));
  });

  after(() => {
    // Each session and server runs in a process group of its own: end the group, servers started with `&` included.
    for (const child of children) {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  test('SKIPPED names blocks that exist, one each, and every block is run, skipped for its reason, or an output sample', () => {
    for (const s of SKIPPED) assert.equal(BLOCKS.filter((b) => b.text.split('\n')[0].startsWith(s.first)).length, 1, `SKIPPED entry '${s.first}' matches one block`);
    for (const b of BLOCKS) {
      if (b.lang === '' || isSkipped(b)) continue;
      assert.ok(RUNNABLE.has(b.lang), `README.md line ${b.line}: a \`\`\`${b.lang} block, which this test cannot run: run it (sh, ts, js), make it an output sample (plain \`\`\`), or add it to SKIPPED with the reason`);
    }
    assert.equal(BLOCKS.filter(isServerStart).length, 1, 'one block starts the server in the foreground (`npm start`)');
    assert.equal(BLOCKS.filter(isExport).length, 1, 'one block exports what the first start printed');
  });

  /** Starts `npm start` in the checkout, as the reader does, and resolves with what it printed once it is listening. */
  async function firstStart(port: number): Promise<Record<string, string>> {
    const child = spawn('npm', ['start'], { cwd: checkout, env: { ...baseEnv(port) }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c));
    child.stderr!.on('data', (c: Buffer) => (out += c));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`npm start printed no credentials within 60 s:\n${out}`)), 60_000);
      const check = () => {
        if (!/TWILIO_API_SECRET=\S+\n/.test(out)) return;
        clearTimeout(timer);
        resolve();
      };
      child.stdout!.on('data', check);
      child.on('exit', () => reject(new Error(`npm start exited:\n${out}`)));
    });
    // What the README shows of the first start, line for line (the values aside).
    assert.match(out, new RegExp(`Switchyard listening on http://localhost:${port} with SQLite \\(data/switchyard\\.db\\)\\n`));
    const printed: Record<string, string> = {};
    for (const m of out.matchAll(/^ {2}(TWILIO_(?:ACCOUNT_SID|AUTH_TOKEN|API_KEY|API_SECRET))=(\S+)$/gm)) printed[m[1]] = m[2];
    assert.deepEqual(Object.keys(printed).sort(), ['TWILIO_ACCOUNT_SID', 'TWILIO_API_KEY', 'TWILIO_API_SECRET', 'TWILIO_AUTH_TOKEN']);
    return printed;
  }

  function baseEnv(port: number): NodeJS.ProcessEnv {
    // A reader's shell: PATH and HOME, nothing of this test's own environment (no TEST_DATABASE_URL, no TWILIO_*).
    return { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), HOST: '127.0.0.1', npm_config_update_notifier: 'false' };
  }

  /** The bash script of one session: each block as written (but the substitutions above), the current block's line kept in a file. */
  function script(blocks: Block[], port: number, printed: Record<string, string> | null): string {
    const current = join(tmp, `current-${port}`);
    const parts = [
      'set -e',
      // The command that failed, in the output the failure shows.
      `trap 'echo "README command failed (exit $?): $BASH_COMMAND" >&2' ERR`,
      // Stricter than a reader's eye, not different: an HTTP error answer makes the command fail. (-f already fails.)
      'curl() { case " $* " in *" -f"*|*" -sf"*|*" --fail"*) command curl "$@" ;; *) command curl --fail-with-body "$@" ;; esac; }',
    ];
    for (const b of blocks) {
      let text = b.text.replaceAll('localhost:3000', `localhost:${port}`);
      if (isExport(b)) {
        assert.ok(printed, `README.md line ${b.line}: the export block runs after the first start`);
        text = `export ${Object.entries(printed).map(([k, v]) => `${k}='${v}'`).join(' ')}`;
      }
      parts.push(`echo ${b.line} > '${current}'`, `echo '--- README.md line ${b.line}'`);
      if (b.lang === 'sh') {
        parts.push(text);
      } else {
        const file = join(project, `readme-${b.line}.${b.lang === 'ts' ? 'ts' : /\brequire\(/.test(text) ? 'cjs' : 'mjs'}`);
        writeFileSync(file, `${text}\n`);
        const tsx = b.lang === 'ts' ? `--import '${import.meta.resolve('tsx')}' ` : '';
        parts.push(`(cd '${project}' && node ${tsx}'${file}')`);
      }
    }
    parts.push(`echo done > '${current}'`);
    return parts.join('\n');
  }

  async function runSession(name: string, blocks: Block[], port: number, printed: Record<string, string> | null, extraEnv: NodeJS.ProcessEnv = {}) {
    const path = join(tmp, `${name}.sh`);
    writeFileSync(path, script(blocks, port, printed));
    const child = spawn('bash', [path], { cwd: checkout, env: { ...baseEnv(port), ...extraEnv }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c));
    child.stderr!.on('data', (c: Buffer) => (out += c));
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        process.kill(-child.pid!, 'SIGKILL');
      }, 120_000);
      child.on('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    // Whatever the session left running (`npm start &` not killed) ends with it.
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // nothing left
    }
    const at = readFileSync(join(tmp, `current-${port}`), 'utf8').trim();
    assert.ok(code === 0 && at === 'done', `README.md line ${at}: the block failed (exit ${code}); the session's output:\n${out.slice(-6000)}`);
    return out;
  }

  test('the walk-through: first start, export, the SIDs, then every section\'s commands and snippets against that server', async () => {
    const port = await freePort();
    const printed = await firstStart(port);
    const blocks = BLOCKS.filter((b) => RUNNABLE.has(b.lang) && !isSkipped(b) && !isServerStart(b) && !OWN_SESSION.has(b.section));
    await runSession('main', blocks, port, printed);
  });

  for (const section of OWN_SESSION) {
    test(`"${section}": its blocks in order, in one shell, with the server it starts`, async () => {
      const blocks = BLOCKS.filter((b) => RUNNABLE.has(b.lang) && !isSkipped(b) && b.section === section);
      assert.ok(blocks.length > 0, `README.md has a section "${section}" with blocks`);
      await runSession(section.replaceAll(' ', '-'), blocks, await freePort(), null);
    });
  }
});
