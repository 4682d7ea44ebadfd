import { newSid } from '../../core/sid.ts';
import { later, type Executor } from '../../store/database.ts';
import type { WorkspaceRow } from '../model.ts';
import { events } from '../routing-model.ts';
import { noteQueued } from './commits.ts';

export interface EventInput {
  type: string;
  description: string;
  resourceType: 'task' | 'reservation' | 'worker' | 'activity' | 'workflow' | 'workspace' | 'taskqueue' | 'taskchannel';
  resourceSid: string;
  actorType?: string | null;
  actorSid?: string | null;
  /** The event's own parameters, named as Twilio's event callbacks name them (TaskSid, WorkerName...). */
  data: Record<string, string | number | boolean | null | undefined>;
}

/**
 * A workspace's latest event (through the (workspace_sid, seq) index), or none. Its events are
 * written under its lock, so every event up to it has committed and any later one gets a higher seq:
 * what readers past a cursor (Flex's follower, the event bridge's pusher) read up to.
 */
export async function latestEvent(db: Executor, workspaceSid: string): Promise<{ seq: number; date: number } | undefined> {
  const row = await db.get<{ seq: number | string; event_date: number | string }>(
    'SELECT seq, event_date FROM events WHERE workspace_sid = ? ORDER BY seq DESC LIMIT 1',
    [workspaceSid],
  );
  return row && { seq: Number(row.seq), date: Number(row.event_date) };
}

/** Does this workspace want this event type delivered to its callback URL? */
export function wants(ws: WorkspaceRow, type: string): boolean {
  if (!ws.event_callback_url) return false;
  if (!ws.events_filter) return true;
  return ws.events_filter.split(',').some((t) => t.trim() === type);
}

/**
 * Records an event (the Events resource) and, when the workspace subscribes to it, queues its
 * delivery, in the same transaction as the change it describes: an event is never lost or
 * invented by a crash.
 */
export async function emit(tx: Executor, ws: WorkspaceRow, now: number, e: EventInput): Promise<string> {
  const sid = newSid('EV');
  const data = defined(e.data);
  await events.insertLater(tx, {
    sid,
    account_sid: ws.account_sid,
    workspace_sid: ws.sid,
    event_type: e.type,
    description: e.description,
    resource_type: e.resourceType,
    resource_sid: e.resourceSid,
    actor_type: e.actorType ?? null,
    actor_sid: e.actorSid ?? null,
    task_sid: str(data.TaskSid),
    worker_sid: str(data.WorkerSid),
    reservation_sid: str(data.ReservationSid),
    task_queue_sid: str(data.TaskQueueSid),
    workflow_sid: str(data.WorkflowSid),
    task_channel: str(data.TaskChannelUniqueName),
    event_data: JSON.stringify(data),
    event_date: now,
  });
  await queueCallback(tx, ws, now, sid, e, data);
  return sid;
}

/**
 * The workspace's own deletion: its events are deleted with it (the Events resource of a deleted
 * workspace is a 404), so this one is not recorded; its callback is still queued, in the same
 * transaction, behind the ones queued before (deliveries outlive their workspace).
 */
export async function emitFinal(tx: Executor, ws: WorkspaceRow, now: number, e: EventInput): Promise<string> {
  const sid = newSid('EV');
  await queueCallback(tx, ws, now, sid, e, defined(e.data));
  return sid;
}

async function queueCallback(tx: Executor, ws: WorkspaceRow, now: number, sid: string, e: EventInput, data: EventData) {
  if (!wants(ws, e.type)) return;
  const body = new URLSearchParams();
  const common: Record<string, string> = {
    Sid: sid,
    EventType: e.type,
    AccountSid: ws.account_sid,
    WorkspaceSid: ws.sid,
    WorkspaceName: ws.friendly_name,
    EventDescription: e.description,
    ResourceType: e.resourceType,
    ResourceSid: e.resourceSid,
    Timestamp: String(Math.floor(now / 1000)),
    TimestampMs: String(now),
  };
  for (const [k, v] of Object.entries(common)) body.append(k, v);
  for (const [k, v] of Object.entries(data)) if (v !== null && !(k in common)) body.append(k, String(v));
  noteQueued(tx, ws.sid, 'eventCallbacks');
  await later(
    tx,
    'INSERT INTO deliveries (workspace_sid, event_sid, url, body, attempts, next_attempt_at, locked_until) VALUES (?, ?, ?, ?, 0, ?, 0)',
    [ws.sid, sid, ws.event_callback_url, body.toString(), now],
  );
}

type EventData = Record<string, string | number | boolean | null>;

function defined(input: EventInput['data']): EventData {
  const data: EventData = {};
  for (const [k, v] of Object.entries(input)) if (v !== undefined) data[k] = v;
  return data;
}

const str = (v: unknown) => (typeof v === 'string' ? v : null);
