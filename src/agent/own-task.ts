import { invalidParameter, notFound } from '../core/errors.ts';
import { isSid } from '../core/sid.ts';
import { forbidden } from '../eventbridge/routes.ts';
import { channels, invites } from '../flex/model.ts';
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

/**
 * A task offered to the agent now (a pending reservation) or held by them: what the desk may show
 * of an offer before it is accepted (the customer, the first message). 403 otherwise.
 */
export async function offeredOrOwnTask(deps: AgentDeps, agent: AgentSession, taskSid: string): Promise<TaskRow> {
  const path = `/v1/Agent/Tasks/${taskSid}`;
  if (!isSid(taskSid, 'WT')) throw notFound(path);
  const task = await tasks.get(deps.db, taskSid, ['workspace_sid = ?', agent.workspaceSid], ['account_sid = ?', agent.accountSid]);
  if (!task) throw notFound(path);
  const seen = await deps.db.get<{ sid: string }>(
    "SELECT sid FROM reservations WHERE task_sid = ? AND worker_sid = ? AND reservation_status IN ('pending', 'accepted', 'wrapping', 'completed') LIMIT 1",
    [taskSid, agent.workerSid],
  );
  if (!seen) throw forbidden(`Task ${taskSid} is neither offered nor assigned to Worker ${agent.workerSid}`);
  return task;
}

/** The interaction side of a task, or undefined for a task Flex did not route for a channel. */
export async function interactionIfAny(deps: AgentDeps, task: TaskRow): Promise<(InteractionTask & { channelType: string }) | undefined> {
  const invite = await invites.first(deps.db, ['task_sid = ?', task.sid], ['account_sid = ?', task.account_sid]);
  const channel = invite && (await channels.get(deps.db, invite.channel_sid, ['account_sid = ?', task.account_sid]));
  if (!invite || !channel) return undefined;
  return { task, interactionSid: invite.interaction_sid, channelSid: channel.sid, conversationSid: channel.conversation_sid, channelType: channel.type };
}

/**
 * The interaction side of an agent's task, from Flex's own records (the invite Flex wrote when it
 * routed the task), or 400 for a task that is not an interaction's. Never from the task's
 * attributes: a worker token can write those (worker.createTask, task.setAttributes), so they
 * would let an agent point these routes at any chat.
 */
export async function interactionOf(deps: AgentDeps, task: TaskRow): Promise<InteractionTask> {
  const it = await interactionIfAny(deps, task);
  if (!it) throw invalidParameter(`Task ${task.sid} is not a Flex Interactions task (Flex did not route it for an interaction channel)`);
  return it;
}

/** Only a task the agent is working on (assigned) can have its chat ended or be transferred. */
export function requireAssigned(task: TaskRow, what: string): void {
  if (task.assignment_status !== 'assigned') throw invalidParameter(`Task ${task.sid} is ${task.assignment_status}: only an assigned task can ${what}`);
}
