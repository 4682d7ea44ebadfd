import { isoDate } from '../../core/clock.ts';
import { invalidParameter } from '../../core/errors.ts';
import type { Route } from '../../http/context.ts';
import { pageReply, pageRequest } from '../../http/page.ts';
import type { Params } from '../../http/params.ts';
import type { WorkspaceRow } from '../model.ts';
import type { EventRow } from '../routing-model.ts';
import type { TaskRouter } from '../services.ts';

const BASE = '/v1/Workspaces/:WorkspaceSid/Events';

const ISO = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?)(\.\d+)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * An ISO 8601 date or date-time, GMT unless it names a zone. A bound given to the second covers
 * that whole second when it is an end (events carry milliseconds, their dates show seconds).
 */
function date(p: Params, name: string, end: boolean): number | undefined {
  const v = p.string(name);
  if (v === undefined) return undefined;
  const m = ISO.exec(v.trim());
  const bad = () => invalidParameter(`Invalid ${name}: '${v}' is not an ISO 8601 date-time`);
  if (!m) throw bad();
  const [, day, time, fraction, zone] = m;
  const text = time ? `${day}T${time.length === 5 ? `${time}:00` : time}${fraction ?? ''}${zone ?? 'Z'}` : `${day}T00:00:00Z`;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw bad();
  if (!end || fraction) return ms;
  return ms + (time ? 999 : 86_400_000 - 1);
}

/** PascalCase parameter names (TaskQueueSid) into Twilio's event_data keys (task_queue_sid). */
export function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

const RESOURCE_PATHS: Record<string, string> = {
  task: 'Tasks',
  worker: 'Workers',
  activity: 'Activities',
  workflow: 'Workflows',
  taskqueue: 'TaskQueues',
  'task-queue': 'TaskQueues',
  taskchannel: 'TaskChannels',
  'task-channel': 'TaskChannels',
};

function resourceUrl(ws: string, type: string, sid: string, e: EventRow): string {
  const t = type.toLowerCase();
  if (t === 'workspace') return ws;
  if (t === 'reservation') return e.task_sid ? `${ws}/Tasks/${e.task_sid}/Reservations/${sid}` : `${ws}/Workers/${e.worker_sid}/Reservations/${sid}`;
  const path = RESOURCE_PATHS[t];
  return path ? `${ws}/${path}/${sid}` : `${ws}/${type}/${sid}`;
}

/** An event as Twilio's Events resource shows it. */
export function renderEvent(base: string, e: EventRow, workspace: WorkspaceRow) {
  const ws = `${base}/v1/Workspaces/${e.workspace_sid}`;
  const data: Record<string, string> = { workspace_sid: e.workspace_sid, workspace_name: workspace.friendly_name };
  let stored: Record<string, unknown> = {};
  try {
    stored = JSON.parse(e.event_data) ?? {};
  } catch {
    stored = {};
  }
  // The same values an event callback carries: text, as they went over the wire.
  for (const [k, v] of Object.entries(stored)) if (v !== null && v !== undefined) data[snakeCase(k)] = String(v);
  // Nothing records who caused an event (an API caller or the engine itself): the workspace acts.
  const actorType = e.actor_type ?? 'workspace';
  const actorSid = e.actor_sid ?? e.workspace_sid;
  return {
    account_sid: e.account_sid,
    actor_sid: actorSid,
    actor_type: actorType,
    actor_url: resourceUrl(ws, actorType, actorSid, e),
    description: e.description,
    event_data: data,
    event_date: isoDate(e.event_date),
    event_date_ms: e.event_date,
    event_type: e.event_type,
    resource_sid: e.resource_sid,
    resource_type: e.resource_type,
    resource_url: resourceUrl(ws, e.resource_type, e.resource_sid, e),
    sid: e.sid,
    source: 'twilio',
    source_ip_address: null,
    url: `${ws}/Events/${e.sid}`,
    workspace_sid: e.workspace_sid,
  };
}

export function eventRoutes(tr: TaskRouter): Route[] {
  return [
    {
      method: 'GET',
      path: BASE,
      handler: async (ctx) => {
        const page = pageRequest(ctx);
        const q = ctx.query;
        const startDate = date(q, 'StartDate', false);
        const endDate = date(q, 'EndDate', true);
        const { events, workspace } = await tr.events.list(
          ctx.accountSid,
          ctx.params.WorkspaceSid,
          {
            eventType: q.string('EventType'),
            minutes: q.int('Minutes', { min: 1 }),
            startDate,
            endDate,
            reservationSid: q.sid('ReservationSid', 'WR'),
            taskQueueSid: q.sid('TaskQueueSid', 'WQ'),
            taskSid: q.sid('TaskSid', 'WT'),
            workerSid: q.sid('WorkerSid', 'WK'),
            workflowSid: q.sid('WorkflowSid', 'WW'),
            taskChannel: q.string('TaskChannel'),
            sid: q.sid('Sid', 'EV'),
          },
          page.pageSize + 1,
          page.offset,
        );
        return pageReply(ctx, 'events', events.map((e) => renderEvent(ctx.base, e, workspace)), page);
      },
    },
    {
      method: 'GET',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => {
        const { event, workspace } = await tr.events.get(ctx.accountSid, ctx.params.WorkspaceSid, ctx.params.Sid);
        return { body: renderEvent(ctx.base, event, workspace) };
      },
    },
  ];
}
