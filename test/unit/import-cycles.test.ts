import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * The shape of src/: no import cycle anywhere, and lower layers never import upper ones.
 *
 * Edges are the static imports and re-exports between modules of src/ (`import ... from './x.ts'`,
 * `export ... from`), type-only ones included: a cycle through a type still ties two modules
 * together (neither can be read, moved or tested without the other), and both of the engine's old
 * cycles were half made of one. Packages and `node:` modules are not edges.
 */

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

type Graph = Map<string, Set<string>>;

/** Every module of src/ (paths relative to src/, `/`-separated) and the modules of src/ it imports. */
function importGraph(): Graph {
  const graph: Graph = new Map();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.[cm]?ts$/.test(entry.name) && !entry.name.endsWith('.d.ts')) graph.set(name(path), importsOf(path));
    }
  };
  walk(SRC);
  return graph;
}

const name = (path: string) => relative(SRC, path).split('\\').join('/');

function importsOf(path: string): Set<string> {
  const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest);
  const found = new Set<string>();
  for (const statement of source.statements) {
    const specifier =
      (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) && statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier)
        ? statement.moduleSpecifier.text
        : null;
    if (specifier?.startsWith('.')) found.add(name(resolve(dirname(path), specifier)));
  }
  return found;
}

/** The import cycles of a graph: its strongly connected components of more than one module, or a module importing itself. */
function cycles(graph: Graph): string[][] {
  // Tarjan's algorithm, iterative: src/ is deep enough that recursion depth is not a worry, but nothing is gained by it.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  for (const root of graph.keys()) {
    if (index.has(root)) continue;
    const work: { node: string; edges: Iterator<string> }[] = [];
    const enter = (node: string) => {
      index.set(node, next);
      low.set(node, next++);
      stack.push(node);
      onStack.add(node);
      work.push({ node, edges: (graph.get(node) ?? new Set()).values() });
    };
    enter(root);
    while (work.length > 0) {
      const top = work[work.length - 1];
      const edge = top.edges.next();
      if (!edge.done) {
        const to = edge.value;
        if (!graph.has(to)) continue;
        if (!index.has(to)) enter(to);
        else if (onStack.has(to)) low.set(top.node, Math.min(low.get(top.node)!, index.get(to)!));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1].node;
        low.set(parent, Math.min(low.get(parent)!, low.get(top.node)!));
      }
      if (low.get(top.node) === index.get(top.node)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== top.node);
        if (component.length > 1 || graph.get(top.node)?.has(top.node)) found.push(component.sort());
      }
    }
  }
  return found;
}

/**
 * What each lower layer may import. `only`: nothing outside these folders; `never`: nothing from these.
 * Products (taskrouter, conversations, flex, eventbridge...) sit above core, store and outbound.
 */
const RULES: { layer: string; only?: string[]; never?: string[]; why: string }[] = [
  { layer: 'core/', only: ['core/'], why: 'the pure core knows nothing of the server around it' },
  { layer: 'store/', only: ['core/', 'store/'], why: 'the store serves every product and knows none' },
  { layer: 'outbound/', only: ['core/', 'store/', 'outbound/'], why: 'the senders serve every product and know none' },
  { layer: 'taskrouter/engine/', never: ['taskrouter/service/', 'taskrouter/http/'], why: 'the engine sits below the services and routes that call it' },
];

/** Imports that break a rule on purpose, each with its reason. */
const ALLOWED: [from: string, to: string, why: string][] = [
  ['store/backup-command.ts', 'config.ts', 'the backup command is an entry point: it reads the configuration as main.ts does'],
];

/**
 * Imports that break a rule (and close a cycle) today, in files being rewritten by someone else;
 * each must still exist, so that this list only shrinks. The way out for both: import
 * parseAttributes from '../attributes.ts' instead of '../service/deps.ts'.
 */
const PENDING: [from: string, to: string][] = [];

function withoutPending(graph: Graph): Graph {
  const copy: Graph = new Map([...graph].map(([k, v]) => [k, new Set(v)]));
  for (const [from, to] of PENDING) copy.get(from)?.delete(to);
  return copy;
}

function breaks(from: string, to: string): string | null {
  if (ALLOWED.some(([f, t]) => f === from && t === to)) return null;
  for (const rule of RULES) {
    if (!from.startsWith(rule.layer)) continue;
    if (rule.only && !rule.only.some((p) => to.startsWith(p))) return `${from} imports ${to}: ${rule.layer} imports only ${rule.only.join(', ')} (${rule.why})`;
    if (rule.never?.some((p) => to.startsWith(p))) return `${from} imports ${to}: ${rule.layer} never imports ${rule.never.join(', ')} (${rule.why})`;
  }
  return null;
}

test('the cycle finder finds cycles, self-imports included, and nothing in a graph without one', () => {
  const graph: Graph = new Map([
    ['a.ts', new Set(['b.ts'])],
    ['b.ts', new Set(['c.ts'])],
    ['c.ts', new Set(['a.ts', 'd.ts'])],
    ['d.ts', new Set(['e.ts'])],
    ['e.ts', new Set(['e.ts', 'outside.ts'])],
    ['f.ts', new Set(['d.ts'])],
  ]);
  assert.deepEqual(cycles(graph).sort(), [['a.ts', 'b.ts', 'c.ts'], ['e.ts']]);
  graph.get('c.ts')!.delete('a.ts');
  graph.get('e.ts')!.delete('e.ts');
  assert.deepEqual(cycles(graph), []);
});

test('the import graph of src/ is read: type-only imports and re-exports are edges', () => {
  const graph = importGraph();
  assert.ok(graph.size > 200, `only ${graph.size} modules found under ${SRC}`);
  // A value import, a type-only import and a re-export that src/ is known to have.
  assert.ok(graph.get('server.ts')?.has('taskrouter/services.ts'));
  assert.ok(graph.get('taskrouter/service/deps.ts')?.has('taskrouter/engine/index.ts'), 'import type counts');
  assert.ok(graph.get('taskrouter/engine/delivery.ts')?.has('store/outbox.ts'), 'export ... from counts');
});

test('no import cycle anywhere in src/', () => {
  const found = cycles(withoutPending(importGraph()));
  assert.deepEqual(found, [], `import cycles:\n${found.map((c) => '  ' + c.join(' <-> ')).join('\n')}`);
});

test('lower layers never import upper ones', () => {
  const problems: string[] = [];
  for (const [from, tos] of withoutPending(importGraph())) {
    for (const to of tos) {
      const problem = breaks(from, to);
      if (problem) problems.push(problem);
    }
  }
  assert.deepEqual(problems, []);
});

test('every pending exception still exists (when one is fixed, take it off PENDING)', () => {
  const graph = importGraph();
  for (const [from, to] of PENDING) assert.ok(graph.get(from)?.has(to), `${from} no longer imports ${to}: remove it from PENDING`);
  for (const [from, to] of PENDING) assert.ok(breaks(from, to), `${from} -> ${to} breaks no rule: it need not be pending`);
});

test('only store/ tells the two databases apart: everyone else uses the store\'s capabilities (lock, forUpdate, seqsCommitInOrder)', () => {
  const readers = [...importGraph().keys()].filter((m) => !m.startsWith('store/') && /\bdialect\s*(===|!==)/.test(readFileSync(join(SRC, m), 'utf8')));
  assert.deepEqual(readers, []);
});
