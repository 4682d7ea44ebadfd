import { invalidParameter } from '../../core/errors.ts';
import { TASK_STATUSES } from '../../core/routing/lifecycle.ts';
import type { Ctx, Route } from '../../http/context.ts';
import { pageReply, pageRequest } from '../../http/page.ts';
import type { Params } from '../../http/params.ts';
import type { TaskRow } from '../routing-model.ts';
import type { TaskRouter } from '../services.ts';
import * as render from './render.ts';
import { attributes } from './validate.ts';

const BASE = '/v1/Workspaces/:WorkspaceSid/Tasks';

function date(p: Params, name: string): number | undefined {
  const v = p.string(name);
  if (v === undefined) return undefined;
  const ms = Date.parse(v);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(v) || Number.isNaN(ms)) throw invalidParameter(`Invalid ${name}: '${v}' is not an ISO 8601 date-time`);
  if (ms < Date.UTC(1900, 0, 1)) throw invalidParameter(`Invalid ${name}: it cannot be before 1900`);
  return ms;
}

function routingTarget(p: Params): string | undefined {
  const v = p.string('RoutingTarget');
  if (v !== undefined && !/^(WK|WQ|WW)[0-9a-fA-F]{32}$/.test(v)) throw invalidParameter(`Invalid RoutingTarget: '${v}' is not a Worker, TaskQueue or Workflow SID`);
  return v;
}

export function taskRoutes(tr: TaskRouter): Route[] {
  const show = async (ctx: Ctx, t: TaskRow) => render.task(ctx.base, t, await tr.tasks.names(t), tr.clock.now());
  const reply = async (ctx: Ctx, t: TaskRow, status = 200) => ({ status, body: await show(ctx, t), headers: { ETag: String(t.version) } });
  return [
    {
      method: 'GET',
      path: BASE,
      handler: async (ctx) => {
        const page = pageRequest(ctx);
        const q = ctx.query;
        const statuses = q.all('AssignmentStatus').flatMap((s) => s.split(','));
        for (const s of statuses) if (!(TASK_STATUSES as readonly string[]).includes(s)) throw invalidParameter(`Invalid AssignmentStatus: '${s}'`);
        const rows = await tr.tasks.list(
          ctx.accountSid,
          ctx.params.WorkspaceSid,
          {
            priority: q.int('Priority', { min: 0, max: 2_147_483_647 }),
            assignmentStatus: statuses as TaskRow['assignment_status'][],
            workflowSid: q.sid('WorkflowSid', 'WW'),
            workflowName: q.string('WorkflowName'),
            taskQueueSid: q.sid('TaskQueueSid', 'WQ'),
            taskQueueName: q.string('TaskQueueName'),
            evaluateTaskAttributes: q.string('EvaluateTaskAttributes'),
            routingTarget: q.string('RoutingTarget'),
            ordering: q.string('Ordering'),
            hasAddons: q.bool('HasAddons'),
          },
          page.pageSize + 1,
          page.offset,
        );
        return pageReply(ctx, 'tasks', await Promise.all(rows.map((t) => show(ctx, t))), page);
      },
    },
    {
      method: 'POST',
      path: BASE,
      handler: async (ctx) => {
        const b = ctx.body;
        const task = await tr.tasks.create(ctx.accountSid, ctx.params.WorkspaceSid, {
          workflowSid: b.sid('WorkflowSid', 'WW'),
          taskQueueSid: b.sid('TaskQueueSid', 'WQ'),
          attributes: attributes(b),
          priority: b.int('Priority', { min: 0, max: 2_147_483_647 }),
          timeout: b.int('Timeout', { min: 1, max: 1_209_600 }),
          taskChannel: b.string('TaskChannel', { nonEmpty: true }),
          virtualStartTime: date(b, 'VirtualStartTime'),
          routingTarget: routingTarget(b),
          ignoreCapacity: b.bool('IgnoreCapacity'),
        });
        return reply(ctx, task, 201);
      },
    },
    {
      method: 'GET',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => reply(ctx, await tr.tasks.get(ctx.accountSid, ctx.params.WorkspaceSid, ctx.params.Sid)),
    },
    {
      method: 'POST',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => {
        const b = ctx.body;
        const task = await tr.tasks.update(
          ctx.accountSid,
          ctx.params.WorkspaceSid,
          ctx.params.Sid,
          {
            attributes: attributes(b),
            priority: b.int('Priority', { min: 0, max: 2_147_483_647 }),
            assignmentStatus: b.enum('AssignmentStatus', TASK_STATUSES),
            reason: b.string('Reason', { maxLength: 1024 }),
            taskChannel: b.string('TaskChannel', { nonEmpty: true }),
            virtualStartTime: date(b, 'VirtualStartTime'),
          },
          ctx.header('If-Match'),
        );
        return reply(ctx, task);
      },
    },
    {
      method: 'DELETE',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => {
        await tr.tasks.delete(ctx.accountSid, ctx.params.WorkspaceSid, ctx.params.Sid, ctx.header('If-Match'));
        return { status: 204 };
      },
    },
  ];
}
