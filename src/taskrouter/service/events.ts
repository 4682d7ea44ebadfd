import { notFound } from '../../core/errors.ts';
import type { SqlValue } from '../../store/database.ts';
import type { WorkspaceRow } from '../model.ts';
import { events, TASK_LIMITS, type EventRow } from '../routing-model.ts';
import { requireWorkspace, type Deps } from './deps.ts';

export interface EventFilter {
  eventType?: string;
  /** Only events from the last this many minutes. */
  minutes?: number;
  /** Epoch ms, inclusive. */
  startDate?: number;
  /** Epoch ms, inclusive. */
  endDate?: number;
  reservationSid?: string;
  taskQueueSid?: string;
  taskSid?: string;
  workerSid?: string;
  workflowSid?: string;
  /** A TaskChannel's unique name or SID. */
  taskChannel?: string;
  sid?: string;
}

/** The window Twilio reads when the caller gives no time bound at all. */
export const DEFAULT_EVENT_MINUTES = 15;

/**
 * The Events resource: the workspace's event log, as recorded by the engine in the same
 * transactions as the changes it describes. Events older than 30 days (by the server clock) are
 * never shown, whether or not the retention sweep has removed them yet.
 */
export class EventService {
  constructor(private readonly deps: Deps) {}

  async get(accountSid: string, workspaceSid: string, sid: string): Promise<{ event: EventRow; workspace: WorkspaceRow }> {
    const db = this.deps.db;
    const workspace = await requireWorkspace(db, accountSid, workspaceSid);
    const event = await events.get(db, sid, ['workspace_sid = ?', workspaceSid], ['event_date >= ?', this.retentionFloor()]);
    if (!event) throw notFound(`/v1/Workspaces/${workspaceSid}/Events/${sid}`);
    return { event, workspace };
  }

  /** Newest first. */
  async list(
    accountSid: string,
    workspaceSid: string,
    filter: EventFilter,
    limit: number,
    offset: number,
  ): Promise<{ events: EventRow[]; workspace: WorkspaceRow }> {
    const db = this.deps.db;
    const workspace = await requireWorkspace(db, accountSid, workspaceSid);
    const now = this.deps.clock.now();
    const where: string[] = ['workspace_sid = ?'];
    const params: SqlValue[] = [workspaceSid];
    const add = (sql: string, value: SqlValue) => {
      where.push(sql);
      params.push(value);
    };
    // The time window: never beyond retention; the last 15 minutes when no bound is given.
    let from = this.retentionFloor();
    const minutes = filter.minutes ?? (filter.startDate === undefined && filter.endDate === undefined ? DEFAULT_EVENT_MINUTES : undefined);
    if (minutes !== undefined) from = Math.max(from, now - minutes * 60_000);
    if (filter.startDate !== undefined) from = Math.max(from, filter.startDate);
    add('event_date >= ?', from);
    if (filter.endDate !== undefined) add('event_date <= ?', filter.endDate);
    if (filter.eventType !== undefined) add('event_type = ?', filter.eventType);
    if (filter.reservationSid !== undefined) add('reservation_sid = ?', filter.reservationSid);
    if (filter.taskQueueSid !== undefined) add('task_queue_sid = ?', filter.taskQueueSid);
    if (filter.taskSid !== undefined) add('task_sid = ?', filter.taskSid);
    if (filter.workerSid !== undefined) add('worker_sid = ?', filter.workerSid);
    if (filter.workflowSid !== undefined) add('workflow_sid = ?', filter.workflowSid);
    if (filter.sid !== undefined) add('sid = ?', filter.sid);
    if (filter.taskChannel !== undefined) add('task_channel = ?', await this.channelName(workspaceSid, filter.taskChannel));
    const rows = await db.all<Record<string, unknown>>(
      `SELECT * FROM events WHERE ${where.join(' AND ')} ORDER BY event_date DESC, seq DESC LIMIT ${Math.floor(limit)} OFFSET ${Math.floor(offset)}`,
      params,
    );
    return { events: rows.map((r) => events.decode(r)), workspace };
  }

  /** Events record the channel's unique name; a TaskChannel SID is accepted too. */
  private async channelName(workspaceSid: string, value: string): Promise<string> {
    if (!/^TC[0-9a-fA-F]{32}$/.test(value)) return value;
    const row = await this.deps.db.get<{ unique_name: string }>('SELECT unique_name FROM task_channels WHERE sid = ? AND workspace_sid = ?', [
      value,
      workspaceSid,
    ]);
    return row?.unique_name ?? value;
  }

  private retentionFloor(): number {
    return this.deps.clock.now() - TASK_LIMITS.eventRetentionMs;
  }
}
