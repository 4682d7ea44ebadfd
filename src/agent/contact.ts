import type { FastifyReply, FastifyRequest } from 'fastify';
import { isoDate } from '../core/clock.ts';
import { customerOf } from '../flex/service/interactions.ts';
import { parseAttributes } from '../taskrouter/attributes.ts';
import type { TaskRow } from '../taskrouter/routing-model.ts';
import { agentFromBearer } from './bearer.ts';
import type { AgentDeps } from './deps.ts';
import { messageView } from './message-view.ts';
import { interactionIfAny, offeredOrOwnTask } from './own-task.ts';

/** Earlier conversations shown for a customer: the latest ones. */
const HISTORY_LIMIT = 20;

export interface WrapupRecord {
  task_sid: string;
  worker_name: string;
  channel_type: string;
  customer_address: string | null;
  customer_name: string | null;
  code: string | null;
  code_name: string | null;
  note: string | null;
  task_created: number;
  date_created: number;
}

/**
 * GET /switchyard/v1/Agent/Tasks/{WT}/Contact (bearer worker token; a task offered to the agent or
 * held by them): the customer panel and the task list's line. Who the customer is and their
 * address come from Flex's records of the channel (never from task attributes, which a worker
 * token can write); so do their earlier conversations in this workspace and how each ended (the
 * wrap-ups recorded at the desk). The first message of the conversation is there for an offer,
 * which the agent cannot read through the Conversations SDK before joining.
 */
export async function contact(deps: AgentDeps, req: FastifyRequest, reply: FastifyReply) {
  const agent = await agentFromBearer(deps, req);
  const task = await offeredOrOwnTask(deps, agent, (req.params as { TaskSid: string }).TaskSid);
  const it = await interactionIfAny(deps, task);
  const customer = it ? await customerOf(deps.db, it.channelSid) : shownCustomer(task);
  const first = it?.conversationSid ? (await deps.conversations.messages.list(agent.accountSid, it.conversationSid, 'asc', 1, 0))[0] : undefined;
  const history =
    it && customer.address
      ? await deps.db.all<WrapupRecord>('SELECT * FROM agent_wrapups WHERE workspace_sid = ? AND customer_address = ? AND task_sid <> ? ORDER BY seq DESC LIMIT ?', [
          task.workspace_sid,
          customer.address,
          task.sid,
          HISTORY_LIMIT,
        ])
      : [];
  return reply.type('application/json').send(
    JSON.stringify({
      task_sid: task.sid,
      interaction: Boolean(it),
      channel_type: it?.channelType ?? task.task_channel_unique_name,
      conversation_sid: it?.conversationSid ?? null,
      customer: { name: customer.name ?? null, address: customer.address ?? null },
      first_message: first ? messageView(first.message) : null,
      history: history.map((h) => ({
        task_sid: h.task_sid,
        channel_type: h.channel_type,
        worker_name: h.worker_name,
        code: h.code,
        outcome: h.code_name,
        note: h.note,
        date_started: isoDate(Number(h.task_created)),
        date_ended: isoDate(Number(h.date_created)),
      })),
    }),
  );
}

/** A plain task's customer, as its attributes name them: shown, never used to look anything up. */
function shownCustomer(task: TaskRow): { name?: string; address?: string } {
  const a = parseAttributes(task.attributes) as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim().slice(0, 200) : undefined);
  return { name: text(a.customerName) ?? text(a.name), address: text(a.customerAddress) ?? text(a.from) };
}
