import type { Route } from '../../http/context.ts';
import { pageReply, pageRequest } from '../../http/page.ts';
import { name, type Params } from '../../http/params.ts';
import type { TaskQueueRow } from '../model.ts';
import type { TaskRouter } from '../services.ts';
import type { TaskQueueInput } from '../service/task-queues.ts';
import * as render from './render.ts';

const BASE = '/v1/Workspaces/:WorkspaceSid/TaskQueues';

function input(p: Params): TaskQueueInput {
  return {
    friendlyName: name(p),
    targetWorkers: p.string('TargetWorkers', { maxLength: 4096 }),
    maxReservedWorkers: p.int('MaxReservedWorkers', { min: 1, max: 50 }),
    taskOrder: p.enum('TaskOrder', ['FIFO', 'LIFO'] as const),
    reservationActivitySid: p.sid('ReservationActivitySid', 'WA'),
    assignmentActivitySid: p.sid('AssignmentActivitySid', 'WA'),
  };
}

export function taskQueueRoutes(tr: TaskRouter): Route[] {
  const show = async (base: string, q: TaskQueueRow) =>
    render.taskQueue(base, q, {
      reservation: await tr.taskQueues.activityName(q.reservation_activity_sid),
      assignment: await tr.taskQueues.activityName(q.assignment_activity_sid),
    });
  return [
    {
      method: 'GET',
      path: BASE,
      handler: async (ctx) => {
        const page = pageRequest(ctx);
        const rows = await tr.taskQueues.list(
          ctx.accountSid,
          ctx.params.WorkspaceSid,
          {
            friendlyName: ctx.query.string('FriendlyName'),
            evaluateWorkerAttributes: ctx.query.json('EvaluateWorkerAttributes', { object: true })?.value as
              | Record<string, unknown>
              | undefined,
            workerSid: ctx.query.sid('WorkerSid', 'WK'),
            ordering: ctx.query.string('Ordering'),
          },
          page.pageSize + 1,
          page.offset,
        );
        return pageReply(ctx, 'task_queues', await Promise.all(rows.map((q) => show(ctx.base, q))), page);
      },
    },
    {
      method: 'POST',
      path: BASE,
      handler: async (ctx) => {
        const row = await tr.taskQueues.create(ctx.accountSid, ctx.params.WorkspaceSid, {
          ...input(ctx.body),
          friendlyName: ctx.body.required('FriendlyName', { maxLength: 64 }),
        });
        return { status: 201, body: await show(ctx.base, row) };
      },
    },
    {
      method: 'GET',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => ({
        body: await show(ctx.base, await tr.taskQueues.get(ctx.accountSid, ctx.params.WorkspaceSid, ctx.params.Sid)),
      }),
    },
    {
      method: 'POST',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => ({
        body: await show(ctx.base, await tr.taskQueues.update(ctx.accountSid, ctx.params.WorkspaceSid, ctx.params.Sid, input(ctx.body))),
      }),
    },
    {
      method: 'DELETE',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => {
        await tr.taskQueues.delete(ctx.accountSid, ctx.params.WorkspaceSid, ctx.params.Sid);
        return { status: 204 };
      },
    },
  ];
}
