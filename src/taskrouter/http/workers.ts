import type { Route } from '../../http/context.ts';
import { pageReply, pageRequest } from '../../http/page.ts';
import { name, type Params } from '../../http/params.ts';
import type { TaskRouter } from '../services.ts';
import type { WorkerInput, WorkerView } from '../service/workers.ts';
import * as render from './render.ts';
import { attributes, availableFilter } from './validate.ts';

const BASE = '/v1/Workspaces/:WorkspaceSid/Workers';

function input(p: Params): WorkerInput {
  return {
    friendlyName: name(p),
    activitySid: p.sid('ActivitySid', 'WA'),
    attributes: attributes(p),
    rejectPendingReservations: p.bool('RejectPendingReservations'),
  };
}

// The worker's version is its ETag, for If-Match on update and delete.
const reply = (base: string, view: WorkerView, status = 200) => ({
  status,
  body: render.worker(base, view),
  headers: { ETag: String(view.worker.version) },
});

export function workerRoutes(tr: TaskRouter): Route[] {
  return [
    {
      method: 'GET',
      path: BASE,
      handler: async (ctx) => {
        const page = pageRequest(ctx);
        const q = ctx.query;
        const rows = await tr.workers.list(
          ctx.accountSid,
          ctx.params.WorkspaceSid,
          {
            activityName: q.string('ActivityName'),
            activitySid: q.sid('ActivitySid', 'WA'),
            available: availableFilter(q),
            friendlyName: q.string('FriendlyName'),
            targetWorkersExpression: q.string('TargetWorkersExpression'),
            taskQueueName: q.string('TaskQueueName'),
            taskQueueSid: q.sid('TaskQueueSid', 'WQ'),
            ordering: q.string('Ordering'),
          },
          page.pageSize + 1,
          page.offset,
        );
        return pageReply(ctx, 'workers', rows.map((w) => render.worker(ctx.base, w)), page);
      },
    },
    {
      method: 'POST',
      path: BASE,
      handler: async (ctx) => {
        const view = await tr.workers.create(ctx.accountSid, ctx.params.WorkspaceSid, {
          ...input(ctx.body),
          friendlyName: ctx.body.required('FriendlyName', { maxLength: 64 }),
        });
        return reply(ctx.base, view, 201);
      },
    },
    {
      method: 'GET',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => reply(ctx.base, await tr.workers.get(ctx.accountSid, ctx.params.WorkspaceSid, ctx.params.Sid)),
    },
    {
      method: 'POST',
      path: `${BASE}/:Sid`,
      handler: async (ctx) =>
        reply(
          ctx.base,
          await tr.workers.update(ctx.accountSid, ctx.params.WorkspaceSid, ctx.params.Sid, input(ctx.body), ctx.header('If-Match')),
        ),
    },
    {
      method: 'DELETE',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => {
        await tr.workers.delete(ctx.accountSid, ctx.params.WorkspaceSid, ctx.params.Sid, ctx.header('If-Match'));
        return { status: 204 };
      },
    },
  ];
}
