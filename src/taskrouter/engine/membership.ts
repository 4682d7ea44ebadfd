import { evaluate, ExpressionCache, parseExpression } from '../../core/expression/index.ts';
import type { Executor } from '../../store/database.ts';
import { parseAttributes } from '../attributes.ts';

// Queues' target_workers, parsed once per text rather than once per worker written: a workspace of 5,000 queues
// would otherwise parse 5,000 expressions for every new worker. Twilio allows 5,000 queues per workspace.
const queueExpressions = new ExpressionCache(10_000);

/**
 * Queue membership (which workers a queue's target_workers selects) is kept in queue_members and
 * updated when a worker's attributes or a queue's expression change, so routing a task never
 * evaluates target_workers over the whole workspace.
 */
export async function refreshWorkerMembership(tx: Executor, workspaceSid: string, workerSid: string, attributes: string): Promise<void> {
  const attrs = parseAttributes(attributes);
  const queues = await tx.all<{ sid: string; target_workers: string }>(
    'SELECT sid, target_workers FROM task_queues WHERE workspace_sid = ?',
    [workspaceSid],
  );
  await tx.run('DELETE FROM queue_members WHERE worker_sid = ?', [workerSid]);
  const members = queues.filter((q) => evaluate(queueExpressions.get(q.target_workers), attrs)).map((q) => [q.sid, workerSid] as const);
  await insertMembers(tx, members);
}

const ROWS_PER_INSERT = 500;

/** queue_members rows in multi-row inserts (a worker may belong to thousands of queues). */
async function insertMembers(tx: Executor, members: ReadonlyArray<readonly [queueSid: string, workerSid: string]>): Promise<void> {
  for (let i = 0; i < members.length; i += ROWS_PER_INSERT) {
    const chunk = members.slice(i, i + ROWS_PER_INSERT);
    await tx.run(`INSERT INTO queue_members (queue_sid, worker_sid) VALUES ${chunk.map(() => '(?, ?)').join(', ')}`, chunk.flat());
  }
}

export async function refreshQueueMembership(tx: Executor, workspaceSid: string, queueSid: string, targetWorkers: string): Promise<void> {
  const expr = parseExpression(targetWorkers);
  const workers = await tx.all<{ sid: string; attributes: string }>('SELECT sid, attributes FROM workers WHERE workspace_sid = ?', [
    workspaceSid,
  ]);
  await tx.run('DELETE FROM queue_members WHERE queue_sid = ?', [queueSid]);
  await insertMembers(tx, workers.filter((w) => evaluate(expr, parseAttributes(w.attributes))).map((w) => [queueSid, w.sid] as const));
}
