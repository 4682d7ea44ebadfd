import { invalidParameter, notFound } from '../core/errors.ts';
import { isSid } from '../core/sid.ts';
import { forbidden } from '../eventbridge/routes.ts';
import { tasks, type TaskRow } from '../taskrouter/routing-model.ts';
import type { AgentSession } from './bearer.ts';
import type { AgentDeps } from './deps.ts';

export interface InteractionTask {
  task: TaskRow;
  interactionSid: string;
  channelSid: string;
  conversationSid: string | null;
}

/**
 * A task the agent holds: in the token's workspace (else 404, as if it did not exist) and
 * accepted by this very worker (else 403, as the event bridge answers for another worker's task).
 * A pending offer is not held yet.
 */
export async function ownTask(deps: AgentDeps, agent: AgentSession, taskSid: string): Promise<TaskRow> {
  const path = `/v1/Agent/Tasks/${taskSid}`;
  if (!isSid(taskSid, 'WT')) throw notFound(path);
  const task = await tasks.get(deps.db, taskSid, ['workspace_sid = ?', agent.workspaceSid], ['account_sid = ?', agent.accountSid]);
  if (!task) throw notFound(path);
  const held = await deps.db.get<{ sid: string }>(
    "SELECT sid FROM reservations WHERE task_sid = ? AND worker_sid = ? AND reservation_status IN ('accepted', 'wrapping', 'completed') LIMIT 1",
    [taskSid, agent.workerSid],
  );
  if (!held) throw forbidden(`Task ${taskSid} is not assigned to Worker ${agent.workerSid}`);
  return task;
}

/** The interaction side of an agent's task (its Flex attributes), or 400 for a task that is not an interaction's. */
export function interactionOf(task: TaskRow): InteractionTask {
  let attrs: Record<string, unknown> = {};
  try {
    attrs = JSON.parse(task.attributes) as Record<string, unknown>;
  } catch {
    /* stored attributes are valid JSON; an odd one is simply not an interaction task */
  }
  const interactionSid = attrs.flexInteractionSid;
  const channelSid = attrs.flexInteractionChannelSid;
  if (!isSid(interactionSid, 'KD') || !isSid(channelSid, 'UO')) throw invalidParameter(`Task ${task.sid} is not a Flex Interactions task (no flexInteractionSid / flexInteractionChannelSid)`);
  return { task, interactionSid, channelSid, conversationSid: typeof attrs.conversationSid === 'string' ? attrs.conversationSid : null };
}

/** Only a task the agent is working on (assigned) can have its chat ended or be transferred. */
export function requireAssigned(task: TaskRow, what: string): void {
  if (task.assignment_status !== 'assigned') throw invalidParameter(`Task ${task.sid} is ${task.assignment_status}: only an assigned task can ${what}`);
}
