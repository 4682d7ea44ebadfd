import { newSid } from '../core/sid.ts';
import type { Executor } from '../store/database.ts';
import { workers, workspaces, type WorkspaceRow } from '../taskrouter/model.ts';
import { latestEvent } from '../taskrouter/engine/events.ts';
import { tasks } from '../taskrouter/routing-model.ts';
import { channels, invites, participants, transfers, type ChannelRow, type InviteRow, type ParticipantRow } from './model.ts';
import type { ChannelService } from './service/channels.ts';
import { agentIdentity, type FlexDeps } from './service/deps.ts';
import type { Media } from './service/media.ts';
import type { Routing } from './service/routing.ts';

interface FollowedEvent {
  seq: number;
  event_date: number;
  event_type: string;
  task_sid: string;
  reservation_sid: string | null;
  worker_sid: string | null;
}

const BATCH = 100;

/** A workspace's event: its seq and date (the cursor stores both). */
interface Mark {
  seq: number;
  date: number;
}

/**
 * Interactions follow TaskRouter through its events, as Flex does: a reservation accepted brings
 * the agent into the conversation, a wrap-up or completion takes them out, a task that ends
 * abnormally may leave an orphan channel, which the orphan policy closes. Each workspace's events
 * are read past a stored cursor, under the workspace lock, and the cursor moves in the same
 * transaction as the changes: every event is handled once, even across crashes and nodes.
 */
export class InteractionFollower {
  private readonly busy = new Set<string>();
  private readonly again = new Set<string>();
  /**
   * What a channel does on each event it follows; the others (a task created, a reservation
   * offered...) are stepped over without being read.
   */
  private readonly handlers: Record<string, (tx: Executor, ws: WorkspaceRow, channel: ChannelRow, invite: InviteRow, e: FollowedEvent) => Promise<void>> = {
    'reservation.accepted': (tx, ws, channel, invite, e) => this.agentJoins(tx, ws, channel, invite, e),
    'reservation.wrapup': (tx, _ws, channel, _invite, e) => this.agentLeaves(tx, channel, e, 'wrapup'),
    'reservation.completed': (tx, _ws, channel, _invite, e) => this.agentLeaves(tx, channel, e, 'closed'),
    'task.canceled': (tx, ws, channel, invite, e) => this.taskEndedAbnormally(tx, ws, channel, invite, e.event_type),
    'task.deleted': (tx, ws, channel, invite, e) => this.taskEndedAbnormally(tx, ws, channel, invite, e.event_type),
    'task.system-deleted': (tx, ws, channel, invite, e) => this.taskEndedAbnormally(tx, ws, channel, invite, e.event_type),
  };
  private readonly followed = Object.keys(this.handlers);
  /** Workspaces that have interaction tasks: those with a cursor row (loaded on first use, refreshed by `poll`). */
  private known: Set<string> | null = null;

  constructor(
    private readonly deps: FlexDeps,
    private readonly channelService: ChannelService,
    private readonly media: Media,
    private readonly routing: Routing,
  ) {}

  /** A workspace now has interaction tasks: follow its events from now on. */
  watch(workspaceSid: string) {
    this.known?.add(workspaceSid);
  }

  /** Handles the workspace's new events (called after every routing commit on this node: Engine.bus, 'committed'). */
  async follow(workspaceSid: string): Promise<void> {
    if (!this.known) await this.refresh();
    if (!this.known!.has(workspaceSid)) return;
    if (this.busy.has(workspaceSid)) {
      // Our own changes commit while we work: the run under way goes round again.
      this.again.add(workspaceSid);
      return;
    }
    this.busy.add(workspaceSid);
    try {
      do {
        this.again.delete(workspaceSid);
        while (await this.pass(workspaceSid));
      } while (this.again.has(workspaceSid));
    } finally {
      this.busy.delete(workspaceSid);
    }
  }

  /** Every workspace, for changes made on other nodes or missed by a crash. */
  async poll(): Promise<void> {
    await this.refresh();
    for (const ws of this.known!) await this.follow(ws);
  }

  private async refresh() {
    const rows = await this.deps.db.all<{ workspace_sid: string }>('SELECT workspace_sid FROM interaction_cursors');
    this.known = new Set(rows.map((r) => r.workspace_sid));
  }

  /**
   * One batch of events; true if there may be more. Only events up to the workspace's latest when
   * the pass starts are read (all committed: see latestEvent), and when none of them is an
   * interaction's, the cursor steps over them once rather than reading them again on every pass.
   */
  private async pass(workspaceSid: string): Promise<boolean> {
    const db = this.deps.db;
    const from = await this.cursor(db, workspaceSid);
    const upTo = await latestEvent(db, workspaceSid);
    if (!upTo || upTo.seq <= from.seq) return false;
    const peek = await this.next(db, workspaceSid, from.seq, upTo.seq, 1);
    if (peek.length === 0) {
      await moveCursor(db, workspaceSid, upTo);
      return false;
    }
    const ws = await workspaces.get(db, workspaceSid);
    if (!ws) return false;
    let more = false;
    await this.deps.taskRouter.engine.inWorkspace(ws.account_sid, workspaceSid, async (tx, wsRow) => {
      const batch = await this.next(tx, workspaceSid, (await this.cursor(tx, workspaceSid)).seq, upTo.seq, BATCH);
      for (const e of batch) await this.handle(tx, wsRow, e);
      more = batch.length === BATCH;
      const last = batch[batch.length - 1];
      await moveCursor(tx, workspaceSid, more ? { seq: last.seq, date: last.event_date } : upTo);
    });
    this.deps.conversations.changed();
    return more;
  }

  private async cursor(db: Executor, workspaceSid: string): Promise<Mark> {
    const row = await db.get<{ seq: number; event_date: number }>('SELECT seq, event_date FROM interaction_cursors WHERE workspace_sid = ?', [workspaceSid]);
    return { seq: Number(row?.seq ?? 0), date: Number(row?.event_date ?? 0) };
  }

  /** The workspace's events of interaction tasks that `handle` acts on, with seq in (after, upTo], in order. */
  private async next(db: Executor, workspaceSid: string, after: number, upTo: number, limit: number): Promise<FollowedEvent[]> {
    const rows = await db.all<FollowedEvent>(
      `SELECT e.seq, e.event_date, e.event_type, e.task_sid, e.reservation_sid, e.worker_sid FROM events e
         JOIN interaction_invites i ON i.task_sid = e.task_sid
        WHERE e.workspace_sid = ? AND e.seq > ? AND e.seq <= ? AND e.event_type IN (${this.followed.map(() => '?').join(', ')})
        ORDER BY e.seq LIMIT ${limit}`,
      [workspaceSid, after, upTo, ...this.followed],
    );
    return rows.map((r) => ({ ...r, seq: Number(r.seq), event_date: Number(r.event_date) }));
  }

  private async handle(tx: Executor, ws: WorkspaceRow, e: FollowedEvent): Promise<void> {
    const invite = await invites.first(tx, ['task_sid = ?', e.task_sid]);
    const channel = invite && (await channels.get(tx, invite.channel_sid));
    if (!invite || !channel) return;
    await this.handlers[e.event_type]?.(tx, ws, channel, invite, e);
  }

  /** The agent who accepted joins the conversation and the channel (once, however many tasks). */
  private async agentJoins(tx: Executor, ws: WorkspaceRow, channel: ChannelRow, invite: InviteRow, e: FollowedEvent) {
    if ((channel.status !== 'active' && channel.status !== 'inactive') || !channel.conversation_sid || !e.worker_sid) return;
    const worker = await workers.get(tx, e.worker_sid);
    if (!worker) return;
    const now = this.deps.clock.now();
    const mb = await this.media.addAgent(tx, channel.account_sid, channel.conversation_sid, agentIdentity(worker), worker.sid);
    const routingProperties = JSON.stringify({ workspace_sid: ws.sid, task_sid: e.task_sid, reservation_sid: e.reservation_sid, worker_sid: worker.sid });
    const mine = await participants.first(tx, ['channel_sid = ?', channel.sid], ["type = 'agent'"], ['worker_sid = ?', worker.sid], ['task_sid = ? OR task_sid IS NULL', e.task_sid]);
    if (mine)
      await participants.update(tx, mine.sid, { status: 'active', task_sid: e.task_sid, routing_properties: routingProperties, conversation_participant_sid: mb, date_updated: now });
    else
      await participants.insert(tx, {
        sid: newSid('UT'),
        account_sid: channel.account_sid,
        interaction_sid: channel.interaction_sid,
        channel_sid: channel.sid,
        type: 'agent',
        status: 'active',
        media_properties: JSON.stringify({ identity: agentIdentity(worker) }),
        routing_properties: routingProperties,
        conversation_participant_sid: mb,
        worker_sid: worker.sid,
        task_sid: e.task_sid,
        date_created: now,
        date_updated: now,
      });
    if (channel.status === 'inactive') {
      await this.media.setState(tx, channel.account_sid, channel.conversation_sid, 'active');
      await channels.update(tx, channel.sid, { status: 'active', date_updated: now });
    }
    if (invite.transfer_sid) await this.transferAccepted(tx, ws, channel, invite.transfer_sid);
  }

  /** A cold transfer hands over once accepted: the agent who transferred wraps up and leaves. */
  private async transferAccepted(tx: Executor, ws: WorkspaceRow, channel: ChannelRow, transferSid: string) {
    const transfer = await transfers.get(tx, transferSid);
    if (!transfer || transfer.status !== 'active' || transfer.type !== 'cold') return;
    const from = await participants.get(tx, transfer.from_participant);
    await transfers.update(tx, transfer.sid, { status: 'completed', date_updated: this.deps.clock.now() });
    if (!from || from.status !== 'active') return;
    const task = from.task_sid ? await tasks.get(tx, from.task_sid) : undefined;
    if (task?.assignment_status === 'assigned') await this.deps.taskRouter.engine.lifecycle.wrapTask(tx, ws, task, `Transferred (${transfer.sid})`);
    await this.leave(tx, channel, from, 'wrapup');
  }

  private async agentLeaves(tx: Executor, channel: ChannelRow, e: FollowedEvent, status: 'wrapup' | 'closed') {
    const p = await participants.first(tx, ['channel_sid = ?', channel.sid], ["type = 'agent'"], ['task_sid = ?', e.task_sid], ["status <> 'closed'"]);
    if (p && !(p.status === 'wrapup' && status === 'wrapup')) await this.leave(tx, channel, p, status);
  }

  /** Takes an agent out of the conversation; a warm transfer they started is then complete. */
  async leave(tx: Executor, channel: ChannelRow, p: ParticipantRow, status: 'wrapup' | 'closed') {
    if (channel.conversation_sid) await this.media.remove(tx, channel.account_sid, channel.conversation_sid, p.conversation_participant_sid);
    const now = this.deps.clock.now();
    await participants.update(tx, p.sid, { status, conversation_participant_sid: null, date_updated: now });
    await tx.run("UPDATE interaction_transfers SET status = 'completed', date_updated = ? WHERE from_participant = ? AND status = 'active' AND type = 'warm' AND task_sid IN (SELECT t.sid FROM tasks t WHERE t.assignment_status IN ('assigned', 'wrapping', 'completed'))", [now, p.sid]);
  }

  /**
   * Canceled, timed out or deleted: a transfer's task means the transfer failed (the agent who
   * asked is still there). If nobody is left on a channel that is still open, the orphan policy decides.
   */
  private async taskEndedAbnormally(tx: Executor, ws: WorkspaceRow, channel: ChannelRow, invite: InviteRow, type: string) {
    const now = this.deps.clock.now();
    if (invite.transfer_sid) await tx.run("UPDATE interaction_transfers SET status = 'failed', date_updated = ? WHERE sid = ? AND status = 'active'", [now, invite.transfer_sid]);
    if (this.deps.orphans === 'keep' || (channel.status !== 'active' && channel.status !== 'inactive')) return;
    if ((await this.routing.liveTasks(tx, channel.sid)).length > 0) return;
    if ((await participants.count(tx, ['channel_sid = ?', channel.sid], ["type IN ('agent', 'supervisor')"], ["status = 'active'"])) > 0) return;
    const status = this.deps.orphans === 'close' ? 'closed' : 'inactive';
    if (channel.status === status) return;
    await this.channelService.settle(tx, ws, channel, status, undefined, `Orphaned: its last task ended (${type})`);
  }
}

/** Moves a workspace's cursor forward, never back (a pass elsewhere may have moved it further). */
async function moveCursor(db: Executor, workspaceSid: string, to: Mark): Promise<void> {
  await db.run(
    `INSERT INTO interaction_cursors (workspace_sid, seq, event_date) VALUES (?, ?, ?)
       ON CONFLICT (workspace_sid) DO UPDATE SET seq = excluded.seq, event_date = excluded.event_date WHERE interaction_cursors.seq < excluded.seq`,
    [workspaceSid, to.seq, to.date],
  );
}
