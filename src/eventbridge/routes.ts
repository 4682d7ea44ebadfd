import { invalidParameter, notFound, TwilioError } from '../core/errors.ts';
import { RESERVATION_STATUSES, TASK_STATUSES } from '../core/routing/lifecycle.ts';
import type { Params } from '../http/params.ts';
import { agentIdentity } from '../flex/service/deps.ts';
import type { Database } from '../store/database.ts';
import { attributes } from '../taskrouter/http/validate.ts';
import type { WorkerRow } from '../taskrouter/model.ts';
import { reservations, tasks } from '../taskrouter/routing-model.ts';
import { contactUriOf, type WorkerInput } from '../taskrouter/service/workers.ts';
import type { TaskRouter } from '../taskrouter/services.ts';
import * as eb from './representation.ts';
import { isStaff, type TokenSession } from './session.ts';
import type { Call } from './call.ts';
import type { TransferRoutes } from './transfers.ts';
import type { Views } from './views.ts';

/**
 * Who may call a route, beyond being a token of its workspace: `self`, the worker named in the
 * path (m[2]) is the token's own; `staff`, a supervisor or admin token; `selfOrStaff`, either.
 */
type Access = 'workspace' | 'self' | 'staff' | 'selfOrStaff';

interface Route {
  method: 'GET' | 'POST';
  versions: string[];
  pattern: RegExp;
  access: Access;
  handler: (call: Call, m: RegExpExecArray) => Promise<unknown>;
}

const SID = (prefix: string) => `(${prefix}[0-9a-fA-F]{32})`;
const WS = `Workspaces/${SID('WS')}`;
/** Any worker reference: a malformed one is a 404 (as over REST), once the caller may look. */
const ANY_WORKER = `${WS}/Workers/([^/]+)`;
const WK = `${WS}/Workers/${SID('WK')}`;
const re = (path: string) => new RegExp(`^${path}$`);

/** Nothing the SDK lists is long: one page of everything, cut by PageSize / AfterSid. */
const ALL = 10_000;

export const forbidden = (message: string) => new TwilioError(20403, 403, message);

/**
 * The envelope routes: the relative URLs twilio-taskrouter 2.x sends (lib/util/Routes.js and
 * WorkspaceRoutes.js), each answered by the TaskRouter services and rendered in the event-bridge
 * representation. Every route is under the token's workspace. A worker token acts for its own
 * worker: another worker, or a reservation, task or transfer of another worker is 403. Supervisor
 * and admin tokens also read the workspace's workers, queues and tasks and set other workers'
 * activity and attributes (Role, session.ts). No token changes what identifies a worker (keepsIdentity).
 */
export class EnvelopeRoutes {
  private readonly routes: Route[];

  constructor(
    private readonly tr: TaskRouter,
    private readonly db: Database,
    private readonly views: Views,
    private readonly transfers: TransferRoutes,
  ) {
    const r = (method: Route['method'], versions: string[], path: string, access: Access, handler: Route['handler']): Route => ({
      method,
      versions,
      pattern: re(path),
      access,
      handler,
    });
    this.routes = [
      r('GET', ['v1'], `${WS}/Activities`, 'workspace', (c) => this.activities(c)),
      r('GET', ['v1'], `${WS}/Workers`, 'staff', (c) => this.workers(c)),
      r('GET', ['v1'], ANY_WORKER, 'selfOrStaff', (c, m) => this.views.worker(c.session.accountSid, c.session.workspaceSid, m[2])),
      r('POST', ['v1'], ANY_WORKER, 'selfOrStaff', (c, m) => this.updateWorker(c, m[2])),
      r('GET', ['v1'], `${WS}/TaskQueues`, 'staff', (c) => this.taskQueues(c)),
      r('GET', ['v1'], `${WS}/TaskQueues/([^/]+)`, 'staff', async (c, m) =>
        this.views.taskQueue(await this.tr.taskQueues.get(c.session.accountSid, c.session.workspaceSid, m[2])),
      ),
      r('GET', ['v1'], `${WK}/(?:WorkerChannels|Channels)`, 'self', (c, m) => this.channels(c, m[2])),
      r('GET', ['v1'], `${WK}/(?:WorkerChannels|Channels)/([^/]+)`, 'self', async (c, m) =>
        this.views.channel(await this.tr.workerChannels.get(c.session.accountSid, c.session.workspaceSid, m[2], m[3])),
      ),
      r('POST', ['v1'], `${WK}/(?:WorkerChannels|Channels)/([^/]+)`, 'self', (c, m) => this.updateChannel(c, m[2], m[3])),
      r('GET', ['v1', 'v2'], `${WK}/Reservations`, 'self', (c, m) => this.reservations(c, m[2])),
      r('GET', ['v1'], `${WK}/Reservations/${SID('WR')}`, 'self', async (c, m) => this.views.reservation(await this.ownReservation(c, m[2], m[3]))),
      r('POST', ['v1'], `${WK}/Reservations/${SID('WR')}`, 'self', (c, m) => this.updateReservation(c, m[2], m[3])),
      r('POST', ['v2'], `${WK}/Transfers`, 'self', (c, m) => this.transfers.create(c, m[2])),
      r('POST', ['v2'], `${WK}/Transfers/([^/]+)`, 'self', (c, m) => this.transfers.update(c, m[2], m[3])),
      r('POST', ['v1'], `${WS}/Tasks`, 'workspace', (c) => this.createTask(c)),
      r('GET', ['v1'], `${WS}/Tasks/([^/]+)`, 'workspace', async (c, m) => this.views.task(await this.visibleTask(c, m[2]))),
      r('POST', ['v1'], `${WS}/Tasks/([^/]+)`, 'workspace', (c, m) => this.updateTask(c, m[2])),
    ];
  }

  async dispatch(call: Call): Promise<unknown> {
    const path = call.url.replace(/^\/+/, '').replace(/^v1\//, '').split('?')[0].replace(/\/+$/, '');
    for (const route of this.routes) {
      const m = route.pattern.exec(path);
      if (!m || route.method !== call.method || !route.versions.includes(call.apiVersion)) continue;
      if (m[1] !== call.session.workspaceSid) throw forbidden(`This token acts in Workspace ${call.session.workspaceSid}, not ${m[1]}`);
      allow(call.session, route.access, m[2]);
      return route.handler(call, m);
    }
    throw notFound(`${call.method} ${path} (apiVersion ${call.apiVersion}): not an event-bridge route Switchyard serves`);
  }

  /**
   * The SDK's activity changes and setAttributes, and a supervisor's setWorkerActivity /
   * setWorkerAttributes on another worker. The check of what may change and the write are one
   * step, through the worker's version (If-Match): if the worker changed in between, it is read and
   * checked again.
   */
  private async updateWorker(c: Call, workerSid: string) {
    const p = c.params;
    const s = c.session;
    const input: WorkerInput = {
      friendlyName: p.string('FriendlyName', { nonEmpty: true, maxLength: 64 }),
      activitySid: p.sid('ActivitySid', 'WA'),
      attributes: attributes(p),
      rejectPendingReservations: p.bool('RejectPendingReservations'),
      byToken: true,
    };
    for (let attempt = 1; ; attempt++) {
      const { worker } = await this.tr.workers.get(s.accountSid, s.workspaceSid, workerSid);
      keepsIdentity(worker, input);
      if (s.role !== 'admin') keepsRoles(worker, input, s.role);
      try {
        return eb.worker(await this.tr.workers.update(s.accountSid, s.workspaceSid, workerSid, input, c.ifMatch ?? String(worker.version)));
      } catch (err) {
        const raced = c.ifMatch === undefined && err instanceof TwilioError && err.status === 412;
        if (!raced || attempt === UPDATE_ATTEMPTS) throw err;
      }
    }
  }

  private paging(p: Params) {
    return { pageSize: p.int('PageSize', { min: 1, max: 1000 }) ?? 50, afterSid: p.string('AfterSid') };
  }

  /**
   * The Workspace lists' paging: AfterSid without Ordering, NextToken (read in `meta`) with it;
   * both name the last item of the page before, so a malformed one is a 400.
   */
  private cursor(p: Params, prefix: string) {
    return { pageSize: p.int('PageSize', { min: 1, max: 1000 }) ?? 50, afterSid: p.sid('NextToken', prefix) ?? p.sid('AfterSid', prefix) };
  }

  private async activities(c: Call) {
    const { pageSize, afterSid } = this.paging(c.params);
    const rows = await this.tr.activities.list(c.session.accountSid, c.session.workspaceSid, {}, ALL, 0);
    return eb.page(rows.map(eb.activity), pageSize, afterSid);
  }

  /** Workspace.fetchWorkers(): the REST list's filters and Ordering. */
  private async workers(c: Call) {
    const p = c.params;
    const { pageSize, afterSid } = this.cursor(p, 'WK');
    const rows = await this.tr.workers.list(
      c.session.accountSid,
      c.session.workspaceSid,
      {
        activityName: p.string('ActivityName'),
        activitySid: p.sid('ActivitySid', 'WA'),
        available: p.bool('Available'),
        friendlyName: p.string('FriendlyName'),
        targetWorkersExpression: p.string('TargetWorkersExpression'),
        taskQueueName: p.string('TaskQueueName'),
        taskQueueSid: p.sid('TaskQueueSid', 'WQ'),
        ordering: p.string('Ordering'),
      },
      ALL,
      0,
    );
    return eb.cursorPage(rows.map(eb.worker), pageSize, afterSid);
  }

  /** Workspace.fetchTaskQueues(): the REST list's filters (WorkerSid: the queues it belongs to) and Ordering. */
  private async taskQueues(c: Call) {
    const p = c.params;
    const { pageSize, afterSid } = this.cursor(p, 'WQ');
    const rows = await this.tr.taskQueues.list(
      c.session.accountSid,
      c.session.workspaceSid,
      { friendlyName: p.string('FriendlyName'), workerSid: p.sid('WorkerSid', 'WK'), ordering: p.string('Ordering') },
      ALL,
      0,
    );
    return eb.cursorPage(await Promise.all(rows.map((q) => this.views.taskQueue(q))), pageSize, afterSid);
  }

  private async channels(c: Call, workerSid: string) {
    const { pageSize, afterSid } = this.paging(c.params);
    const s = c.session;
    const views = await this.tr.workerChannels.list(s.accountSid, s.workspaceSid, workerSid, ALL, 0);
    return eb.page(await Promise.all(views.map((v) => this.views.channel(v))), pageSize, afterSid);
  }

  private async updateChannel(c: Call, workerSid: string, ref: string) {
    const s = c.session;
    const view = await this.tr.workerChannels.update(s.accountSid, s.workspaceSid, workerSid, ref, {
      capacity: c.params.int('Capacity', { min: 0, max: 50 }),
      available: c.params.bool('Available'),
    });
    return this.views.channel(view);
  }

  /** The worker's reservations; `Active=true` keeps the live ones (pending, accepted, wrapping). */
  private async reservations(c: Call, workerSid: string) {
    const { pageSize, afterSid } = this.paging(c.params);
    const s = c.session;
    const status = c.params.enum('ReservationStatus', RESERVATION_STATUSES);
    const active = c.params.bool('Active') ?? false;
    let rows = await this.tr.reservations.list(s.accountSid, s.workspaceSid, { workerSid }, { status }, ALL, 0);
    if (active) rows = rows.filter((r) => r.reservation_status === 'pending' || r.reservation_status === 'accepted' || r.reservation_status === 'wrapping');
    const payloads = (await Promise.all(rows.map((r) => this.views.reservation(r)))).filter((x) => x !== undefined);
    return eb.page(payloads, pageSize, afterSid);
  }

  /** A reservation of the workspace: 404 if there is none, 403 if it is another worker's. */
  private async ownReservation(c: Call, workerSid: string, sid: string) {
    const row = await reservations.get(this.db, sid, ['workspace_sid = ?', c.session.workspaceSid]);
    if (!row) throw notFound(`/v1/Workspaces/${c.session.workspaceSid}/Workers/${workerSid}/Reservations/${sid}`);
    if (row.worker_sid !== workerSid) throw forbidden(`Reservation ${sid} is not a Reservation of Worker ${workerSid}`);
    return row;
  }

  private async updateReservation(c: Call, workerSid: string, sid: string) {
    await this.ownReservation(c, workerSid, sid);
    const p = c.params;
    const s = c.session;
    const row = await this.tr.reservations.update(
      s.accountSid,
      s.workspaceSid,
      { workerSid },
      sid,
      {
        reservationStatus: p.enum('ReservationStatus', RESERVATION_STATUSES),
        workerActivitySid: p.sid('WorkerActivitySid', 'WA'),
        instruction: p.string('Instruction'),
      },
      c.ifMatch,
    );
    return this.views.reservation(row, undefined, false);
  }

  /** A task of the workspace: 404 if there is none; a worker token sees its own only (ownTask), staff any. */
  private async visibleTask(c: Call, sid: string) {
    const task = await tasks.get(this.db, sid, ['workspace_sid = ?', c.session.workspaceSid]);
    if (!task) throw notFound(`/v1/Workspaces/${c.session.workspaceSid}/Tasks/${sid}`);
    if (!isStaff(c.session)) await this.requireOwnTask(c, sid);
    return task;
  }

  /**
   * A task offered to, assigned to or completed by this token's worker, else 403 (an offer the
   * worker rejected or lost does not make the task its own).
   */
  private async requireOwnTask(c: Call, sid: string) {
    const mine =
      c.session.workerSid !== null &&
      (await this.db.get(
        "SELECT sid FROM reservations WHERE task_sid = ? AND worker_sid = ? AND reservation_status IN ('pending', 'accepted', 'wrapping', 'completed')",
        [sid, c.session.workerSid],
      ));
    if (!mine) throw forbidden(`Task ${sid} is not a Task of ${c.session.workerSid ? `Worker ${c.session.workerSid}` : 'this token'}`);
  }

  private async updateTask(c: Call, sid: string) {
    const task = await tasks.get(this.db, sid, ['workspace_sid = ?', c.session.workspaceSid]);
    if (!task) throw notFound(`/v1/Workspaces/${c.session.workspaceSid}/Tasks/${sid}`);
    await this.requireOwnTask(c, sid);
    const p = c.params;
    const updated = await this.tr.tasks.update(
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
    return this.views.task(updated);
  }

  /**
   * worker.createTask(): an outbound task for the worker itself (the SDK sends its own SID as
   * RoutingTarget). That is the only task a token may create: one without a RoutingTarget would
   * be routed by the workflow to anyone, and one for another worker or a queue is not its own.
   */
  private async createTask(c: Call) {
    const p = c.params;
    const routingTarget = p.string('RoutingTarget');
    if (c.session.workerSid === null || routingTarget !== c.session.workerSid)
      throw forbidden(`A token may only create Tasks routed to itself (RoutingTarget=${c.session.workerSid ?? 'its Worker: it has none'}), as worker.createTask() does`);
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

/** Whether the session may call a route of this access (`pathWorker` is the worker the path names). */
function allow(s: TokenSession, access: Access, pathWorker: string | undefined): void {
  if (access === 'workspace') return;
  const self = s.workerSid !== null && pathWorker === s.workerSid;
  if (access === 'self' && self) return;
  if (access === 'staff' && isStaff(s)) return;
  if (access === 'selfOrStaff' && (self || isStaff(s))) return;
  if (access === 'staff') throw forbidden(`A ${s.role} token may not read the Workspace's lists; a supervisor or admin token may`);
  throw forbidden(s.workerSid ? `This token acts for Worker ${s.workerSid}, not ${pathWorker}` : `This admin token acts for no Worker, so not for ${pathWorker}`);
}

/** How often a worker update is read and checked again when the worker changed meanwhile. */
const UPDATE_ATTEMPTS = 3;

/**
 * No token changes what identifies a worker: its FriendlyName, nor the chat identity Flex derives
 * from its attributes (agentIdentity: contact_uri), which is also the identity of the agent's chat
 * token: renewing its tokens would otherwise make the agent another agent or a customer. Tokens
 * set attributes whole, as the SDK does (setAttributes, a supervisor's setWorkerAttributes), so
 * they may leave contact_uri out (the worker is then known by its name) and put back the one an
 * administrator gave it with account credentials (given_contact_uri); never another.
 */
function keepsIdentity(worker: WorkerRow, input: WorkerInput): void {
  if (input.friendlyName !== undefined && input.friendlyName !== worker.friendly_name)
    throw forbidden(`A token may not change a Worker's FriendlyName ('${worker.friendly_name}'); an administrator can, with account credentials`);
  if (input.attributes === undefined) return;
  const given = worker.given_contact_uri ?? contactUriOf(worker.attributes);
  const own = [agentIdentity(worker), worker.friendly_name, agentIdentity({ ...worker, attributes: JSON.stringify({ contact_uri: given }) })];
  const after = agentIdentity({ ...worker, attributes: input.attributes });
  if (!own.includes(after))
    throw forbidden(`A token may not give Worker ${worker.sid} the chat identity '${after}' (from contact_uri): it keeps '${agentIdentity(worker)}' or its name; an administrator can, with account credentials`);
}

/**
 * No worker or supervisor token gives a worker a Flex role (the `roles` attribute) it does not
 * have: the supervisor board opens to workers whose attributes carry the supervisor role, so only
 * an administrator grants one (account credentials, or an admin token). Tokens set attributes
 * whole, so leaving roles out, or some of them, is allowed.
 */
function keepsRoles(worker: WorkerRow, input: WorkerInput, role: string): void {
  if (input.attributes === undefined) return;
  const before = new Set(rolesIn(worker.attributes));
  const added = rolesIn(input.attributes).filter((r) => !before.has(r));
  if (added.length > 0) throw forbidden(`A ${role} token may not give Worker ${worker.sid} the role ${added.join(', ')}; an administrator can, with account credentials`);
}

function rolesIn(attributes: string): string[] {
  try {
    const roles = (JSON.parse(attributes) as { roles?: unknown }).roles;
    return Array.isArray(roles) ? roles.filter((r): r is string => typeof r === 'string').map((r) => r.toLowerCase()) : [];
  } catch {
    return [];
  }
}

function isoDate(p: Params, name: string): number | undefined {
  const v = p.string(name);
  if (v === undefined) return undefined;
  const ms = Date.parse(v);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(v) || Number.isNaN(ms)) throw invalidParameter(`Invalid ${name}: '${v}' is not an ISO 8601 date-time`);
  return ms;
}
