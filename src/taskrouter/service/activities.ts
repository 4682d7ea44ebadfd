import { inUse, invalidParameter, notFound } from '../../core/errors.ts';
import { newSid } from '../../core/sid.ts';
import type { Condition } from '../../store/table.ts';
import { activities, LIMITS, taskQueues, workers, type ActivityRow } from '../model.ts';
import { requireWorkspace, uniquely, type Deps } from './deps.ts';

export class ActivityService {
  constructor(private readonly deps: Deps) {}

  async create(accountSid: string, workspaceSid: string, input: { friendlyName: string; available?: boolean }): Promise<ActivityRow> {
    const now = this.deps.clock.now();
    return this.deps.db.transaction(async (tx) => {
      await requireWorkspace(tx, accountSid, workspaceSid);
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
      return row;
    });
  }

  async get(accountSid: string, workspaceSid: string, sid: string): Promise<ActivityRow> {
    await requireWorkspace(this.deps.db, accountSid, workspaceSid);
    const row = await activities.get(this.deps.db, sid, ['workspace_sid = ?', workspaceSid]);
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
    const row = await this.get(accountSid, workspaceSid, sid);
    if (input.friendlyName === undefined) return row;
    const patch = { friendly_name: input.friendlyName, date_updated: this.deps.clock.now() };
    await uniquely(() => activities.update(this.deps.db, sid, patch), `An Activity named '${input.friendlyName}' already exists in this Workspace`);
    return { ...row, ...patch };
  }

  /** An Activity still in use (by a worker, as a workspace default, by a queue) cannot be deleted. */
  async delete(accountSid: string, workspaceSid: string, sid: string): Promise<void> {
    await this.deps.db.transaction(async (tx) => {
      const ws = await requireWorkspace(tx, accountSid, workspaceSid);
      if (!(await activities.get(tx, sid, ['workspace_sid = ?', workspaceSid])))
        throw notFound(`/v1/Workspaces/${workspaceSid}/Activities/${sid}`);
      if (ws.default_activity_sid === sid || ws.timeout_activity_sid === sid)
        throw inUse(`Activity ${sid} is the Workspace's default or timeout activity and cannot be deleted`);
      const holders = await workers.count(tx, ['activity_sid = ?', sid]);
      if (holders > 0) throw inUse(`Activity ${sid} cannot be deleted: ${holders} Worker(s) are in it`);
      const queue = await taskQueues.first(tx, ['reservation_activity_sid = ? OR assignment_activity_sid = ?', sid, sid]);
      if (queue) throw inUse(`Activity ${sid} cannot be deleted: TaskQueue ${queue.sid} uses it`);
      await activities.delete(tx, ['sid = ?', sid]);
    });
  }
}

