import { inUse, invalidParameter, notFound } from '../../core/errors.ts';
import { newSid } from '../../core/sid.ts';
import type { Executor } from '../../store/database.ts';
import type { Condition } from '../../store/table.ts';
import { activityEvent } from '../engine/event-data.ts';
import { emit } from '../engine/events.ts';
import { activities, LIMITS, taskQueues, workers, type ActivityRow } from '../model.ts';
import { requireWorkspace, uniquely, type Deps } from './deps.ts';

export class ActivityService {
  constructor(private readonly deps: Deps) {}

  async create(accountSid: string, workspaceSid: string, input: { friendlyName: string; available?: boolean }): Promise<ActivityRow> {
    const now = this.deps.clock.now();
    return this.deps.engine.inWorkspace(accountSid, workspaceSid, async (tx, ws) => {
      if ((await activities.count(tx, ['workspace_sid = ?', workspaceSid])) >= LIMITS.activitiesPerWorkspace)
        throw invalidParameter(`A Workspace can have at most ${LIMITS.activitiesPerWorkspace} Activities`);
      const row: ActivityRow = {
        sid: newSid('WA'),
        account_sid: accountSid,
        workspace_sid: workspaceSid,
        friendly_name: input.friendlyName,
        available: input.available ?? false,
        date_created: now,
        date_updated: now,
      };
      await uniquely(() => activities.insert(tx, row), `An Activity named '${input.friendlyName}' already exists in this Workspace`);
      await this.deps.engine.state.refreshActivity(tx, workspaceSid, row.sid);
      await emit(tx, ws, now, activityEvent(row, 'created'));
      return row;
    });
  }

  async get(accountSid: string, workspaceSid: string, sid: string, db: Executor = this.deps.db): Promise<ActivityRow> {
    await requireWorkspace(db, accountSid, workspaceSid);
    const row = await activities.get(db, sid, ['workspace_sid = ?', workspaceSid]);
    if (!row) throw notFound(`/v1/Workspaces/${workspaceSid}/Activities/${sid}`);
    return row;
  }

  async list(
    accountSid: string,
    workspaceSid: string,
    filter: { friendlyName?: string; available?: boolean },
    limit: number,
    offset: number,
  ): Promise<ActivityRow[]> {
    await requireWorkspace(this.deps.db, accountSid, workspaceSid);
    const where: Condition[] = [['workspace_sid = ?', workspaceSid]];
    if (filter.friendlyName !== undefined) where.push(['lower(friendly_name) = lower(?)', filter.friendlyName]);
    if (filter.available !== undefined) where.push(['available = ?', filter.available]);
    return activities.list(this.deps.db, { where, limit, offset });
  }

  async update(accountSid: string, workspaceSid: string, sid: string, input: { friendlyName?: string }): Promise<ActivityRow> {
    if (input.friendlyName === undefined) return this.get(accountSid, workspaceSid, sid);
    return this.deps.engine.inWorkspace(accountSid, workspaceSid, async (tx, ws) => {
      const row = await this.get(accountSid, workspaceSid, sid, tx);
      const now = this.deps.clock.now();
      const updated = { ...row, friendly_name: input.friendlyName as string, date_updated: now };
      await uniquely(
        () => activities.update(tx, sid, { friendly_name: updated.friendly_name, date_updated: now }),
        `An Activity named '${input.friendlyName}' already exists in this Workspace`,
      );
      await this.deps.engine.state.refreshActivity(tx, workspaceSid, sid);
      await emit(tx, ws, now, activityEvent(updated, 'updated'));
      return updated;
    });
  }

  /** An Activity still in use (by a worker, as a workspace default, by a queue) cannot be deleted. */
  async delete(accountSid: string, workspaceSid: string, sid: string): Promise<void> {
    await this.deps.engine.inWorkspace(accountSid, workspaceSid, async (tx, ws) => {
      const row = await this.get(accountSid, workspaceSid, sid, tx);
      if (ws.default_activity_sid === sid || ws.timeout_activity_sid === sid)
        throw inUse(`Activity ${sid} is the Workspace's default or timeout activity and cannot be deleted`);
      const holders = await workers.count(tx, ['activity_sid = ?', sid]);
      if (holders > 0) throw inUse(`Activity ${sid} cannot be deleted: ${holders} Worker(s) are in it`);
      const queue = await taskQueues.first(tx, ['reservation_activity_sid = ? OR assignment_activity_sid = ?', sid, sid]);
      if (queue) throw inUse(`Activity ${sid} cannot be deleted: TaskQueue ${queue.sid} uses it`);
      await activities.delete(tx, ['sid = ?', sid]);
      await this.deps.engine.state.refreshActivity(tx, workspaceSid, sid);
      await emit(tx, ws, this.deps.clock.now(), activityEvent(row, 'deleted'));
    });
  }
}

