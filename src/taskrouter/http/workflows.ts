import type { Route } from '../../http/context.ts';
import { pageReply, pageRequest } from '../../http/page.ts';
import { name, type Params } from '../../http/params.ts';
import type { TaskRouter } from '../services.ts';
import type { WorkflowInput } from '../service/workflows.ts';
import * as render from './render.ts';

const BASE = '/v1/Workspaces/:WorkspaceSid/Workflows';

function input(p: Params): WorkflowInput {
  return {
    friendlyName: name(p),
    configuration: p.string('Configuration'),
    assignmentCallbackUrl: p.url('AssignmentCallbackUrl'),
    fallbackAssignmentCallbackUrl: p.url('FallbackAssignmentCallbackUrl'),
    taskReservationTimeout: p.int('TaskReservationTimeout', { min: 1, max: 86_400 }),
  };
}

export function workflowRoutes(tr: TaskRouter): Route[] {
  return [
    {
      method: 'GET',
      path: BASE,
      handler: async (ctx) => {
        const page = pageRequest(ctx);
        const rows = await tr.workflows.list(
          ctx.accountSid,
          ctx.params.WorkspaceSid,
          { friendlyName: ctx.query.string('FriendlyName') },
          page.pageSize + 1,
          page.offset,
        );
        return pageReply(ctx, 'workflows', rows.map((w) => render.workflow(ctx.base, w)), page);
      },
    },
    {
      method: 'POST',
      path: BASE,
      handler: async (ctx) => {
        const row = await tr.workflows.create(ctx.accountSid, ctx.params.WorkspaceSid, {
          ...input(ctx.body),
          friendlyName: ctx.body.required('FriendlyName', { maxLength: 64 }),
          configuration: ctx.body.required('Configuration'),
        });
        return { status: 201, body: render.workflow(ctx.base, row) };
      },
    },
    {
      method: 'GET',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => ({
        body: render.workflow(ctx.base, await tr.workflows.get(ctx.accountSid, ctx.params.WorkspaceSid, ctx.params.Sid)),
      }),
    },
    {
      method: 'POST',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => {
        const row = await tr.workflows.update(ctx.accountSid, ctx.params.WorkspaceSid, ctx.params.Sid, {
          ...input(ctx.body),
          reEvaluateTasks: ctx.body.bool('ReEvaluateTasks'),
        });
        return { body: render.workflow(ctx.base, row) };
      },
    },
    {
      method: 'DELETE',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => {
        await tr.workflows.delete(ctx.accountSid, ctx.params.WorkspaceSid, ctx.params.Sid);
        return { status: 204 };
      },
    },
  ];
}
