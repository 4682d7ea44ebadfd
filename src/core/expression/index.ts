/**
 * TaskRouter expression language: pure parsing and evaluation, no I/O.
 *
 * Parse once when a TaskQueue or Workflow is written (syntax errors surface
 * there), then evaluate the compiled form for every task/worker pair.
 * Semantics and the choices made where Twilio is silent: docs/decisions.md.
 */
import { compile, collectRoots, type Predicate } from './evaluate.ts';
import { parse, type Node } from './parser.ts';

export { ExpressionSyntaxError } from './errors.ts';
export type { Constant, Node as ExpressionNode, Operand, Operator, Scalar } from './parser.ts';

export interface Expression {
  readonly source: string;
  readonly ast: Node;
}

// Symbol-keyed so the compiled closure rides along without showing up in JSON or the public shape.
const COMPILED: unique symbol = Symbol('compiledExpression');

interface CompiledExpression extends Expression {
  readonly [COMPILED]: Predicate;
}

export function parseExpression(source: string): Expression {
  const ast = parse(source);
  const expression: CompiledExpression = { source, ast, [COMPILED]: compile(ast) };
  return Object.freeze(expression);
}

/** Never throws: absent keys, wrong types and hostile contexts all evaluate to false. */
export function evaluate(expr: Expression, context: Record<string, unknown>): boolean {
  const predicate = (expr as Partial<CompiledExpression>)[COMPILED] ?? foreignPredicate(expr);
  try {
    return predicate(context);
  } catch {
    return false;
  }
}

// An Expression not built by parseExpression (e.g. rebuilt from a stored AST) is compiled on first use.
const foreign = new WeakMap<Expression, Predicate>();
function foreignPredicate(expr: Expression): Predicate {
  let predicate = foreign.get(expr);
  if (predicate === undefined) {
    predicate = compile(expr.ast);
    foreign.set(expr, predicate);
  }
  return predicate;
}

/** First path segments the expression reads, e.g. {'task', 'worker'} for a workflow target expression. */
export function referencedRoots(expr: Expression): Set<string> {
  return collectRoots(expr.ast, new Set());
}

/** A bounded LRU of parsed expressions by source text. */
export class ExpressionCache {
  private readonly entries = new Map<string, Expression>();
  constructor(private readonly limit: number) {}

  /** Throws ExpressionSyntaxError for bad syntax (nothing is cached then). */
  get(source: string): Expression {
    let expr = this.entries.get(source);
    if (expr === undefined) {
      expr = parseExpression(source);
      if (this.entries.size >= this.limit) this.entries.delete(this.entries.keys().next().value as string);
    } else {
      // Re-insert so Map order tracks recency and the oldest key is the least recently used.
      this.entries.delete(source);
    }
    this.entries.set(source, expr);
    return expr;
  }
}

// Bounded so user-supplied expressions (e.g. TargetWorkersExpression query params) cannot grow memory without limit.
const cache = new ExpressionCache(1000);

/** Parse (through a small LRU cache) and evaluate; throws ExpressionSyntaxError for bad syntax. */
export function matches(source: string, context: Record<string, unknown>): boolean {
  return evaluate(cache.get(source), context);
}
