import { evaluate, parseExpression } from '../../core/expression/index.ts';
import type { Executor } from '../../store/database.ts';
import { parseAttributes } from '../attributes.ts';

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
  for (const q of queues)
    if (evaluate(parseExpression(q.target_workers), attrs))
      await tx.run('INSERT INTO queue_members (queue_sid, worker_sid) VALUES (?, ?)', [q.sid, workerSid]);
}

export async function refreshQueueMembership(tx: Executor, workspaceSid: string, queueSid: string, targetWorkers: string): Promise<void> {
  const expr = parseExpression(targetWorkers);
  const workers = await tx.all<{ sid: string; attributes: string }>('SELECT sid, attributes FROM workers WHERE workspace_sid = ?', [
    workspaceSid,
  ]);
  await tx.run('DELETE FROM queue_members WHERE queue_sid = ?', [queueSid]);
  for (const w of workers)
    if (evaluate(expr, parseAttributes(w.attributes)))
      await tx.run('INSERT INTO queue_members (queue_sid, worker_sid) VALUES (?, ?)', [queueSid, w.sid]);
}
