import type { PathSegment } from './lexer.ts';
import type { Node, Operand, Operator } from './parser.ts';

export type Predicate = (context: Record<string, unknown>) => boolean;
// `undefined` stands for "absent": a missing key, an out-of-range index, or a JSON null.
type Getter = (context: Record<string, unknown>) => unknown;
type Compare = (left: unknown, right: unknown) => boolean;

const never: Predicate = () => false;
const always: Predicate = () => true;

/**
 * Turns the AST into nested closures once, so evaluating against thousands of
 * workers is a chain of direct calls with no per-call dispatch on node kinds.
 */
export function compile(node: Node): Predicate {
  switch (node.kind) {
    case 'empty':
      return never;
    case 'compare':
      return compileComparison(node.op, node.left, node.right);
    case 'and':
    case 'or':
      return compileChain(node.kind, node.children.map(compile));
  }
}

export function collectRoots(node: Node, into: Set<string>): Set<string> {
  switch (node.kind) {
    case 'compare':
      for (const operand of [node.left, node.right]) {
        if (operand.kind === 'path') into.add(operand.segments[0] as string);
      }
      break;
    case 'and':
    case 'or':
      for (const child of node.children) collectRoots(child, into);
      break;
  }
  return into;
}

function compileChain(kind: 'and' | 'or', parts: Predicate[]): Predicate {
  // Fixed-arity closures for the common shapes avoid a loop and an array read per call.
  if (kind === 'and') {
    if (parts.length === 2) {
      const [a, b] = parts;
      return (ctx) => a(ctx) && b(ctx);
    }
    return (ctx) => {
      for (const part of parts) if (!part(ctx)) return false;
      return true;
    };
  }
  if (parts.length === 2) {
    const [a, b] = parts;
    return (ctx) => a(ctx) || b(ctx);
  }
  return (ctx) => {
    for (const part of parts) if (part(ctx)) return true;
    return false;
  };
}

function compileComparison(op: Operator, left: Operand, right: Operand): Predicate {
  const leftIsNull = left.kind === 'constant' && left.value === null;
  const rightIsNull = right.kind === 'constant' && right.value === null;
  // A literal `null` turns ==/!= into a presence test (`preferred_agents != null`);
  // it is the only way to ask about absence, since absent operands otherwise make every comparison false.
  if (leftIsNull || rightIsNull) {
    if (op !== '==' && op !== '!=') return never;
    if (leftIsNull && rightIsNull) return op === '==' ? always : never;
    const get = getter(leftIsNull ? right : left);
    return op === '==' ? (ctx) => get(ctx) === undefined : (ctx) => get(ctx) !== undefined;
  }

  const compare = COMPARE[op];
  if (left.kind === 'constant' && right.kind === 'constant') {
    return compare(left.value, right.value) ? always : never;
  }
  if (right.kind === 'constant') return compileAgainstConstant(op, getter(left), right.value);
  if (left.kind === 'constant') {
    const value = left.value;
    const getRight = getter(right);
    return (ctx) => {
      const b = getRight(ctx);
      return b !== undefined && compare(value, b);
    };
  }
  const getLeft = getter(left);
  const getRight = getter(right);
  return (ctx) => {
    const a = getLeft(ctx);
    if (a === undefined) return false;
    const b = getRight(ctx);
    return b !== undefined && compare(a, b);
  };
}

/**
 * `path <op> constant` is by far the most common shape. One closure literal per
 * operator keeps each call site monomorphic instead of calling through
 * COMPARE[op]; worth roughly 10% in a 10k-worker benchmark.
 */
function compileAgainstConstant(op: Operator, get: Getter, value: unknown): Predicate {
  // No separate absence check: `undefined` fails every type test below, exactly like a mismatch.
  switch (op) {
    case '==':
      return (ctx) => scalarEquals(get(ctx), value) === true;
    case '!=':
      return (ctx) => scalarEquals(get(ctx), value) === false;
    case '>':
      return (ctx) => order(get(ctx), value) > 0;
    case '>=':
      return (ctx) => order(get(ctx), value) >= 0;
    case '<':
      return (ctx) => order(get(ctx), value) < 0;
    case '<=':
      return (ctx) => order(get(ctx), value) <= 0;
    case 'CONTAINS': {
      if (typeof value !== 'string') return never;
      return (ctx) => {
        const a = get(ctx);
        return typeof a === 'string' && a.includes(value);
      };
    }
    case 'HAS': {
      if (!isScalar(value)) return never;
      return (ctx) => {
        const a = get(ctx);
        return Array.isArray(a) && arrayHas(a, value);
      };
    }
    case 'IN':
    case 'NOT IN': {
      if (!Array.isArray(value)) return never;
      const negate = op === 'NOT IN';
      return (ctx) => {
        const a = get(ctx);
        return isScalar(a) && arrayHas(value, a) !== negate;
      };
    }
  }
}

function getter(operand: Operand): Getter {
  if (operand.kind === 'constant') {
    const value = operand.value;
    return () => value;
  }
  const segments = operand.segments;
  const guarded = segments.map(isInheritedName);
  if (segments.length === 1 && typeof segments[0] === 'string') {
    const key = segments[0];
    if (guarded[0]) return (ctx) => present(Object.hasOwn(ctx, key) ? ctx[key] : undefined);
    return (ctx) => present(ctx[key]);
  }
  return (ctx) => resolvePath(ctx, segments, guarded);
}

/**
 * Contexts are plain JSON objects, so only names that exist on Object.prototype
 * (`constructor`, `__proto__`, `toString`, ...) can resolve to something the
 * attributes do not hold. Only those pay for an own-property check; doing it for
 * every key cost about 20% in a 10k-worker benchmark.
 */
const isInheritedName = (segment: PathSegment): boolean => typeof segment === 'string' && segment in Object.prototype;

function resolvePath(root: unknown, segments: readonly PathSegment[], guarded: readonly boolean[]): unknown {
  let current = root;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    if (typeof segment === 'number') {
      if (!Array.isArray(current) || segment >= current.length) return undefined;
      current = current[segment];
    } else {
      if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
      if (guarded[i] && !Object.hasOwn(current, segment)) return undefined;
      current = (current as Record<string, unknown>)[segment];
    }
  }
  return present(current);
}

const present = (value: unknown): unknown => (value === null ? undefined : value);

function isScalar(value: unknown): value is string | number | boolean {
  const t = typeof value;
  return t === 'string' || t === 'number' || t === 'boolean';
}

// Same shape as a numeric literal in the language, so `'08'` coerces but `' 8'`, `'8e1'` and `'0x8'` do not.
const NUMERIC_STRING = /^-?\d+(?:\.\d+)?$/;

function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && NUMERIC_STRING.test(value)) return Number(value);
  return undefined;
}

/** `true`/`false` when the two values are comparable for equality, `undefined` on a type mismatch. */
function scalarEquals(a: unknown, b: unknown): boolean | undefined {
  const ta = typeof a;
  if (ta === typeof b) return isScalar(a) ? a === b : undefined;
  if (ta === 'number' || typeof b === 'number') {
    const x = asNumber(a);
    const y = asNumber(b);
    return x === undefined || y === undefined ? undefined : x === y;
  }
  return undefined;
}

/** Sign of a - b, or NaN when the pair has no order (booleans, arrays, mixed non-numeric types). */
function order(a: unknown, b: unknown): number {
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  const x = asNumber(a);
  const y = asNumber(b);
  // Two strings were handled above, so reaching here with both numeric means at least one real number.
  return x === undefined || y === undefined ? NaN : x - y;
}

function arrayHas(array: readonly unknown[], value: unknown): boolean {
  for (const item of array) if (scalarEquals(item, value) === true) return true;
  return false;
}

const COMPARE: Readonly<Record<Operator, Compare>> = {
  '==': (a, b) => scalarEquals(a, b) === true,
  // A type mismatch is "not comparable", not "different": `'abc' != 5` is false, like every other mismatch.
  '!=': (a, b) => scalarEquals(a, b) === false,
  '>': (a, b) => order(a, b) > 0,
  '>=': (a, b) => order(a, b) >= 0,
  '<': (a, b) => order(a, b) < 0,
  '<=': (a, b) => order(a, b) <= 0,
  CONTAINS: (a, b) => typeof a === 'string' && typeof b === 'string' && a.includes(b),
  HAS: (a, b) => Array.isArray(a) && isScalar(b) && arrayHas(a, b),
  IN: (a, b) => isScalar(a) && Array.isArray(b) && arrayHas(b, a),
  'NOT IN': (a, b) => isScalar(a) && Array.isArray(b) && !arrayHas(b, a),
};
