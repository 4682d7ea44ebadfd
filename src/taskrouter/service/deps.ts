import type { Clock } from '../../core/clock.ts';
import type { Engine } from '../engine/index.ts';
import { invalidParameter, notFound, preconditionFailed } from '../../core/errors.ts';
import { ExpressionSyntaxError, parseExpression, type Expression } from '../../core/expression/index.ts';
import { isUniqueViolation, type Database, type Executor } from '../../store/database.ts';
import { workspaces, type WorkspaceRow } from '../model.ts';

/** What every TaskRouter service needs: the database and the one clock. */
export interface Deps {
  db: Database;
  clock: Clock;
  engine: Engine;
}

export async function requireWorkspace(db: Executor, accountSid: string, sid: string): Promise<WorkspaceRow> {
  const ws = await workspaces.get(db, sid, ['account_sid = ?', accountSid]);
  if (!ws) throw notFound(`/v1/Workspaces/${sid}`);
  return ws;
}

/** Parses a user-supplied expression, turning a syntax error into a 400 that names the parameter. */
export function expressionParam(name: string, source: string): Expression {
  try {
    return parseExpression(source);
  } catch (err) {
    if (err instanceof ExpressionSyntaxError) throw invalidParameter(`Invalid ${name}: ${err.message}`);
    throw err;
  }
}

/** Where the services find it; it lives below them, with the engine's other uses of it. */
export { parseAttributes } from '../attributes.ts';

/** `Ordering=DateCreated:desc,FriendlyName:asc` into an ORDER BY clause over known columns. */
export function ordering(value: string | undefined, columns: Record<string, string>): string | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(',').map((p) => {
    const [field, dir = 'asc'] = p.trim().split(':');
    const column = columns[field];
    if (!column || !/^(asc|desc)$/i.test(dir)) throw invalidParameter(`Invalid Ordering parameter: '${p.trim()}'`);
    return `${column} ${dir.toUpperCase()}`;
  });
  return [...parts, 'seq'].join(', ');
}

/** Runs a write that may hit a unique index, reporting a clash as a 400 with the given message. */
export async function uniquely<T>(write: () => Promise<T>, message: string): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isUniqueViolation(err)) throw invalidParameter(message);
    throw err;
  }
}

/** The row as it is after an update: the patch's defined values over the old ones. */
export function patched<R>(row: R, patch: Partial<R>): R {
  const out = { ...row };
  for (const [k, v] of Object.entries(patch)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** Optimistic concurrency: an If-Match that names another version than the current one is refused (412). */
export function checkIfMatch(version: number, ifMatch: string | undefined): void {
  if (ifMatch === undefined) return;
  const wanted = ifMatch.replace(/^W\//, '').replace(/"/g, '').trim();
  if (wanted !== '*' && wanted !== String(version)) throw preconditionFailed(version);
}
