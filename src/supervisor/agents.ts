import type { Executor } from '../store/database.ts';
import { rolesOf } from './deps.ts';

/** One agent as the board shows it: what they are doing, since when, and how loaded they are. */
export interface AgentFigures {
  sid: string;
  friendly_name: string;
  roles: string[];
  activity_sid: string;
  activity_name: string;
  available: boolean;
  /** Since when the worker has been in its activity (epoch ms). */
  activity_since: number;
  tasks: { offered: number; assigned: number; wrapping: number };
  /** Per task channel the worker can take: tasks held (assigned or wrapping) of the capacity. */
  capacity: { channel: string; used: number; capacity: number; available: boolean }[];
  /** The start (acceptance, epoch ms) of the worker's longest chat under way, and its task; null when none. */
  longest_chat: { task_sid: string; since: number } | null;
}

/** A live conversation with an agent in it, which a supervisor may open. */
export interface ChatFigures {
  task_sid: string;
  customer: string;
  channel_type: string;
  queue_sid: string | null;
  worker_sid: string;
  worker_name: string;
  /** When the agent accepted it (epoch ms). */
  since: number;
  /** When the customer's task was created (epoch ms). */
  task_created: number;
}

/** At most this many workers on a board; a workspace beyond it shows the first ones by name. */
export const MAX_AGENTS = 1000;

const n = (v: unknown) => Number(v ?? 0);
const bool = (v: unknown) => v === true || n(v) === 1;

/** The workspace's workers with their activity, reservations and channels: four reads through the indexes. */
export async function agentFigures(db: Executor, workspaceSid: string): Promise<AgentFigures[]> {
  const rows = await db.all<Record<string, unknown>>(
    `SELECT w.sid, w.friendly_name, w.attributes, w.activity_sid, w.date_status_changed, a.friendly_name AS activity_name, a.available
       FROM workers w JOIN activities a ON a.sid = w.activity_sid WHERE w.workspace_sid = ? ORDER BY lower(w.friendly_name) LIMIT ${MAX_AGENTS}`,
    [workspaceSid],
  );
  const agents = new Map<string, AgentFigures>();
  for (const r of rows)
    agents.set(String(r.sid), {
      sid: String(r.sid),
      friendly_name: String(r.friendly_name),
      roles: rolesOf({ attributes: String(r.attributes) }),
      activity_sid: String(r.activity_sid),
      activity_name: String(r.activity_name),
      available: bool(r.available),
      activity_since: n(r.date_status_changed),
      tasks: { offered: 0, assigned: 0, wrapping: 0 },
      capacity: [],
      longest_chat: null,
    });
  const held = await db.all<Record<string, unknown>>(
    `SELECT r.worker_sid, r.task_sid, r.reservation_status, r.date_updated
       FROM tasks t JOIN reservations r ON r.task_sid = t.sid
      WHERE t.workspace_sid = ? AND t.assignment_status IN ('reserved', 'assigned', 'wrapping') AND r.reservation_status IN ('pending', 'accepted', 'wrapping')`,
    [workspaceSid],
  );
  for (const r of held) {
    const a = agents.get(String(r.worker_sid));
    if (!a) continue;
    if (r.reservation_status === 'pending') a.tasks.offered++;
    else if (r.reservation_status === 'wrapping') a.tasks.wrapping++;
    else {
      a.tasks.assigned++;
      // An accepted reservation is last updated when it was accepted.
      const since = n(r.date_updated);
      if (!a.longest_chat || since < a.longest_chat.since) a.longest_chat = { task_sid: String(r.task_sid), since };
    }
  }
  const channels = await db.all<Record<string, unknown>>(
    `SELECT wc.worker_sid, wc.capacity, wc.available, wc.assigned, tc.unique_name
       FROM workers w JOIN worker_channels wc ON wc.worker_sid = w.sid JOIN task_channels tc ON tc.sid = wc.task_channel_sid
      WHERE w.workspace_sid = ? ORDER BY tc.unique_name`,
    [workspaceSid],
  );
  for (const c of channels) {
    const a = agents.get(String(c.worker_sid));
    const capacity = n(c.capacity);
    const used = n(c.assigned);
    // A channel the worker cannot take and holds nothing on says nothing about their load.
    if (!a || (used === 0 && (capacity === 0 || !bool(c.available)))) continue;
    a.capacity.push({ channel: String(c.unique_name), used, capacity, available: bool(c.available) });
  }
  return [...agents.values()];
}

/**
 * The chats under way: assigned tasks of Flex interactions whose channel is active, found through
 * Flex's own invite rows (never the task's attributes, which a worker token can write), with the
 * agent who accepted each.
 */
export async function chatFigures(db: Executor, workspaceSid: string): Promise<ChatFigures[]> {
  const rows = await db.all<Record<string, unknown>>(
    `SELECT t.sid, t.attributes, t.task_queue_sid, t.date_created, r.worker_sid, r.worker_name, r.date_updated, c.type
       FROM tasks t
       JOIN reservations r ON r.task_sid = t.sid AND r.reservation_status = 'accepted'
       JOIN interaction_invites i ON i.task_sid = t.sid
       JOIN interaction_channels c ON c.sid = i.channel_sid
      WHERE t.workspace_sid = ? AND t.assignment_status = 'assigned' AND c.status = 'active' AND c.conversation_sid IS NOT NULL
      ORDER BY r.date_updated`,
    [workspaceSid],
  );
  return rows.map((r) => ({
    task_sid: String(r.sid),
    customer: customerName(String(r.attributes)),
    channel_type: String(r.type),
    queue_sid: r.task_queue_sid === null ? null : String(r.task_queue_sid),
    worker_sid: String(r.worker_sid),
    worker_name: String(r.worker_name),
    since: n(r.date_updated),
    task_created: n(r.date_created),
  }));
}

/** Who the customer is, as Flex's task attributes name them (shown only: nothing is decided from it). */
export function customerName(attributes: string): string {
  try {
    const a = JSON.parse(attributes) as Record<string, unknown>;
    const customers = a.customers && typeof a.customers === 'object' ? (a.customers as Record<string, unknown>) : {};
    for (const v of [a.customerName, customers.name, a.name, a.customerAddress, a.from])
      if (typeof v === 'string' && v.trim() !== '') return v.trim().slice(0, 200);
  } catch {
    /* attributes are JSON; a name is only shown */
  }
  return 'Customer';
}
