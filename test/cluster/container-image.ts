/**
 * The Dockerfile carried out by hand, without a Docker engine: the build context made as `docker build .` makes it
 * (.dockerignore applied), each stage's WORKDIR, COPY and RUN done in a directory standing for that stage's root, so
 * the runtime stage's /app is a directory whose CMD can be started. What cannot be done so is said where it happens.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix, relative } from 'node:path';
import { dockerignore, type Stage } from './container-files.ts';

/** The base image's `node` user, whom the runtime stage's USER names (checked by the test). */
export const IMAGE_UID = 1000;

export interface Assembled {
  /** Where each stage's filesystem root stands, by stage name. */
  roots: Record<string, string>;
  context: string;
  /** The RUN steps that were not carried out, and why. */
  notDone: string[];
  /** Removes every directory made. */
  dispose(): void;
}

/** The build context: the working tree less what .dockerignore leaves out. */
function makeContext(repo: string, ignore: string, into: string): void {
  const excluded = dockerignore(ignore);
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(repo, dir), { withFileTypes: true })) {
      const path = dir ? `${dir}/${entry.name}` : entry.name;
      if (excluded(path)) continue;
      if (entry.isDirectory()) walk(path);
      else cpSync(join(repo, path), join(into, path), { dereference: true });
    }
  };
  walk('');
}

/**
 * Carries out the stages in order. `repo` gives the context and the node_modules that stand for `npm ci`'s (this
 * machine's registry installs would take minutes and the lockfile is the same).
 */
export function assemble(repo: string, stages: Stage[], ignore: string): Assembled {
  const base = mkdtempSync(join(tmpdir(), 'sy-image-'));
  chmodSync(base, 0o755); // the runtime's user must reach /app, as in the image
  const context = join(base, 'context');
  mkdirSync(context);
  makeContext(repo, ignore, context);
  const roots: Record<string, string> = {};
  const notDone: string[] = [];
  stages.forEach((stage, n) => {
    const name = stage.name ?? String(n);
    const root = join(base, `stage-${name}`);
    mkdirSync(root, { mode: 0o755 });
    roots[name] = root;
    let workdir = '/';
    const at = (p: string) => join(root, posix.resolve(workdir, p));
    for (const i of stage.instructions) {
      if (i.name === 'WORKDIR') {
        workdir = posix.resolve(workdir, i.args);
        mkdirSync(at('.'), { recursive: true, mode: 0o755 });
      } else if (i.name === 'COPY') {
        const parts = i.args.split(/\s+/);
        const dest = parts.pop()!;
        const fromRoot = i.flags.from ? roots[i.flags.from] : context;
        if (!fromRoot) throw new Error(`COPY --from=${i.flags.from}: no such stage before this one`);
        for (const src of parts) {
          // A stage's path is absolute in that stage's root; a context path is relative to the context.
          const from = join(fromRoot, src);
          if (!existsSync(from)) throw new Error(`COPY ${i.flags.from ? `--from=${i.flags.from} ` : ''}${src}: not there (${relative(base, from)})`);
          // As Docker: a file copied to a path ending in / goes inside it; a directory's contents go into dest.
          const isFile = !lstatSync(from).isDirectory();
          const to = isFile && dest.endsWith('/') ? join(at(dest), posix.basename(src)) : at(dest);
          cpSync(from, to, { recursive: true, verbatimSymlinks: true });
        }
      } else if (i.name === 'RUN') {
        for (const command of i.args.split('&&').map((c) => c.trim())) run(command, at('.'), at, notDone);
      }
    }
  });
  return { roots, context, notDone, dispose: () => execFileSync('rm', ['-rf', base]) };

  function run(command: string, cwd: string, at: (p: string) => string, notDone: string[]): void {
    const words = command.split(/\s+/);
    if (words[0] === 'npm' && words[1] === 'ci') {
      // Stands in for the lockfile's install: the repository's own node_modules, installed from the same lockfile.
      symlinkSync(join(repo, 'node_modules'), join(cwd, 'node_modules'));
    } else if (words[0] === 'npm' && words[1] === 'rebuild') {
      notDone.push(`${command}: the repository's node_modules are already built for this machine`);
    } else if (command === 'npm run build') {
      execFileSync('npm', ['run', 'build'], { cwd, stdio: 'pipe', env: { ...process.env, NODE_OPTIONS: '' } });
    } else if (words[0] === 'npm' && words[1] === 'prune') {
      notDone.push(`${command}: node_modules is shared with the repository here; the test checks instead that dist/ imports production dependencies only`);
    } else if (words[0] === 'apt-get' || words[0] === 'rm') {
      notDone.push(`${command}: the image's system packages (here: the compilers better-sqlite3 falls back to)`);
    } else if (words[0] === 'mkdir' && words[1] === '-p') {
      for (const p of words.slice(2)) mkdirSync(at(p), { recursive: true, mode: 0o755 });
    } else if (words[0] === 'chown' && words[1] === 'node:node') {
      // As root (CI), the directory is handed to the image's uid, as in the image; otherwise it is ours already.
      for (const p of words.slice(2)) if (process.getuid?.() === 0) chownSync(at(p), IMAGE_UID, IMAGE_UID);
    } else throw new Error(`RUN '${command}': the test does not know how to carry this out; teach test/cluster/container-image.ts`);
  }
}
