import { invalidParameter } from '../../core/errors.ts';
import type { Ctx, Route } from '../../http/context.ts';
import { pageReply, pageRequest } from '../../http/page.ts';
import type { Params } from '../../http/params.ts';
import type { TaskRouter } from '../services.ts';
import type { StatsQuery, WorkerSelection } from '../service/statistics.ts';
import { parseSplitByWaitTime } from '../statistics/cumulative.ts';
import { parseDateParam } from '../statistics/window.ts';

const WS = '/v1/Workspaces/:WorkspaceSid';

/** TaskChannel, and for cumulative figures the window (Minutes, or StartDate/EndDate) and SplitByWaitTime. */
function statsQuery(p: Params, cumulative: boolean): StatsQuery {
  const q: StatsQuery = { taskChannel: p.string('TaskChannel') };
  if (cumulative) {
    q.window = {
      minutes: p.int('Minutes'),
      startDate: parseDateParam('StartDate', p.string('StartDate')),
      endDate: parseDateParam('EndDate', p.string('EndDate')),
    };
    q.splitByWaitTime = parseSplitByWaitTime(p.string('SplitByWaitTime'));
  }
  return q;
}

function workerSelection(p: Params): WorkerSelection {
  return {
    taskQueueSid: p.sid('TaskQueueSid', 'WQ'),
    taskQueueName: p.string('TaskQueueName'),
    friendlyName: p.string('FriendlyName'),
  };
}

/** Names the bulk body may use for its list of queues: Twilio documents `QueueSids` (and shows `queueSids`). */
const BULK_KEYS = new Set(['queuesids', 'taskqueuesids']);

/** The queue SIDs of a bulk request: a JSON body `{"QueueSids": [...]}`, or the same as repeated form fields. */
function bulkQueueSids(ctx: Ctx): string[] {
  const body = ctx.json;
  if (body === undefined) {
    const name = ctx.body.names().find((n) => BULK_KEYS.has(n.replace(/_/g, '').toLowerCase()));
    if (!name) throw invalidParameter('Missing required parameter QueueSids in the post body');
    return ctx.body.all(name);
  }
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw invalidParameter('The request body must be a JSON object such as {"QueueSids": ["WQ..."]}');
  const key = Object.keys(body).find((k) => BULK_KEYS.has(k.replace(/_/g, '').toLowerCase()));
  if (!key) throw invalidParameter('Missing required parameter QueueSids in the post body');
  const sids = (body as Record<string, unknown>)[key];
  if (!Array.isArray(sids) || !sids.every((s) => typeof s === 'string'))
    throw invalidParameter(`Invalid ${key} parameter: must be an array of TaskQueue SIDs`);
  return sids as string[];
}

export function statisticsRoutes(tr: TaskRouter): Route[] {
  const stats = tr.statistics;
  const ids = (ctx: Ctx) => ({ account_sid: ctx.accountSid, workspace_sid: ctx.params.WorkspaceSid });
  const wsUrl = (ctx: Ctx) => `${ctx.base}/v1/Workspaces/${ctx.params.WorkspaceSid}`;

  return [
    // ---- Workspace
    {
      method: 'GET',
      path: `${WS}/RealTimeStatistics`,
      handler: async (ctx) => {
        const rt = await stats.workspaceRealTime(ctx.accountSid, ctx.params.WorkspaceSid, statsQuery(ctx.query, false));
        return { body: { account_sid: ctx.accountSid, ...rt, workspace_sid: ctx.params.WorkspaceSid, url: `${wsUrl(ctx)}/RealTimeStatistics` } };
      },
    },
    {
      method: 'GET',
      path: `${WS}/CumulativeStatistics`,
      handler: async (ctx) => {
        const c = await stats.workspaceCumulative(ctx.accountSid, ctx.params.WorkspaceSid, statsQuery(ctx.query, true));
        return { body: { account_sid: ctx.accountSid, ...c, workspace_sid: ctx.params.WorkspaceSid, url: `${wsUrl(ctx)}/CumulativeStatistics` } };
      },
    },
    {
      method: 'GET',
      path: `${WS}/Statistics`,
      handler: async (ctx) => {
        const q = statsQuery(ctx.query, true);
        const cumulative = await stats.workspaceCumulative(ctx.accountSid, ctx.params.WorkspaceSid, q);
        const realtime = await stats.workspaceRealTime(ctx.accountSid, ctx.params.WorkspaceSid, q);
        return { body: { realtime, cumulative, ...ids(ctx), url: `${wsUrl(ctx)}/Statistics` } };
      },
    },

    // ---- TaskQueues
    {
      method: 'GET',
      path: `${WS}/TaskQueues/Statistics`,
      handler: async (ctx) => {
        const page = pageRequest(ctx);
        const rows = await stats.queuesStatistics(
          ctx.accountSid,
          ctx.params.WorkspaceSid,
          { ...statsQuery(ctx.query, true), friendlyName: ctx.query.string('FriendlyName') },
          page.pageSize + 1,
          page.offset,
        );
        const items = rows.map((r) => ({
          account_sid: ctx.accountSid,
          cumulative: r.cumulative,
          realtime: r.realtime,
          task_queue_sid: r.queue.sid,
          workspace_sid: ctx.params.WorkspaceSid,
        }));
        return pageReply(ctx, 'task_queues_statistics', items, page);
      },
    },
    {
      method: 'POST',
      path: `${WS}/TaskQueues/RealTimeStatistics`,
      handler: async (ctx) => {
        const data = await stats.bulkRealTime(ctx.accountSid, ctx.params.WorkspaceSid, bulkQueueSids(ctx));
        return {
          status: 200,
          body: {
            ...ids(ctx),
            task_queue_data: data,
            task_queue_response_count: data.length,
            url: `${wsUrl(ctx)}/TaskQueues/RealTimeStatistics`,
          },
        };
      },
    },
    {
      method: 'GET',
      path: `${WS}/TaskQueues/:TaskQueueSid/RealTimeStatistics`,
      handler: async (ctx) => {
        const { WorkspaceSid, TaskQueueSid } = ctx.params;
        const rt = await stats.queueRealTime(ctx.accountSid, WorkspaceSid, TaskQueueSid, statsQuery(ctx.query, false));
        return {
          body: {
            account_sid: ctx.accountSid,
            ...rt,
            task_queue_sid: TaskQueueSid,
            workspace_sid: WorkspaceSid,
            url: `${wsUrl(ctx)}/TaskQueues/${TaskQueueSid}/RealTimeStatistics`,
          },
        };
      },
    },
    {
      method: 'GET',
      path: `${WS}/TaskQueues/:TaskQueueSid/CumulativeStatistics`,
      handler: async (ctx) => {
        const { WorkspaceSid, TaskQueueSid } = ctx.params;
        const c = await stats.queueCumulative(ctx.accountSid, WorkspaceSid, TaskQueueSid, statsQuery(ctx.query, true));
        return {
          body: {
            account_sid: ctx.accountSid,
            ...c,
            task_queue_sid: TaskQueueSid,
            workspace_sid: WorkspaceSid,
            url: `${wsUrl(ctx)}/TaskQueues/${TaskQueueSid}/CumulativeStatistics`,
          },
        };
      },
    },
    {
      method: 'GET',
      path: `${WS}/TaskQueues/:TaskQueueSid/Statistics`,
      handler: async (ctx) => {
        const { WorkspaceSid, TaskQueueSid } = ctx.params;
        const q = statsQuery(ctx.query, true);
        const cumulative = await stats.queueCumulative(ctx.accountSid, WorkspaceSid, TaskQueueSid, q);
        const realtime = await stats.queueRealTime(ctx.accountSid, WorkspaceSid, TaskQueueSid, q);
        return {
          body: {
            account_sid: ctx.accountSid,
            cumulative,
            realtime,
            task_queue_sid: TaskQueueSid,
            workspace_sid: WorkspaceSid,
            url: `${wsUrl(ctx)}/TaskQueues/${TaskQueueSid}/Statistics`,
          },
        };
      },
    },

    // ---- Workflows
    {
      method: 'GET',
      path: `${WS}/Workflows/:WorkflowSid/RealTimeStatistics`,
      handler: async (ctx) => {
        const { WorkspaceSid, WorkflowSid } = ctx.params;
        const rt = await stats.workflowRealTime(ctx.accountSid, WorkspaceSid, WorkflowSid, statsQuery(ctx.query, false));
        return {
          body: {
            account_sid: ctx.accountSid,
            ...rt,
            workflow_sid: WorkflowSid,
            workspace_sid: WorkspaceSid,
            url: `${wsUrl(ctx)}/Workflows/${WorkflowSid}/RealTimeStatistics`,
          },
        };
      },
    },
    {
      method: 'GET',
      path: `${WS}/Workflows/:WorkflowSid/CumulativeStatistics`,
      handler: async (ctx) => {
        const { WorkspaceSid, WorkflowSid } = ctx.params;
        const c = await stats.workflowCumulative(ctx.accountSid, WorkspaceSid, WorkflowSid, statsQuery(ctx.query, true));
        return {
          body: {
            account_sid: ctx.accountSid,
            ...c,
            workflow_sid: WorkflowSid,
            workspace_sid: WorkspaceSid,
            url: `${wsUrl(ctx)}/Workflows/${WorkflowSid}/CumulativeStatistics`,
          },
        };
      },
    },
    {
      method: 'GET',
      path: `${WS}/Workflows/:WorkflowSid/Statistics`,
      handler: async (ctx) => {
        const { WorkspaceSid, WorkflowSid } = ctx.params;
        const q = statsQuery(ctx.query, true);
        const cumulative = await stats.workflowCumulative(ctx.accountSid, WorkspaceSid, WorkflowSid, q);
        const realtime = await stats.workflowRealTime(ctx.accountSid, WorkspaceSid, WorkflowSid, q);
        return {
          body: {
            account_sid: ctx.accountSid,
            cumulative,
            realtime,
            workflow_sid: WorkflowSid,
            workspace_sid: WorkspaceSid,
            url: `${wsUrl(ctx)}/Workflows/${WorkflowSid}/Statistics`,
          },
        };
      },
    },

    // ---- Workers
    {
      method: 'GET',
      path: `${WS}/Workers/RealTimeStatistics`,
      handler: async (ctx) => {
        const rt = await stats.workersRealTime(ctx.accountSid, ctx.params.WorkspaceSid, statsQuery(ctx.query, false));
        return { body: { account_sid: ctx.accountSid, ...rt, workspace_sid: ctx.params.WorkspaceSid, url: `${wsUrl(ctx)}/Workers/RealTimeStatistics` } };
      },
    },
    {
      method: 'GET',
      path: `${WS}/Workers/CumulativeStatistics`,
      handler: async (ctx) => {
        const c = await stats.workersCumulative(ctx.accountSid, ctx.params.WorkspaceSid, statsQuery(ctx.query, true));
        return { body: { account_sid: ctx.accountSid, ...c, workspace_sid: ctx.params.WorkspaceSid, url: `${wsUrl(ctx)}/Workers/CumulativeStatistics` } };
      },
    },
    {
      method: 'GET',
      path: `${WS}/Workers/Statistics`,
      handler: async (ctx) => {
        const q = statsQuery(ctx.query, true);
        const selection = workerSelection(ctx.query);
        const cumulative = await stats.workersCumulative(ctx.accountSid, ctx.params.WorkspaceSid, q, selection);
        const realtime = await stats.workersRealTime(ctx.accountSid, ctx.params.WorkspaceSid, q, selection);
        return { body: { realtime, cumulative, ...ids(ctx), url: `${wsUrl(ctx)}/Workers/Statistics` } };
      },
    },
    {
      method: 'GET',
      path: `${WS}/Workers/:WorkerSid/Statistics`,
      handler: async (ctx) => {
        const { WorkspaceSid, WorkerSid } = ctx.params;
        const cumulative = await stats.workerCumulative(ctx.accountSid, WorkspaceSid, WorkerSid, statsQuery(ctx.query, true));
        return {
          body: {
            account_sid: ctx.accountSid,
            cumulative,
            worker_sid: WorkerSid,
            workspace_sid: WorkspaceSid,
            url: `${wsUrl(ctx)}/Workers/${WorkerSid}/Statistics`,
          },
        };
      },
    },
  ];
}
