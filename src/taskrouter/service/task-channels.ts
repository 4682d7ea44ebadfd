import { inUse, invalidParameter, notFound } from '../../core/errors.ts';
import { isSid, newSid } from '../../core/sid.ts';
import type { Executor } from '../../store/database.ts';
import { taskChannelEvent } from '../engine/event-data.ts';
import { emit } from '../engine/events.ts';
import { tasks } from '../routing-model.ts';
import { LIMITS, taskChannels, workerChannels, workers, type TaskChannelRow } from '../model.ts';
import { patched, requireWorkspace, uniquely, type Deps } from './deps.ts';

const UNIQUE_NAME = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A TaskChannel is addressed by its SID or by its unique name. */
export async function findTaskChannel(db: Executor, workspaceSid: string, ref: string): Promise<TaskChannelRow | undefined> {
  return isSid(ref, 'TC')
    ? taskChannels.get(db, ref, ['workspace_sid = ?', workspaceSid])
    : taskChannels.first(db, ['workspace_sid = ?', workspaceSid], ['unique_name = ?', ref]);
}

export class TaskChannelService {
  constructor(private readonly deps: Deps) {}

  async create(
    accountSid: string,
    workspaceSid: string,
    input: { friendlyName: string; uniqueName: string; channelOptimizedRouting?: boolean },
  ): Promise<TaskChannelRow> {
    if (!UNIQUE_NAME.test(input.uniqueName))
      throw invalidParameter(
        `Invalid UniqueName '${input.uniqueName}': use letters, digits, '_' and '$', not starting with a digit`,
      );
    const now = this.deps.clock.now();
    return this.deps.engine.inWorkspace(accountSid, workspaceSid, async (tx, ws) => {
      if ((await taskChannels.count(tx, ['workspace_sid = ?', workspaceSid])) >= LIMITS.taskChannelsPerWorkspace)
        throw invalidParameter(`A Workspace can have at most ${LIMITS.taskChannelsPerWorkspace} TaskChannels`);
      const row: TaskChannelRow = {
        sid: newSid('TC'),
        account_sid: accountSid,
        workspace_sid: workspaceSid,
        friendly_name: input.friendlyName,
        unique_name: input.uniqueName,
        channel_optimized_routing: input.channelOptimizedRouting ?? false,
        date_created: now,
        date_updated: now,
      };
      await uniquely(() => taskChannels.insert(tx, row), `A TaskChannel with UniqueName '${input.uniqueName}' already exists`);
      // Every worker gets a channel of the new kind, as Twilio does.
      for (const w of await workers.list(tx, { where: [['workspace_sid = ?', workspaceSid]] }))
        await workerChannels.insert(tx, {
          sid: newSid('WC'),
          account_sid: accountSid,
          workspace_sid: workspaceSid,
          worker_sid: w.sid,
          task_channel_sid: row.sid,
          capacity: 1,
          available: true,
          held: 0,
          assigned: 0,
          date_created: now,
          date_updated: now,
        });
      await this.deps.engine.state.reload(tx, workspaceSid);
      await emit(tx, ws, now, taskChannelEvent(row, 'created'));
      return row;
    });
  }

  async get(accountSid: string, workspaceSid: string, ref: string, db: Executor = this.deps.db): Promise<TaskChannelRow> {
    await requireWorkspace(db, accountSid, workspaceSid);
    const row = await findTaskChannel(db, workspaceSid, ref);
    if (!row) throw notFound(`/v1/Workspaces/${workspaceSid}/TaskChannels/${ref}`);
    return row;
  }

  async list(accountSid: string, workspaceSid: string, limit: number, offset: number): Promise<TaskChannelRow[]> {
    await requireWorkspace(this.deps.db, accountSid, workspaceSid);
    return taskChannels.list(this.deps.db, { where: [['workspace_sid = ?', workspaceSid]], limit, offset });
  }

  async update(
    accountSid: string,
    workspaceSid: string,
    ref: string,
    input: { friendlyName?: string; channelOptimizedRouting?: boolean },
  ): Promise<TaskChannelRow> {
    return this.deps.engine.inWorkspace(accountSid, workspaceSid, async (tx, ws) => {
      const row = await this.get(accountSid, workspaceSid, ref, tx);
      const now = this.deps.clock.now();
      const patch = { friendly_name: input.friendlyName, channel_optimized_routing: input.channelOptimizedRouting, date_updated: now };
      await taskChannels.update(tx, row.sid, patch);
      const updated = patched(row, patch);
      await this.deps.engine.state.reload(tx, workspaceSid);
      await emit(tx, ws, now, taskChannelEvent(updated, 'updated'));
      return updated;
    });
  }

  async delete(accountSid: string, workspaceSid: string, ref: string): Promise<void> {
    // Under the workspace lock, so no task can be created on it while it goes.
    await this.deps.engine.inWorkspace(accountSid, workspaceSid, async (tx, ws) => {
      const row = await this.get(accountSid, workspaceSid, ref, tx);
      // Tasks without a channel land on `default`, so it must always exist.
      if (row.unique_name === 'default') throw inUse("The 'default' TaskChannel cannot be deleted");
      const active = await tasks.count(tx, ['task_channel_sid = ?', row.sid], ["assignment_status IN ('pending', 'reserved', 'assigned', 'wrapping')"]);
      if (active > 0) throw inUse(`TaskChannel ${row.unique_name} cannot be deleted: ${active} active Task(s) use it`);
      await taskChannels.delete(tx, ['sid = ?', row.sid]);
      await this.deps.engine.state.reload(tx, workspaceSid);
      await emit(tx, ws, this.deps.clock.now(), taskChannelEvent(row, 'deleted'));
    });
  }
}
