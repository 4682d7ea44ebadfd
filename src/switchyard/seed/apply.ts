import { invalidParameter, TwilioError } from '../../core/errors.ts';
import { isSid } from '../../core/sid.ts';
import type { AgentCredentials } from '../../agent/credentials.ts';
import { verifyPassword } from '../../agent/passwords.ts';
import type { Database } from '../../store/database.ts';
import { activities, taskChannels, taskQueues, workers, workflows, workspaces, type ActivityRow, type TaskChannelRow, type TaskQueueRow, type WorkerRow, type WorkflowRow, type WorkspaceRow } from '../../taskrouter/model.ts';
import type { TaskRouter } from '../../taskrouter/services.ts';
import type { WidgetService, WidgetUpdate } from '../../webchat/widgets.ts';
import type { WidgetRow } from '../../webchat/model.ts';
import type { ClockControl } from '../clock.ts';
import { queueRefs, withQueueSids } from './configuration.ts';
import { BUILTIN_ACTIVITIES, BUILTIN_CHANNELS, type SeedDocument, type SeedWidget, type SeedWorker, type SeedWorkspace } from './document.ts';

export interface SeedDeps {
  db: Database;
  taskRouter: TaskRouter;
  credentials: AgentCredentials;
  widgets: WidgetService;
  clock: ClockControl;
}

/** A workspace's entries by the names the seed used: what tests look things up by. */
export interface WorkspaceNames {
  sid: string;
  /** Every activity and task channel of the workspace (the default ones too); of the rest, those the seed names. */
  activities: Record<string, string>;
  task_channels: Record<string, string>;
  task_queues: Record<string, string>;
  workflows: Record<string, string>;
  workers: Record<string, string>;
  widgets: Record<string, string>;
}

export interface SeedResult {
  account_sid: string;
  /** What this application changed, one line each; empty when the account already was as the seed says. */
  changes: string[];
  clock: ReturnType<ClockControl['state']>;
  workspaces: Record<string, WorkspaceNames>;
}

/** What a workspace holds now, keyed as a seed names things (case-insensitive where the store's unique index is). */
interface Held {
  ws?: WorkspaceRow;
  activities: Map<string, ActivityRow>;
  channels: Map<string, TaskChannelRow>;
  queues: Map<string, TaskQueueRow>;
  workflows: Map<string, WorkflowRow>;
  workers: Map<string, WorkerRow>;
  widgets: Map<string, WidgetRow[]>;
}

/** A failure while applying one entry, told with where the entry is in the seed. */
function at(path: string, err: unknown): unknown {
  if (err instanceof TwilioError) return new TwilioError(err.code, err.status, `Seed ${path}: ${err.message}`);
  return err;
}

/** A seed that does not fit the store, worded as the document's own problems are. */
const refused = (path: string, why: string) => invalidParameter(`Invalid seed: ${path} ${why}`);

/**
 * Applies a seed to an account: what is missing is created and what differs is updated, each through the service the
 * REST API uses (so events, callbacks, queue membership and routing memory follow as for any API call); what already
 * is as the seed says is not touched, so applying a seed twice changes nothing. Every reference is checked against the
 * seed and the store before anything is written.
 */
export async function applySeed(deps: SeedDeps, accountSid: string, doc: SeedDocument): Promise<SeedResult> {
  const changes: string[] = [];
  // Checks first: nothing is written for a seed that names what is not there.
  if (doc.clock && (doc.clock.now !== undefined || doc.clock.frozen !== undefined || doc.clock.control)) {
    try {
      deps.clock.movable();
    } catch (err) {
      throw at('clock', err);
    }
  }
  const held: Held[] = [];
  for (const s of doc.workspaces) {
    const h = await load(deps.db, accountSid, s);
    check(s, h);
    held.push(h);
  }
  // The clock first, so that what the seed creates carries the seeded time.
  if (doc.clock) await applyClock(deps.clock, doc.clock, changes);
  const result: SeedResult = { account_sid: accountSid, changes, clock: deps.clock.state(), workspaces: {} };
  for (const [i, s] of doc.workspaces.entries()) result.workspaces[s.friendlyName] = await applyWorkspace(deps, accountSid, s, held[i], changes);
  result.clock = deps.clock.state();
  return result;
}

async function applyClock(clock: ClockControl, c: NonNullable<SeedDocument['clock']>, changes: string[]) {
  if (c.control && !clock.control) {
    clock.enable();
    changes.push('enabled the clock API');
  }
  if (c.frozen === true && clock.setFrozen(true)) changes.push('froze the clock');
  if (c.now !== undefined && (await clock.atLeast(c.now))) changes.push(`set the clock to ${new Date(c.now).toISOString()}`);
  if (c.frozen === false && clock.setFrozen(false)) changes.push('let the clock run');
}

async function load(db: Database, accountSid: string, s: SeedWorkspace): Promise<Held> {
  const found = await workspaces.list(db, { where: [['account_sid = ?', accountSid], ['friendly_name = ?', s.friendlyName]] });
  if (found.length > 1)
    throw refused(`${s.path}.friendly_name`, `${found.length} workspaces of this account are named '${s.friendlyName}'; a seed finds a workspace by its name: rename or delete the others`);
  const ws = found[0];
  const h: Held = { ws, activities: new Map(), channels: new Map(), queues: new Map(), workflows: new Map(), workers: new Map(), widgets: new Map() };
  if (!ws) return h;
  const inWs = { where: [['workspace_sid = ?', ws.sid] as [string, string]] };
  for (const a of await activities.list(db, inWs)) h.activities.set(a.friendly_name.toLowerCase(), a);
  for (const c of await taskChannels.list(db, inWs)) h.channels.set(c.unique_name, c);
  for (const q of await taskQueues.list(db, inWs)) h.queues.set(q.friendly_name, q);
  for (const w of await workflows.list(db, inWs)) h.workflows.set(w.friendly_name, w);
  // Only the workers the seed names: a workspace may hold many.
  for (const w of s.workers) {
    const row = await workers.first(db, ['workspace_sid = ?', ws.sid], ['lower(friendly_name) = lower(?)', w.friendlyName]);
    if (row) h.workers.set(w.friendlyName.toLowerCase(), row);
  }
  for (const w of await db.all<WidgetRow>('SELECT * FROM webchat_widgets WHERE workspace_sid = ? ORDER BY seq', [ws.sid]))
    h.widgets.set(w.friendly_name, [...(h.widgets.get(w.friendly_name) ?? []), w]);
  return h;
}

/** Every name the seed refers to is of one of its own entries, of what every new workspace has, or of the store. */
function check(s: SeedWorkspace, h: Held) {
  const activity = (name: string) =>
    s.activities.some((a) => a.friendlyName.toLowerCase() === name.toLowerCase()) ||
    (h.ws ? h.activities.has(name.toLowerCase()) : BUILTIN_ACTIVITIES.includes(name.toLowerCase()));
  const channel = (name: string) =>
    s.taskChannels.some((c) => c.uniqueName === name) || (h.ws ? h.channels.has(name) || [...h.channels.values()].some((c) => c.sid === name) : BUILTIN_CHANNELS.includes(name));
  const queue = (name: string) => s.taskQueues.some((q) => q.friendlyName === name) || h.queues.has(name) || [...h.queues.values()].some((q) => q.sid === name);
  const workflow = (name: string) => s.workflows.some((w) => w.friendlyName === name) || h.workflows.has(name);
  const need = (ok: boolean, path: string, kind: string, name: string) => {
    if (!ok) throw refused(path, `names ${kind} '${name}', which is neither in the seed nor in the workspace`);
  };
  for (const [field, name] of [['default_activity', s.defaultActivity], ['timeout_activity', s.timeoutActivity]] as const)
    if (name !== undefined) need(activity(name), `${s.path}.${field}`, 'the activity', name);
  for (const a of s.activities) {
    const ex = h.activities.get(a.friendlyName.toLowerCase());
    if (ex && a.available !== undefined && ex.available !== a.available)
      throw refused(`${a.path}.available`, `the activity '${ex.friendly_name}' is ${ex.available ? '' : 'not '}available, and an activity's availability cannot change (reset the workspace, or use another name)`);
  }
  for (const q of s.taskQueues)
    for (const [field, name] of [['reservation_activity', q.reservationActivity], ['assignment_activity', q.assignmentActivity]] as const)
      if (name !== undefined) need(activity(name), `${q.path}.${field}`, 'the activity', name);
  for (const w of s.workflows) for (const ref of queueRefs(w.configuration ?? {})) need(queue(ref.value), `${w.path}.configuration.${ref.path}`, 'the task queue', ref.value);
  for (const w of s.workers) {
    if (w.activity !== undefined) need(activity(w.activity), `${w.path}.activity`, 'the activity', w.activity);
    for (const c of w.channels) need(channel(c.taskChannel), c.path, 'the task channel', c.taskChannel);
  }
  for (const w of s.widgets) {
    if (w.workflow !== undefined) need(workflow(w.workflow), `${w.path}.workflow`, 'the workflow', w.workflow);
    const taskChannel = w.taskChannel ?? 'chat';
    need(channel(taskChannel), `${w.path}.task_channel`, 'the task channel', taskChannel);
    const same = h.widgets.get(w.friendlyName) ?? [];
    if (same.length > 1) throw refused(`${w.path}.friendly_name`, `${same.length} widgets of this workspace are named '${w.friendlyName}'; a seed finds a widget by its name: rename or delete the others`);
    const ex = same[0];
    if (!ex) continue;
    // A widget's SID is what pages embed, so it is never made again; its routing cannot be changed in place.
    const channelSid = (ref: string) => h.channels.get(ref)?.sid ?? ref;
    const workflowNow = w.workflow === undefined ? undefined : h.workflows.get(w.workflow)?.sid;
    if ((w.workflow !== undefined && workflowNow !== ex.workflow_sid) || channelSid(taskChannel) !== channelSid(ex.task_channel))
      throw refused(w.path, `the widget '${w.friendlyName}' (${ex.sid}) routes with another workflow or task channel, which a widget cannot change: delete it, or give this one another name`);
  }
}

async function applyWorkspace(deps: SeedDeps, accountSid: string, s: SeedWorkspace, h: Held, changes: string[]): Promise<WorkspaceNames> {
  const tr = deps.taskRouter;
  const note = (verb: 'created' | 'updated', kind: string, name: string, sid: string) => changes.push(`${verb} ${kind} '${name}' (${sid}) in Workspace '${s.friendlyName}'`);
  let ws = h.ws;
  if (!ws) {
    try {
      ws = await tr.workspaces.create(accountSid, {
        friendlyName: s.friendlyName,
        eventCallbackUrl: s.eventCallbackUrl ?? undefined,
        eventsFilter: s.eventsFilter ?? undefined,
        multiTaskEnabled: s.multiTaskEnabled,
        prioritizeQueueOrder: s.prioritizeQueueOrder,
        template: 'NONE',
      });
    } catch (err) {
      throw at(s.path, err);
    }
    changes.push(`created Workspace '${s.friendlyName}' (${ws.sid})`);
    Object.assign(h, await load(deps.db, accountSid, s));
  }
  const wsSid = ws.sid;
  const names: WorkspaceNames = { sid: wsSid, activities: {}, task_channels: {}, task_queues: {}, workflows: {}, workers: {}, widgets: {} };

  for (const a of s.activities) {
    const ex = h.activities.get(a.friendlyName.toLowerCase());
    try {
      if (!ex) {
        const row = await tr.activities.create(accountSid, wsSid, { friendlyName: a.friendlyName, available: a.available });
        h.activities.set(a.friendlyName.toLowerCase(), row);
        note('created', 'Activity', a.friendlyName, row.sid);
      } else if (ex.friendly_name !== a.friendlyName) {
        h.activities.set(a.friendlyName.toLowerCase(), await tr.activities.update(accountSid, wsSid, ex.sid, { friendlyName: a.friendlyName }));
        note('updated', 'Activity', a.friendlyName, ex.sid);
      }
    } catch (err) {
      throw at(a.path, err);
    }
  }
  const activitySid = (name: string) => h.activities.get(name.toLowerCase())!.sid;

  for (const c of s.taskChannels) {
    const ex = h.channels.get(c.uniqueName);
    try {
      if (!ex) {
        const row = await tr.taskChannels.create(accountSid, wsSid, { friendlyName: c.friendlyName ?? c.uniqueName, uniqueName: c.uniqueName, channelOptimizedRouting: c.channelOptimizedRouting });
        h.channels.set(c.uniqueName, row);
        note('created', 'TaskChannel', c.uniqueName, row.sid);
      } else {
        const patch = {
          friendlyName: differs(c.friendlyName, ex.friendly_name),
          channelOptimizedRouting: differs(c.channelOptimizedRouting, Boolean(ex.channel_optimized_routing)),
        };
        if (any(patch)) {
          h.channels.set(c.uniqueName, await tr.taskChannels.update(accountSid, wsSid, ex.sid, patch));
          note('updated', 'TaskChannel', c.uniqueName, ex.sid);
        }
      }
    } catch (err) {
      throw at(c.path, err);
    }
  }

  for (const q of s.taskQueues) {
    const ex = h.queues.get(q.friendlyName);
    const wanted = {
      targetWorkers: q.targetWorkers === undefined ? undefined : q.targetWorkers.trim() || '1==1',
      maxReservedWorkers: q.maxReservedWorkers,
      taskOrder: q.taskOrder,
      reservationActivitySid: q.reservationActivity === undefined ? undefined : activitySid(q.reservationActivity),
      assignmentActivitySid: q.assignmentActivity === undefined ? undefined : activitySid(q.assignmentActivity),
    };
    try {
      if (!ex) {
        const row = await tr.taskQueues.create(accountSid, wsSid, { friendlyName: q.friendlyName, ...wanted });
        h.queues.set(q.friendlyName, row);
        note('created', 'TaskQueue', q.friendlyName, row.sid);
      } else {
        const patch = {
          targetWorkers: differs(wanted.targetWorkers, ex.target_workers),
          maxReservedWorkers: differs(wanted.maxReservedWorkers, ex.max_reserved_workers),
          taskOrder: differs(wanted.taskOrder, ex.task_order),
          reservationActivitySid: differs(wanted.reservationActivitySid, ex.reservation_activity_sid),
          assignmentActivitySid: differs(wanted.assignmentActivitySid, ex.assignment_activity_sid),
        };
        if (any(patch)) {
          h.queues.set(q.friendlyName, await tr.taskQueues.update(accountSid, wsSid, ex.sid, patch));
          note('updated', 'TaskQueue', q.friendlyName, ex.sid);
        }
      }
    } catch (err) {
      throw at(q.path, err);
    }
    names.task_queues[q.friendlyName] = h.queues.get(q.friendlyName)!.sid;
  }
  const queueSid = (ref: string) => (isSid(ref, 'WQ') ? ref : h.queues.get(ref)!.sid);

  for (const w of s.workflows) {
    const ex = h.workflows.get(w.friendlyName);
    const configuration = w.configuration ? JSON.stringify(withQueueSids(w.configuration, queueSid)) : undefined;
    try {
      if (!ex) {
        const row = await tr.workflows.create(accountSid, wsSid, {
          friendlyName: w.friendlyName,
          configuration: configuration!,
          taskReservationTimeout: w.taskReservationTimeout,
          assignmentCallbackUrl: w.assignmentCallbackUrl ?? undefined,
          fallbackAssignmentCallbackUrl: w.fallbackAssignmentCallbackUrl ?? undefined,
        });
        h.workflows.set(w.friendlyName, row);
        note('created', 'Workflow', w.friendlyName, row.sid);
      } else {
        const patch = {
          configuration: configuration !== undefined && canonical(JSON.parse(configuration)) !== canonical(JSON.parse(ex.configuration)) ? configuration : undefined,
          taskReservationTimeout: differs(w.taskReservationTimeout, ex.task_reservation_timeout),
          assignmentCallbackUrl: clearable(w.assignmentCallbackUrl, ex.assignment_callback_url),
          fallbackAssignmentCallbackUrl: clearable(w.fallbackAssignmentCallbackUrl, ex.fallback_assignment_callback_url),
        };
        if (any(patch)) {
          h.workflows.set(w.friendlyName, await tr.workflows.update(accountSid, wsSid, ex.sid, patch));
          note('updated', 'Workflow', w.friendlyName, ex.sid);
        }
      }
    } catch (err) {
      throw at(w.path, err);
    }
    names.workflows[w.friendlyName] = h.workflows.get(w.friendlyName)!.sid;
  }

  for (const w of s.workers) {
    try {
      names.workers[w.friendlyName] = await applyWorker(deps, accountSid, wsSid, w, h, activitySid, note);
    } catch (err) {
      throw at(w.path, err);
    }
  }

  for (const w of s.widgets) {
    const ex = h.widgets.get(w.friendlyName)?.[0];
    try {
      if (!ex) {
        const row = await deps.widgets.create(accountSid, {
          workspaceSid: wsSid,
          workflowSid: w.workflow === undefined ? undefined : h.workflows.get(w.workflow)!.sid,
          taskChannel: w.taskChannel ?? 'chat',
          friendlyName: w.friendlyName,
          allowedOrigins: w.allowedOrigins,
          ...w.appearance,
          preEngagementConfig: w.preEngagementConfig,
        });
        names.widgets[w.friendlyName] = row.sid;
        note('created', 'Widget', w.friendlyName, row.sid);
        continue;
      }
      names.widgets[w.friendlyName] = ex.sid;
      const update = widgetChanges(w, ex, (await deps.widgets.get(accountSid, ex.sid)).allowed_origins);
      if (Object.keys(update).length > 0) {
        await deps.widgets.update(accountSid, ex.sid, update);
        note('updated', 'Widget', w.friendlyName, ex.sid);
      }
    } catch (err) {
      throw at(w.path, err);
    }
  }

  // The workspace's own settings last: its default and timeout activities may be ones the seed has just made.
  const current = (await workspaces.get(deps.db, wsSid))!;
  const patch = {
    eventCallbackUrl: clearable(s.eventCallbackUrl, current.event_callback_url),
    eventsFilter: clearable(s.eventsFilter, current.events_filter),
    multiTaskEnabled: differs(s.multiTaskEnabled, Boolean(current.multi_task_enabled)),
    prioritizeQueueOrder: differs(s.prioritizeQueueOrder, current.prioritize_queue_order),
    defaultActivitySid: differs(s.defaultActivity === undefined ? undefined : activitySid(s.defaultActivity), current.default_activity_sid),
    timeoutActivitySid: differs(s.timeoutActivity === undefined ? undefined : activitySid(s.timeoutActivity), current.timeout_activity_sid),
  };
  if (any(patch)) {
    try {
      await deps.taskRouter.workspaces.update(accountSid, wsSid, patch);
    } catch (err) {
      throw at(s.path, err);
    }
    changes.push(`updated Workspace '${s.friendlyName}' (${wsSid})`);
  }

  for (const a of await activities.list(deps.db, { where: [['workspace_sid = ?', wsSid]] })) names.activities[a.friendly_name] = a.sid;
  for (const c of await taskChannels.list(deps.db, { where: [['workspace_sid = ?', wsSid]] })) names.task_channels[c.unique_name] = c.sid;
  return names;
}

async function applyWorker(
  deps: SeedDeps,
  accountSid: string,
  wsSid: string,
  w: SeedWorker,
  h: Held,
  activitySid: (name: string) => string,
  note: (verb: 'created' | 'updated', kind: string, name: string, sid: string) => void,
): Promise<string> {
  const tr = deps.taskRouter;
  const ex = h.workers.get(w.friendlyName.toLowerCase());
  let sid: string;
  const wantedActivity = w.activity === undefined ? undefined : activitySid(w.activity);
  if (!ex) {
    const view = await tr.workers.create(accountSid, wsSid, { friendlyName: w.friendlyName, attributes: w.attributes, activitySid: wantedActivity });
    sid = view.worker.sid;
    note('created', 'Worker', w.friendlyName, sid);
  } else {
    sid = ex.sid;
    const patch = {
      friendlyName: differs(w.friendlyName, ex.friendly_name),
      attributes: w.attributes !== undefined && canonical(JSON.parse(w.attributes)) !== canonical(safeParse(ex.attributes)) ? w.attributes : undefined,
      activitySid: differs(wantedActivity, ex.activity_sid),
    };
    if (any(patch)) {
      await tr.workers.update(accountSid, wsSid, sid, patch);
      note('updated', 'Worker', w.friendlyName, sid);
    }
  }
  if (w.channels.length > 0) {
    const held = await tr.workerChannels.list(accountSid, wsSid, sid, 100, 0);
    for (const c of w.channels) {
      const view = held.find((v) => v.taskChannelUniqueName === c.taskChannel || v.channel.task_channel_sid === c.taskChannel);
      if (!view) throw refused(c.path, `the worker has no channel '${c.taskChannel}'`);
      const patch = { capacity: differs(c.capacity, view.channel.capacity), available: differs(c.available, Boolean(view.channel.available)) };
      if (any(patch)) {
        await tr.workerChannels.update(accountSid, wsSid, sid, view.channel.sid, patch);
        note('updated', `Worker '${w.friendlyName}' channel`, view.taskChannelUniqueName, view.channel.sid);
      }
    }
  }
  if (w.credentials) {
    const username = (w.credentials.username ?? w.friendlyName).trim();
    const row = await deps.credentials.get(accountSid, wsSid, sid);
    // Only a hash is kept: the password is the same if it verifies against it.
    const same = row && row.username === username && (await verifyPassword(w.credentials.password, row.password_hash));
    if (!same) {
      await deps.credentials.set(accountSid, wsSid, sid, { username, password: w.credentials.password });
      note(row ? 'updated' : 'created', `Worker '${w.friendlyName}' credentials`, username, sid);
    }
  }
  return sid;
}

/** The wanted value when it is given and differs from the one held; undefined (leave it) otherwise. */
function differs<T>(wanted: T | undefined, current: unknown): T | undefined {
  return wanted !== undefined && wanted !== current ? wanted : undefined;
}

/** For a field a seed may clear with null: '' asks the service to clear it. */
function clearable(wanted: string | null | undefined, current: string | null): string | undefined {
  if (wanted === undefined) return undefined;
  if (wanted === null) return current ? '' : undefined;
  return wanted !== current ? wanted : undefined;
}

const any = (patch: Record<string, unknown>) => Object.values(patch).some((v) => v !== undefined);

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** JSON with object keys sorted: two documents that say the same thing compare equal. */
/** What a seed's widget changes on the one it finds: only what the seed names and differs. */
function widgetChanges(w: SeedWidget, ex: WidgetRow, origins: string[]): WidgetUpdate {
  const update: WidgetUpdate = {};
  if (w.allowedOrigins !== undefined && canonical([...origins].sort()) !== canonical([...w.allowedOrigins].sort())) update.allowedOrigins = w.allowedOrigins;
  const look = w.appearance;
  if (look.title !== undefined && look.title !== ex.title) update.title = look.title;
  if (look.greeting !== undefined && look.greeting !== ex.greeting) update.greeting = look.greeting;
  if (look.accentColor !== undefined && look.accentColor !== ex.accent_color) update.accentColor = look.accentColor;
  if (look.headerColor !== undefined && look.headerColor !== ex.header_color) update.headerColor = look.headerColor;
  if (w.preEngagementConfig !== undefined) {
    const now = ex.pre_engagement_config === null ? null : canonical(JSON.parse(ex.pre_engagement_config));
    const wanted = w.preEngagementConfig === null ? null : canonical(w.preEngagementConfig);
    if (now !== wanted) update.preEngagementConfig = w.preEngagementConfig;
  }
  return update;
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}
