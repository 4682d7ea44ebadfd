import type { FastifyReply, FastifyRequest } from 'fastify';
import { isoDate } from '../core/clock.ts';
import { TwilioError, invalidParameter } from '../core/errors.ts';
import { isObject } from '../flex/plan.ts';
import { customerOf } from '../flex/service/interactions.ts';
import { isUniqueViolation } from '../store/database.ts';
import { parseAttributes } from '../taskrouter/attributes.ts';
import { workers } from '../taskrouter/model.ts';
import { tasks, type TaskRow } from '../taskrouter/routing-model.ts';
import { agentFromBearer, type AgentSession } from './bearer.ts';
import { bodyParams } from '../http/public-api.ts';
import type { AgentDeps } from './deps.ts';
import type { DispositionCodeRow } from './disposition-codes.ts';
import { interactionIfAny, ownTask } from './own-task.ts';

export const NOTE_MAX = 1000;
/** Attempts at the attributes' read-modify-write when the task changes in between. */
const ATTEMPTS = 3;

/**
 * POST /switchyard/v1/Agent/Tasks/{WT}/WrapUp (bearer worker token), DispositionCode (one of the
 * workspace's codes, optional) and Note (optional): the agent's wrap-up of a task they hold,
 * assigned or wrapping. Stored on the task's attributes the way Flex Insights reads them
 * (`conversations.outcome`: the code's name) with the whole of it under `disposition`, and recorded
 * for the customer panel of the customer's later conversations. Sent again, it replaces both. The
 * desk then completes the task through the worker SDK.
 */
export async function wrapUp(deps: AgentDeps, req: FastifyRequest, reply: FastifyReply) {
  const agent = await agentFromBearer(deps, req);
  const p = bodyParams(req);
  const taskSid = (req.params as { TaskSid: string }).TaskSid;
  let task = await ownTask(deps, agent, taskSid);
  const codeKey = p.string('DispositionCode', { maxLength: 64 });
  const note = p.string('Note', { maxLength: NOTE_MAX })?.trim() || null;
  if (note && /[\u0000\u007f]/.test(note)) throw invalidParameter('Note must not contain control characters');
  let code: DispositionCodeRow | undefined;
  if (codeKey !== undefined && codeKey !== '') {
    code = await deps.codes.find(agent.workspaceSid, codeKey);
    if (!code) throw invalidParameter(`Invalid DispositionCode: '${codeKey}' is not a disposition code of Workspace ${agent.workspaceSid}`);
  }
  const worker = await workers.get(deps.db, agent.workerSid, ['account_sid = ?', agent.accountSid]);
  const now = deps.clock.now();
  const disposition = {
    code: code?.code ?? null,
    name: code?.friendly_name ?? null,
    note,
    worker_sid: agent.workerSid,
    date: isoDate(now),
  };
  for (let attempt = 1; ; attempt++) {
    if (task.assignment_status !== 'assigned' && task.assignment_status !== 'wrapping')
      throw invalidParameter(`Task ${task.sid} is ${task.assignment_status}: only an assigned or wrapping task can be wrapped up`);
    const attributes = withDisposition(parseAttributes(task.attributes), disposition);
    try {
      task = await deps.taskRouter.tasks.update(agent.accountSid, agent.workspaceSid, task.sid, { attributes: JSON.stringify(attributes) }, String(task.version));
      break;
    } catch (err) {
      // The task changed since it was read (its attributes, or its status): read it again.
      if (!(err instanceof TwilioError && err.status === 412) || attempt === ATTEMPTS) throw err;
      task = (await tasks.get(deps.db, task.sid)) ?? task;
    }
  }
  await record(deps, agent, task, worker?.friendly_name ?? agent.workerSid, disposition, now);
  return reply.type('application/json').send(JSON.stringify({ task_sid: task.sid, assignment_status: task.assignment_status, disposition, attributes: parseAttributes(task.attributes) }));
}

type Disposition = { code: string | null; name: string | null; note: string | null; worker_sid: string; date: string | null };

/** The attributes with the wrap-up: `conversations.outcome` set (or removed, for no code), `disposition` replaced. */
export function withDisposition(attributes: Record<string, unknown>, d: Disposition): Record<string, unknown> {
  const conversations = isObject(attributes.conversations) ? { ...attributes.conversations } : {};
  if (d.name) conversations.outcome = d.name;
  else delete conversations.outcome;
  return { ...attributes, conversations, disposition: d };
}

/** The wrap-up as the customer panel shows it later: one row per task, the last wrap-up winning. */
async function record(deps: AgentDeps, agent: AgentSession, task: TaskRow, workerName: string, d: Disposition, now: number) {
  const it = await interactionIfAny(deps, task);
  const customer = it ? await customerOf(deps.db, it.channelSid) : {};
  const values = {
    worker_sid: agent.workerSid,
    worker_name: workerName,
    code: d.code,
    code_name: d.name,
    note: d.note,
    date_updated: now,
  };
  const update = () =>
    deps.db.run('UPDATE agent_wrapups SET worker_sid = ?, worker_name = ?, code = ?, code_name = ?, note = ?, date_updated = ? WHERE task_sid = ?', [
      values.worker_sid,
      values.worker_name,
      values.code,
      values.code_name,
      values.note,
      values.date_updated,
      task.sid,
    ]);
  if ((await update()) > 0) return;
  try {
    await deps.db.run(
      'INSERT INTO agent_wrapups (task_sid, account_sid, workspace_sid, worker_sid, worker_name, interaction_sid, conversation_sid, channel_type, customer_address, customer_name, code, code_name, note, task_created, date_created, date_updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [
        task.sid,
        task.account_sid,
        task.workspace_sid,
        values.worker_sid,
        values.worker_name,
        it?.interactionSid ?? null,
        it?.conversationSid ?? null,
        it?.channelType ?? task.task_channel_unique_name,
        customer.address ?? null,
        customer.name ?? null,
        values.code,
        values.code_name,
        values.note,
        Number(task.date_created),
        now,
        now,
      ],
    );
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    await update();
  }
}
