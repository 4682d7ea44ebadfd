import { invalidParameter, notFound, TwilioError } from '../core/errors.ts';
import { RESERVATION_STATUSES, TASK_STATUSES } from '../core/routing/lifecycle.ts';
import type { Params } from '../http/params.ts';
import { agentIdentity } from '../flex/service/deps.ts';
import type { Database } from '../store/database.ts';
import { attributes } from '../taskrouter/http/validate.ts';
import type { WorkerRow } from '../taskrouter/model.ts';
import { reservations, tasks } from '../taskrouter/routing-model.ts';
import type { WorkerInput } from '../taskrouter/service/workers.ts';
import type { TaskRouter } from '../taskrouter/services.ts';
import * as eb from './representation.ts';
import type { WorkerSession } from './session.ts';
import type { Views } from './views.ts';

/** One envelope, authenticated: what the SDK asked for and on whose behalf. */
export interface Call {
  session: WorkerSession;
  method: string;
  url: string;
  apiVersion: string;
  params: Params;
  ifMatch?: string;
}

interface Route {
  method: 'GET' | 'POST';
  versions: string[];
  pattern: RegExp;
  handler: (call: Call, m: RegExpExecArray) => Promise<unknown>;
}

const SID = (prefix: string) => `(${prefix}[0-9a-fA-F]{32})`;
const WS = `Workspaces/${SID('WS')}`;
const WK = `${WS}/Workers/${SID('WK')}`;
const re = (path: string) => new RegExp(`^${path}$`);

/** Nothing the SDK lists is long: one page of everything, cut by PageSize / AfterSid. */
const ALL = 10_000;

export const forbidden = (message: string) => new TwilioError(20403, 403, message);

/**
 * The envelope routes: the relative URLs twilio-taskrouter 2.x sends (lib/util/Routes.js), each
 * answered by the TaskRouter services and rendered in the event-bridge representation. A token
 * acts for one worker: another workspace, another worker, or a reservation or task of another
 * worker is 403, whatever the token's role; so are a change to what identifies its own worker and
 * a task routed to anyone but that worker.
 */
export class EnvelopeRoutes {
  private readonly routes: Route[];

  constructor(
    private readonly tr: TaskRouter,
    private readonly db: Database,
    private readonly views: Views,
  ) {
    const r = (method: Route['method'], versions: string[], path: string, handler: Route['handler']): Route => ({ method, versions, pattern: re(path), handler });
    this.routes = [
      r('GET', ['v1'], WK, (c) => this.views.worker(c.session.accountSid, c.session.workspaceSid, c.session.workerSid)),
      r('POST', ['v1'], WK, (c) => this.updateWorker(c)),
      r('GET', ['v1'], `${WS}/Activities`, (c) => this.activities(c)),
      r('GET', ['v1'], `${WK}/(?:WorkerChannels|Channels)`, (c) => this.channels(c)),
      r('GET', ['v1'], `${WK}/(?:WorkerChannels|Channels)/([^/]+)`, async (c, m) =>
        this.views.channel(await this.tr.workerChannels.get(c.session.accountSid, c.session.workspaceSid, c.session.workerSid, m[3])),
      ),
      r('POST', ['v1'], `${WK}/(?:WorkerChannels|Channels)/([^/]+)`, (c, m) => this.updateChannel(c, m[3])),
      r('GET', ['v1', 'v2'], `${WK}/Reservations`, (c) => this.reservations(c)),
      r('GET', ['v1'], `${WK}/Reservations/${SID('WR')}`, async (c, m) => this.views.reservation(await this.ownReservation(c, m[3]))),
      r('POST', ['v1'], `${WK}/Reservations/${SID('WR')}`, (c, m) => this.updateReservation(c, m[3])),
      r('POST', ['v1'], `${WS}/Tasks`, (c) => this.createTask(c)),
      r('GET', ['v1'], `${WS}/Tasks/${SID('WT')}`, async (c, m) => this.views.task(await this.ownTask(c, m[2]))),
      r('POST', ['v1'], `${WS}/Tasks/${SID('WT')}`, (c, m) => this.updateTask(c, m[2])),
    ];
  }

  async dispatch(call: Call): Promise<unknown> {
    const path = call.url.replace(/^\/+/, '').replace(/^v1\//, '').split('?')[0].replace(/\/+$/, '');
    for (const route of this.routes) {
      const m = route.pattern.exec(path);
      if (!m || route.method !== call.method || !route.versions.includes(call.apiVersion)) continue;
      // Every route is under the token's workspace; those under a worker are the token's worker.
      if (m[1] !== call.session.workspaceSid) throw forbidden(`This token acts in Workspace ${call.session.workspaceSid}, not ${m[1]}`);
      if (m[2]?.startsWith('WK') && m[2] !== call.session.workerSid) throw forbidden(`This token acts for Worker ${call.session.workerSid}, not ${m[2]}`);
      return route.handler(call, m);
    }
    throw notFound(`${call.method} ${path} (apiVersion ${call.apiVersion}): not an event-bridge route Switchyard serves`);
  }

  /**
   * The SDK's activity changes and setAttributes. The check of what may change and the write are
   * one step, through the worker's version (If-Match): if the worker changed in between, it is read
   * and checked again.
   */
  private async updateWorker(c: Call) {
    const p = c.params;
    const s = c.session;
    const input: WorkerInput = {
      friendlyName: p.string('FriendlyName', { nonEmpty: true, maxLength: 64 }),
      activitySid: p.sid('ActivitySid', 'WA'),
      attributes: attributes(p),
      rejectPendingReservations: p.bool('RejectPendingReservations'),
    };
    for (let attempt = 1; ; attempt++) {
      const { worker } = await this.tr.workers.get(s.accountSid, s.workspaceSid, s.workerSid);
      keepsIdentity(s, worker, input);
      try {
        return eb.worker(await this.tr.workers.update(s.accountSid, s.workspaceSid, s.workerSid, input, c.ifMatch ?? String(worker.version)));
      } catch (err) {
        const raced = c.ifMatch === undefined && err instanceof TwilioError && err.status === 412;
        if (!raced || attempt === UPDATE_ATTEMPTS) throw err;
      }
    }
  }

  private paging(p: Params) {
    return { pageSize: p.int('PageSize', { min: 1, max: 1000 }) ?? 50, afterSid: p.string('AfterSid') };
  }

  private async activities(c: Call) {
    const { pageSize, afterSid } = this.paging(c.params);
    const rows = await this.tr.activities.list(c.session.accountSid, c.session.workspaceSid, {}, ALL, 0);
    return eb.page(rows.map(eb.activity), pageSize, afterSid);
  }

  private async channels(c: Call) {
    const { pageSize, afterSid } = this.paging(c.params);
    const s = c.session;
    const views = await this.tr.workerChannels.list(s.accountSid, s.workspaceSid, s.workerSid, ALL, 0);
    return eb.page(await Promise.all(views.map((v) => this.views.channel(v))), pageSize, afterSid);
  }

  private async updateChannel(c: Call, ref: string) {
    const s = c.session;
    const view = await this.tr.workerChannels.update(s.accountSid, s.workspaceSid, s.workerSid, ref, {
      capacity: c.params.int('Capacity', { min: 0, max: 50 }),
      available: c.params.bool('Available'),
    });
    return this.views.channel(view);
  }

  /** The worker's reservations; `Active=true` keeps the live ones (pending, accepted, wrapping). */
  private async reservations(c: Call) {
    const { pageSize, afterSid } = this.paging(c.params);
    const s = c.session;
    const status = c.params.enum('ReservationStatus', RESERVATION_STATUSES);
    const active = c.params.bool('Active') ?? false;
    let rows = await this.tr.reservations.list(s.accountSid, s.workspaceSid, { workerSid: s.workerSid }, { status }, ALL, 0);
    if (active) rows = rows.filter((r) => r.reservation_status === 'pending' || r.reservation_status === 'accepted' || r.reservation_status === 'wrapping');
    const payloads = (await Promise.all(rows.map((r) => this.views.reservation(r)))).filter((x) => x !== undefined);
    return eb.page(payloads, pageSize, afterSid);
  }

  /** A reservation of the workspace: 404 if there is none, 403 if it is another worker's. */
  private async ownReservation(c: Call, sid: string) {
    const row = await reservations.get(this.db, sid, ['workspace_sid = ?', c.session.workspaceSid]);
    if (!row) throw notFound(`/v1/Workspaces/${c.session.workspaceSid}/Workers/${c.session.workerSid}/Reservations/${sid}`);
    if (row.worker_sid !== c.session.workerSid) throw forbidden(`Reservation ${sid} is not a Reservation of Worker ${c.session.workerSid}`);
    return row;
  }

  private async updateReservation(c: Call, sid: string) {
    await this.ownReservation(c, sid);
    const p = c.params;
    const s = c.session;
    const row = await this.tr.reservations.update(
      s.accountSid,
      s.workspaceSid,
      { workerSid: s.workerSid },
      sid,
      {
        reservationStatus: p.enum('ReservationStatus', RESERVATION_STATUSES),
        workerActivitySid: p.sid('WorkerActivitySid', 'WA'),
        instruction: p.string('Instruction'),
      },
      c.ifMatch,
    );
    return this.views.reservation(row);
  }

  /**
   * A task offered to, assigned to or completed by this worker: 404 if there is no such task, 403
   * otherwise (an offer the worker rejected or lost does not make the task its own).
   */
  private async ownTask(c: Call, sid: string) {
    const task = await tasks.get(this.db, sid, ['workspace_sid = ?', c.session.workspaceSid]);
    if (!task) throw notFound(`/v1/Workspaces/${c.session.workspaceSid}/Tasks/${sid}`);
    const mine = await this.db.get(
      "SELECT sid FROM reservations WHERE task_sid = ? AND worker_sid = ? AND reservation_status IN ('pending', 'accepted', 'wrapping', 'completed')",
      [sid, c.session.workerSid],
    );
    if (!mine) throw forbidden(`Task ${sid} is not a Task of Worker ${c.session.workerSid}`);
    return task;
  }

  private async updateTask(c: Call, sid: string) {
    await this.ownTask(c, sid);
    const p = c.params;
    const task = await this.tr.tasks.update(
      c.session.accountSid,
      c.session.workspaceSid,
      sid,
      {
        attributes: attributes(p),
        priority: p.int('Priority', { min: 0, max: 2_147_483_647 }),
        assignmentStatus: p.enum('AssignmentStatus', TASK_STATUSES),
        reason: p.string('Reason', { maxLength: 1024 }),
        taskChannel: p.string('TaskChannel', { nonEmpty: true }),
        virtualStartTime: isoDate(p, 'VirtualStartTime'),
      },
      c.ifMatch,
    );
    return this.views.task(task);
  }

  /**
   * worker.createTask(): an outbound task for the worker itself (the SDK sends its own SID as
   * RoutingTarget). That is the only task a worker token may create: one without a RoutingTarget
   * would be routed by the workflow to anyone, and one for another worker or a queue is not its own.
   */
  private async createTask(c: Call) {
    const p = c.params;
    const routingTarget = p.string('RoutingTarget');
    if (routingTarget !== c.session.workerSid)
      throw forbidden(`A worker token may only create Tasks routed to itself (RoutingTarget=${c.session.workerSid}), as worker.createTask() does`);
    const task = await this.tr.tasks.create(c.session.accountSid, c.session.workspaceSid, {
      workflowSid: p.sid('WorkflowSid', 'WW'),
      taskQueueSid: p.sid('TaskQueueSid', 'WQ'),
      attributes: attributes(p),
      priority: p.int('Priority', { min: 0, max: 2_147_483_647 }),
      timeout: p.int('Timeout', { min: 1, max: 1_209_600 }),
      taskChannel: p.string('TaskChannelUniqueName', { nonEmpty: true }) ?? p.string('TaskChannelSid', { nonEmpty: true }) ?? p.string('TaskChannel', { nonEmpty: true }),
      virtualStartTime: isoDate(p, 'VirtualStartTime'),
      routingTarget,
    });
    return this.views.task(task);
  }
}

/** How often a worker update is read and checked again when the worker changed meanwhile. */
const UPDATE_ATTEMPTS = 3;

/**
 * A token acting on its own worker may not change what identifies it: its FriendlyName, nor the
 * chat identity Flex derives from its attributes (agentIdentity: contact_uri), which is also the
 * identity of the agent's chat token. Otherwise renewing its tokens would make the agent another
 * agent or a customer. An administrator changes either with account credentials, as on Twilio.
 */
function keepsIdentity(session: WorkerSession, worker: WorkerRow, input: WorkerInput): void {
  // Only about itself: a token that may act on other workers (a role) is the role's to decide.
  if (worker.sid !== session.workerSid) return;
  if (input.friendlyName !== undefined && input.friendlyName !== worker.friendly_name)
    throw forbidden(`A worker token may not change its own Worker's FriendlyName ('${worker.friendly_name}'); an administrator can, with account credentials`);
  if (input.attributes === undefined) return;
  const before = agentIdentity(worker);
  const after = agentIdentity({ ...worker, attributes: input.attributes });
  if (after !== before)
    throw forbidden(`A worker token may not change its own Worker's chat identity ('${before}', from contact_uri) to '${after}'; an administrator can, with account credentials`);
}

function isoDate(p: Params, name: string): number | undefined {
  const v = p.string(name);
  if (v === undefined) return undefined;
  const ms = Date.parse(v);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(v) || Number.isNaN(ms)) throw invalidParameter(`Invalid ${name}: '${v}' is not an ISO 8601 date-time`);
  return ms;
}
