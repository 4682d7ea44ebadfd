import { inUse, invalidParameter, notFound } from '../../core/errors.ts';
import { workerEventData } from '../engine/event-data.ts';
import { emit } from '../engine/events.ts';
import { refreshWorkerMembership } from '../engine/membership.ts';
import { changeActivity } from '../engine/worker-activity.ts';
import { reservations } from '../routing-model.ts';
import { evaluate } from '../../core/expression/index.ts';
import { newSid } from '../../core/sid.ts';
import type { Executor } from '../../store/database.ts';
import { activities, taskChannels, taskQueues, workerChannels, workers, type ActivityRow, type WorkerRow } from '../model.ts';
import { checkIfMatch, expressionParam, ordering, parseAttributes, patched, requireWorkspace, uniquely, type Deps } from './deps.ts';

export interface WorkerInput {
  friendlyName?: string;
  activitySid?: string;
  attributes?: string;
  rejectPendingReservations?: boolean;
  /** A token (the event bridge), not account credentials, sets these attributes: the contact_uri the worker was given stays recorded as given. */
  byToken?: boolean;
}

/** The contact_uri attribute, '' if none: what the worker's chat identity comes from (agentIdentity). */
export function contactUriOf(attributes: string): string {
  const v = parseAttributes(attributes).contact_uri;
  return typeof v === 'string' ? v : '';
}

export interface WorkerFilter {
  activityName?: string;
  activitySid?: string;
  available?: boolean;
  friendlyName?: string;
  targetWorkersExpression?: string;
  taskQueueName?: string;
  taskQueueSid?: string;
  ordering?: string;
}

/** A worker as the API shows it: its row with its activity. */
export interface WorkerView {
  worker: WorkerRow;
  activity: ActivityRow;
}

const ORDER_COLUMNS = { DateCreated: 'w.date_created', DateStatusChanged: 'w.date_status_changed', FriendlyName: 'w.friendly_name' };

export class WorkerService {
  constructor(private readonly deps: Deps) {}

  async create(accountSid: string, workspaceSid: string, input: WorkerInput & { friendlyName: string }): Promise<WorkerView> {
    const now = this.deps.clock.now();
    return this.deps.engine.inWorkspace(accountSid, workspaceSid, async (tx, ws) => {
      const activity = await this.activity(tx, workspaceSid, input.activitySid ?? ws.default_activity_sid);
      const worker: WorkerRow = {
        sid: newSid('WK'),
        account_sid: accountSid,
        workspace_sid: workspaceSid,
        friendly_name: input.friendlyName,
        attributes: input.attributes ?? '{}',
        given_contact_uri: contactUriOf(input.attributes ?? '{}'),
        activity_sid: activity.sid,
        version: 0,
        idle_since: now,
        date_status_changed: now,
        date_created: now,
        date_updated: now,
      };
      await uniquely(() => workers.insert(tx, worker), `A Worker named '${input.friendlyName}' already exists in this Workspace`);
      // One channel per TaskChannel of the workspace, each with capacity 1, as Twilio does.
      for (const channel of await taskChannels.list(tx, { where: [['workspace_sid = ?', workspaceSid]] }))
        await workerChannels.insert(tx, {
          sid: newSid('WC'),
          account_sid: accountSid,
          workspace_sid: workspaceSid,
          worker_sid: worker.sid,
          task_channel_sid: channel.sid,
          capacity: 1,
          available: true,
          held: 0,
          assigned: 0,
          date_created: now,
          date_updated: now,
        });
      await refreshWorkerMembership(tx, workspaceSid, worker.sid, worker.attributes);
      await this.deps.engine.state.refreshWorker(tx, workspaceSid, worker.sid);
      await emit(tx, ws, now, {
        type: 'worker.created',
        description: `Worker ${worker.friendly_name} created`,
        resourceType: 'worker',
        resourceSid: worker.sid,
        data: workerEventData(worker, activity),
      });
      if (activity.available) await this.deps.engine.lifecycle.tryAssignWorker(tx, ws, worker.sid);
      return { worker, activity };
    });
  }

  private async activity(db: Executor, workspaceSid: string, sid: string | null | undefined): Promise<ActivityRow> {
    const activity = sid ? await activities.get(db, sid, ['workspace_sid = ?', workspaceSid]) : undefined;
    if (!activity) throw invalidParameter(`Invalid ActivitySid: Activity ${sid ?? '(none)'} is not in Workspace ${workspaceSid}`);
    return activity;
  }

  async get(accountSid: string, workspaceSid: string, sid: string, db: Executor = this.deps.db): Promise<WorkerView> {
    await requireWorkspace(db, accountSid, workspaceSid);
    return this.read(db, workspaceSid, sid);
  }

  /** The worker of a workspace already known to be the caller's, with its activity. */
  private async read(db: Executor, workspaceSid: string, sid: string): Promise<WorkerView> {
    const worker = await workers.get(db, sid, ['workspace_sid = ?', workspaceSid]);
    if (!worker) throw notFound(`/v1/Workspaces/${workspaceSid}/Workers/${sid}`);
    return { worker, activity: (await activities.get(db, worker.activity_sid)) as ActivityRow };
  }

  async list(accountSid: string, workspaceSid: string, filter: WorkerFilter, limit: number, offset: number): Promise<WorkerView[]> {
    const db = this.deps.db;
    await requireWorkspace(db, accountSid, workspaceSid);
    const where: string[] = ['w.workspace_sid = ?'];
    const params: (string | number | boolean)[] = [workspaceSid];
    const add = (sql: string, value: string | boolean) => {
      where.push(sql);
      params.push(value);
    };
    if (filter.activitySid !== undefined) add('w.activity_sid = ?', filter.activitySid);
    if (filter.activityName !== undefined) add('lower(a.friendly_name) = lower(?)', filter.activityName);
    if (filter.available !== undefined) add('a.available = ?', filter.available);
    if (filter.friendlyName !== undefined) add('lower(w.friendly_name) = lower(?)', filter.friendlyName);
    const orderBy = ordering(filter.ordering, ORDER_COLUMNS)?.replace(/\bseq\b/, 'w.seq') ?? 'w.seq';
    const predicates = await this.expressionFilters(db, workspaceSid, filter);
    if (predicates === null) return [];
    const sql =
      `SELECT w.*, a.sid AS a_sid, a.friendly_name AS a_friendly_name, a.available AS a_available, ` +
      `a.date_created AS a_date_created, a.date_updated AS a_date_updated ` +
      `FROM workers w JOIN activities a ON a.sid = w.activity_sid WHERE ${where.join(' AND ')} ORDER BY ${orderBy}`;
    const paging = predicates.length === 0 ? ` LIMIT ${Math.floor(limit)} OFFSET ${Math.floor(offset)}` : '';
    const rows = await db.all<Record<string, unknown>>(sql + paging, params);
    const views = rows.map((r) => toView(r));
    if (predicates.length === 0) return views;
    return views.filter((v) => predicates.every((p) => p(v))).slice(offset, offset + limit);
  }

  /**
   * Filters that select workers by expression: TargetWorkersExpression, over the attributes and (as
   * Twilio documents) the worker's own sid, friendly_name, activity_sid and activity_name, which win
   * over attributes of the same name; and a queue's membership, its TargetWorkers over the
   * attributes. Null when the queue named does not exist: like every list filter, one that names
   * nothing matches nothing.
   */
  private async expressionFilters(db: Executor, workspaceSid: string, filter: WorkerFilter): Promise<((v: WorkerView) => boolean)[] | null> {
    const out: ((v: WorkerView) => boolean)[] = [];
    if (filter.targetWorkersExpression !== undefined) {
      const e = expressionParam('TargetWorkersExpression', filter.targetWorkersExpression);
      out.push(({ worker, activity }) =>
        evaluate(e, {
          ...parseAttributes(worker.attributes),
          sid: worker.sid,
          friendly_name: worker.friendly_name,
          activity_sid: activity.sid,
          activity_name: activity.friendly_name,
        }),
      );
    }
    if (filter.taskQueueSid !== undefined || filter.taskQueueName !== undefined) {
      const queue =
        filter.taskQueueSid !== undefined
          ? await taskQueues.get(db, filter.taskQueueSid, ['workspace_sid = ?', workspaceSid])
          : await taskQueues.first(db, ['workspace_sid = ?', workspaceSid], ['friendly_name = ?', filter.taskQueueName!]);
      if (!queue) return null;
      const e = expressionParam('TargetWorkers', queue.target_workers);
      out.push(({ worker }) => evaluate(e, parseAttributes(worker.attributes)));
    }
    return out;
  }

  async update(
    accountSid: string,
    workspaceSid: string,
    sid: string,
    input: WorkerInput,
    ifMatch?: string,
  ): Promise<WorkerView> {
    return this.deps.engine.inWorkspace(accountSid, workspaceSid, async (tx, ws) => {
      const current = await this.read(tx, workspaceSid, sid); // the workspace is the caller's: inWorkspace checked it
      checkIfMatch(current.worker.version, ifMatch);
      const now = this.deps.clock.now();
      const lifecycle = this.deps.engine.lifecycle;
      const activity =
        input.activitySid !== undefined && input.activitySid !== current.activity.sid ? await this.activity(tx, workspaceSid, input.activitySid) : current.activity;
      if (input.rejectPendingReservations && activity.available)
        throw invalidParameter('RejectPendingReservations can only be used when moving to an unavailable Activity');
      const patch: Partial<WorkerRow> = {
        friendly_name: input.friendlyName,
        attributes: input.attributes,
        given_contact_uri: input.attributes !== undefined && !input.byToken ? contactUriOf(input.attributes) : undefined,
        version: current.worker.version + 1,
        date_updated: now,
      };
      // A new name may be taken: its write runs at once, for its error; anything else waits with the batch's writes.
      if (input.friendlyName !== undefined) await uniquely(() => workers.update(tx, sid, patch), `A Worker named '${input.friendlyName}' already exists in this Workspace`);
      else await workers.updateLater(tx, sid, patch);
      let worker = patched(current.worker, patch);
      if (input.attributes !== undefined && input.attributes !== current.worker.attributes) {
        await refreshWorkerMembership(tx, workspaceSid, sid, input.attributes);
        await emit(tx, ws, now, {
          type: 'worker.attributes.update',
          description: `Worker ${worker.friendly_name} attributes updated`,
          resourceType: 'worker',
          resourceSid: sid,
          data: workerEventData(worker, activity),
        });
      }
      if (input.attributes !== undefined || input.friendlyName !== undefined) await this.deps.engine.state.refreshWorker(tx, workspaceSid, sid);
      else this.deps.engine.state.of(workspaceSid).pool.setVersion(sid, patch.version!);
      if (activity.sid !== current.worker.activity_sid)
        await changeActivity(tx, ws, sid, activity.sid, now, this.deps.engine.state.of(workspaceSid).pool, { worker, activities: [current.activity, activity] });
      if (input.rejectPendingReservations) await lifecycle.rejectPending(tx, ws, sid);
      // New attributes or an available activity may open the way to waiting work.
      if (activity.available) await lifecycle.tryAssignWorker(tx, ws, sid);
      worker = (await workers.get(tx, sid))!;
      return { worker, activity: worker.activity_sid === activity.sid ? activity : (await activities.get(tx, worker.activity_sid))! };
    });
  }

  async delete(accountSid: string, workspaceSid: string, sid: string, ifMatch?: string): Promise<void> {
    await this.deps.engine.inWorkspace(accountSid, workspaceSid, async (tx, ws) => {
      const current = await this.get(accountSid, workspaceSid, sid, tx);
      checkIfMatch(current.worker.version, ifMatch);
      const busy = await tx.get<{ n: number }>(
        "SELECT COUNT(*) AS n FROM reservations WHERE worker_sid = ? AND reservation_status IN ('accepted', 'wrapping')",
        [sid],
      );
      if (Number(busy?.n) > 0) throw inUse(`Worker ${sid} cannot be deleted while it has assigned Tasks`);
      // Offers still pending go back to their tasks, which are routed to someone else.
      for (const r of await reservations.list(tx, { where: [['worker_sid = ?', sid], ["reservation_status = 'pending'"]] }))
        await this.deps.engine.lifecycle.end(tx, ws, r, 'canceled', { reroute: true, workerLeaving: true });
      await workers.delete(tx, ['sid = ?', sid]);
      await this.deps.engine.state.refreshWorker(tx, workspaceSid, sid);
      await emit(tx, ws, this.deps.clock.now(), {
        type: 'worker.deleted',
        description: `Worker ${current.worker.friendly_name} deleted`,
        resourceType: 'worker',
        resourceSid: sid,
        data: workerEventData(current.worker, current.activity),
      });
    });
  }
}


function toView(r: Record<string, unknown>): WorkerView {
  const activity: ActivityRow = {
    sid: r.a_sid as string,
    account_sid: r.account_sid as string,
    workspace_sid: r.workspace_sid as string,
    friendly_name: r.a_friendly_name as string,
    available: Boolean(r.a_available),
    date_created: r.a_date_created as number,
    date_updated: r.a_date_updated as number,
  };
  const worker = workers.decode(
    Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith('a_'))) as Record<string, unknown>,
  );
  return { worker, activity };
}

