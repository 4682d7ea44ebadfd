import { notFound } from '../core/errors.ts';
import type { Route } from '../http/context.ts';
import type { Database, Executor, SqlValue } from '../store/database.ts';
import { lockWorkspace } from '../taskrouter/engine/context.ts';
import type { Engine } from '../taskrouter/engine/index.ts';

export interface ResetRequest {
  /** Only this workspace (and its interactions and their conversations); else the whole account. */
  workspaceSid?: string;
  /** Keep what is configured (workspaces, activities, channels, queues, workflows, workers, credentials, widgets, Conversations services); delete only what happened. */
  keepConfiguration: boolean;
}

export interface ResetResult {
  account_sid: string;
  workspace_sid: string | null;
  keep_configuration: boolean;
  deleted: { workspaces: number; tasks: number; events: number; interactions: number; conversations: number };
}

/** SQLite binds at most 32766 parameters; lists of SIDs go in slices well below that. */
const SLICE = 500;

/**
 * Resets an account's data, or one workspace's, in one transaction, holding the routing lock of every workspace it
 * touches (PostgreSQL: no node routes in them until it commits). Nothing is sent about what goes: no events, no
 * callbacks, no webhooks (a reset is not a Twilio operation), and callbacks and webhooks still queued for it are
 * dropped. The account itself, its auth token and its API keys always stay.
 */
export class ResetService {
  constructor(
    private readonly db: Database,
    private readonly engine: Engine,
  ) {}

  async reset(accountSid: string, req: ResetRequest): Promise<ResetResult> {
    const deleted = { workspaces: 0, tasks: 0, events: 0, interactions: 0, conversations: 0 };
    await this.db.transaction(async (tx) => {
      const scope = await this.workspacesOf(tx, accountSid, req.workspaceSid);
      // Sorted, so two resets never wait for each other's locks in opposite orders.
      for (const ws of [...scope].sort()) await lockWorkspace(this.db, tx, ws);
      const { interactions, conversations } = await this.interactionsOf(tx, accountSid, req.workspaceSid);
      deleted.interactions = await deleteInteractions(tx, accountSid, interactions);
      if (req.workspaceSid === undefined) {
        deleted.conversations = await deleteAccountConversations(tx, accountSid, req.keepConfiguration);
      } else {
        deleted.conversations = await deleteConversations(tx, accountSid, conversations);
      }
      for (const ws of scope) {
        const n = await deleteWorkspaceTraffic(tx, ws);
        deleted.tasks += n.tasks;
        deleted.events += n.events;
        if (req.keepConfiguration) {
          // A new routing version that changed "everything": every node, this one included, loads the workspace
          // afresh before its next decision instead of catching up worker by worker (routing-state.ts).
          const row = await tx.get<{ version: number | string }>('SELECT version FROM routing_versions WHERE workspace_sid = ?', [ws]);
          const next = Number(row?.version ?? 0) + 1;
          await tx.run('INSERT INTO routing_versions (workspace_sid, version) VALUES (?, ?) ON CONFLICT (workspace_sid) DO UPDATE SET version = excluded.version', [ws, next]);
          await tx.run("INSERT INTO routing_changes (workspace_sid, version, workers, config) VALUES (?, ?, '[]', 1)", [ws, next]);
        } else {
          await tx.run('DELETE FROM workflow_queues WHERE workflow_sid IN (SELECT sid FROM workflows WHERE workspace_sid = ?)', [ws]);
          // The database cascades: configuration, workers with their channels and credentials, widgets.
          deleted.workspaces += await tx.run('DELETE FROM workspaces WHERE sid = ?', [ws]);
          for (const table of ['routing_versions', 'routing_changes']) await tx.run(`DELETE FROM ${table} WHERE workspace_sid = ?`, [ws]);
        }
        // Under the lock: no routing change of this node is under way in it. What was held is loaded again (or, the
        // workspace gone, never needed) before the next decision.
        this.engine.state.invalidate(ws);
      }
    });
    return { account_sid: accountSid, workspace_sid: req.workspaceSid ?? null, keep_configuration: req.keepConfiguration, deleted };
  }

  private async workspacesOf(tx: Executor, accountSid: string, workspaceSid: string | undefined): Promise<string[]> {
    if (workspaceSid === undefined) return column(tx, 'SELECT sid FROM workspaces WHERE account_sid = ?', [accountSid]);
    const found = await tx.get('SELECT sid FROM workspaces WHERE sid = ? AND account_sid = ?', [workspaceSid, accountSid]);
    if (!found) throw notFound(`/v1/Workspaces/${workspaceSid}`);
    return [workspaceSid];
  }

  /** The interactions in scope (a workspace's: routed in it) and the conversations they are bound to. */
  private async interactionsOf(tx: Executor, accountSid: string, workspaceSid: string | undefined) {
    const interactions =
      workspaceSid === undefined
        ? await column(tx, 'SELECT sid FROM interactions WHERE account_sid = ?', [accountSid])
        : await column(
            tx,
            `SELECT DISTINCT interaction_sid FROM interaction_channels WHERE account_sid = ?
               AND (workspace_sid = ? OR sid IN (SELECT channel_sid FROM interaction_invites WHERE workspace_sid = ?))`,
            [accountSid, workspaceSid, workspaceSid],
          );
    const conversations: string[] = [];
    for (const part of slices(interactions))
      conversations.push(
        ...(await column(tx, `SELECT DISTINCT conversation_sid FROM interaction_channels WHERE conversation_sid IS NOT NULL AND interaction_sid IN (${marks(part)})`, part)),
      );
    return { interactions, conversations: [...new Set(conversations)] };
  }
}

/** A workspace's traffic: tasks (their reservations and transfers with them), events, timers, callbacks to send. */
async function deleteWorkspaceTraffic(tx: Executor, ws: string): Promise<{ tasks: number; events: number }> {
  const tasks = await tx.run('DELETE FROM tasks WHERE workspace_sid = ?', [ws]);
  const events = await tx.run('DELETE FROM events WHERE workspace_sid = ?', [ws]);
  for (const table of ['deliveries', 'timers', 'assignment_callbacks', 'interaction_cursors'])
    await tx.run(`DELETE FROM ${table} WHERE workspace_sid = ?`, [ws]);
  // With no task left, no channel holds or carries any.
  await tx.run('UPDATE worker_channels SET held = 0, assigned = 0 WHERE workspace_sid = ?', [ws]);
  return { tasks, events };
}

async function deleteInteractions(tx: Executor, accountSid: string, sids: string[]): Promise<number> {
  let n = 0;
  for (const part of slices(sids)) {
    const args = [accountSid, ...part];
    for (const table of ['interaction_transfers', 'interaction_participants', 'interaction_invites', 'interaction_channels'])
      await tx.run(`DELETE FROM ${table} WHERE account_sid = ? AND interaction_sid IN (${marks(part)})`, args);
    n += await tx.run(`DELETE FROM interactions WHERE account_sid = ? AND sid IN (${marks(part)})`, args);
  }
  return n;
}

/** Given conversations with everything they hold, and what is still to be sent or fired about them. */
async function deleteConversations(tx: Executor, accountSid: string, sids: string[]): Promise<number> {
  let n = 0;
  for (const part of slices(sids)) {
    const args = [accountSid, ...part];
    const inPart = `account_sid = ? AND conversation_sid IN (${marks(part)})`;
    await tx.run(`DELETE FROM conversation_deliveries WHERE event_seq IN (SELECT seq FROM conversation_events WHERE ${inPart})`, args);
    for (const table of ['conversation_events', 'conversation_timers', 'sdk_events', 'sdk_media']) await tx.run(`DELETE FROM ${table} WHERE ${inPart}`, args);
    // Participants, messages (their receipts) and scoped webhooks go with them (the database cascades).
    n += await tx.run(`DELETE FROM conversations WHERE account_sid = ? AND sid IN (${marks(part)})`, args);
  }
  return n;
}

/**
 * Every conversation of the account and what the SDK made (users, push bindings, media, live data); without
 * keepConfiguration, also its Conversation services (the default one is made again, with the same SID, on first
 * use), configuration, roles, address configurations and push credentials.
 */
async function deleteAccountConversations(tx: Executor, accountSid: string, keepConfiguration: boolean): Promise<number> {
  const args = [accountSid];
  for (const table of ['conversation_deliveries', 'conversation_timers', 'conversation_events', 'sdk_events', 'sdk_media'])
    await tx.run(`DELETE FROM ${table} WHERE account_sid = ?`, args);
  const n = await tx.run('DELETE FROM conversations WHERE account_sid = ?', args);
  for (const table of ['conversation_users', 'conversation_bindings']) await tx.run(`DELETE FROM ${table} WHERE account_sid = ?`, args);
  if (!keepConfiguration)
    for (const table of ['conversation_addresses', 'conversation_credentials', 'conversation_config', 'conversation_roles', 'conversation_services'])
      await tx.run(`DELETE FROM ${table} WHERE account_sid = ?`, args);
  return n;
}

async function column(tx: Executor, sql: string, params: SqlValue[]): Promise<string[]> {
  const rows = await tx.all<Record<string, string>>(sql, params);
  return rows.map((r) => Object.values(r)[0]);
}

function slices(sids: string[]): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < sids.length; i += SLICE) out.push(sids.slice(i, i + SLICE));
  return out;
}

const marks = (list: unknown[]) => list.map(() => '?').join(', ');

/**
 * POST /switchyard/v1/Reset: the caller's account back to empty (`WorkspaceSid`: one workspace, with its interactions
 * and their conversations), or, with `KeepConfiguration=true`, back to its configuration with nothing that happened.
 */
export function resetRoutes(service: ResetService): Route[] {
  return [
    {
      method: 'POST',
      path: '/v1/Reset',
      handler: async (ctx) => {
        const workspaceSid = ctx.body.sid('WorkspaceSid', 'WS');
        const keepConfiguration = ctx.body.bool('KeepConfiguration') ?? false;
        return { body: await service.reset(ctx.accountSid, { workspaceSid, keepConfiguration }) };
      },
    },
  ];
}
