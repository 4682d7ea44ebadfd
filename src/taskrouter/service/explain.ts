import { isoDate } from '../../core/clock.ts';
import { notFound } from '../../core/errors.ts';
import { evaluate, parseExpression } from '../../core/expression/index.ts';
import { whyIneligible, type Candidate, type Ineligible } from '../../core/routing/matching.ts';
import { channelsOf, type PoolChannel } from '../../core/routing/worker-pool.ts';
import { resume, timeOfDay, type Step } from '../../core/routing/workflow.ts';
import { parseWorkflowConfiguration } from '../../core/workflow/configuration.ts';
import type { Executor } from '../../store/database.ts';
import { DIRECT } from '../engine/router.ts';
import { activities, taskQueues, workers, workspaces, type WorkerRow } from '../model.ts';
import { tasks, type TaskRow } from '../routing-model.ts';
import { parseAttributes, requireWorkspace, type Deps } from './deps.ts';

const REASONS: Record<Ineligible | 'not-in-queue', string> = {
  'not-in-queue': "the queue's target_workers expression does not select this worker",
  'activity-unavailable': "the worker's activity is not an available one",
  'channel-unavailable': "the worker's channel for this task is switched off (Available=false)",
  'no-capacity': "the worker's channel for this task is at capacity",
  'single-task-busy': 'the workspace is single-tasking and the worker already has a task',
  'target-expression': "the target's expression is false for this task and worker",
  'known-worker': 'the target routes to a known worker, and it is not this one',
  'already-reserved': 'the worker already had a reservation for this task (offered, rejected or timed out)',
};

/**
 * Why a task is where it is: which filter matched, which targets it went through and when, and
 * for any worker, whether it could be offered the task now and if not, why. Reads only.
 */
export class ExplainService {
  constructor(private readonly deps: Deps) {}

  async explain(accountSid: string, workspaceSid: string, taskSid: string, workerSids: string[]) {
    const db = this.deps.db;
    await requireWorkspace(db, accountSid, workspaceSid);
    const task = await tasks.get(db, taskSid, ['workspace_sid = ?', workspaceSid]);
    if (!task) throw notFound(`/v1/Workspaces/${workspaceSid}/Tasks/${taskSid}`);
    const ws = (await workspaces.get(db, workspaceSid))!;
    const now = this.deps.clock.now();
    const attributes = parseAttributes(task.attributes);

    const row = task.workflow_sid
      ? await db.get<{ configuration: string }>('SELECT configuration FROM workflow_revisions WHERE workflow_sid = ? AND revision = ?', [
          task.workflow_sid,
          task.workflow_revision,
        ])
      : undefined;
    const config = row ? parseWorkflowConfiguration(row.configuration) : null;
    const filterCtx = { ...attributes, taskrouter: timeOfDay(now) };
    const filters =
      config?.filters.map((f, i) => ({
        index: i,
        filter_friendly_name: f.name,
        expression: f.expression.source,
        matches_now: evaluate(f.expression, filterCtx),
        targets: f.targets.map((t, j) => ({ index: j, queue: t.queue, timeout: t.timeout, expression: t.expression?.source ?? null })),
      })) ?? [];

    let step: Step | null = null;
    if (task.step_filter === DIRECT && task.task_queue_sid) step = null;
    else if (config && task.step_target !== null) step = resume(config, task.step_filter, task.step_target, task.step_entered_age ?? 0);

    const history = await db.all<{ event_type: string; event_date: number; description: string; task_queue_sid: string | null; worker_sid: string | null; reservation_sid: string | null }>(
      `SELECT event_type, event_date, description, task_queue_sid, worker_sid, reservation_sid FROM events
        WHERE task_sid = ? ORDER BY seq`,
      [task.sid],
    );

    const queue = task.task_queue_sid ? await taskQueues.get(db, task.task_queue_sid) : undefined;
    const candidates = workerSids.length > 0 ? workerSids : await this.someMembers(db, task);
    const workerReports = [];
    for (const sid of candidates) {
      const w = await workers.get(db, sid, ['workspace_sid = ?', workspaceSid]);
      if (!w) throw notFound(`/v1/Workspaces/${workspaceSid}/Workers/${sid}`);
      workerReports.push(await this.workerReport(db, ws.multi_task_enabled, task, step, queue?.target_workers ?? null, w, now));
    }

    return {
      task_sid: task.sid,
      assignment_status: task.assignment_status,
      workflow_sid: task.workflow_sid,
      workflow_revision: task.workflow_revision,
      age: Math.floor((now - task.date_created) / 1000),
      routing: {
        matched_filter: step?.filter ?? null,
        matched_filter_name: step ? (step.filter === null ? 'default_filter' : step.filterName) : null,
        current_target: step?.target ?? null,
        task_queue_sid: task.task_queue_sid,
        task_queue_name: queue?.friendly_name ?? null,
        entered_target_at: isoDate(task.step_since),
        target_timeout_at: step?.deadlineAge != null ? isoDate(task.date_created + step.deadlineAge * 1000) : null,
        routed_directly: task.step_filter === DIRECT || task.routing_target !== null,
      },
      filters,
      default_filter: config?.defaultFilter ? { queue: config.defaultFilter.queue } : null,
      history: history.map((h) => ({
        event_type: h.event_type,
        date: isoDate(h.event_date),
        description: h.description,
        task_queue_sid: h.task_queue_sid,
        worker_sid: h.worker_sid,
        reservation_sid: h.reservation_sid,
      })),
      workers: workerReports,
    };
  }

  /** Without a WorkerSid, the report covers the first members of the task's queue. */
  private async someMembers(db: Executor, task: TaskRow): Promise<string[]> {
    if (!task.task_queue_sid) return [];
    const rows = await db.all<{ worker_sid: string }>('SELECT worker_sid FROM queue_members WHERE queue_sid = ? ORDER BY worker_sid LIMIT 50', [
      task.task_queue_sid,
    ]);
    return rows.map((r) => r.worker_sid);
  }

  private async workerReport(db: Executor, multiTask: boolean, task: TaskRow, step: Step | null, targetWorkers: string | null, w: WorkerRow, now: number) {
    const activity = (await activities.get(db, w.activity_sid))!;
    const attributes = parseAttributes(w.attributes);
    const inQueue = targetWorkers === null ? false : evaluate(parseExpression(targetWorkers), attributes);
    const ch = await db.get<{ capacity: number; available: number; held: number; assigned: number }>(
      'SELECT capacity, available, held, assigned FROM worker_channels WHERE worker_sid = ? AND task_channel_sid = ?',
      [w.sid, task.task_channel_sid],
    );
    const had = await db.get<{ n: number }>(
      "SELECT COUNT(*) AS n FROM reservations WHERE task_sid = ? AND worker_sid = ? AND reservation_status NOT IN ('canceled', 'rescinded')",
      [task.sid, w.sid],
    );
    const candidate: Candidate = {
      sid: w.sid,
      friendlyName: w.friendly_name,
      activitySid: activity.sid,
      activityName: activity.friendly_name,
      available: activity.available,
      attributes,
      channel: { capacity: Number(ch?.capacity ?? 0), available: Boolean(ch?.available), held: Number(ch?.held ?? 0), assigned: Number(ch?.assigned ?? 0) },
      channels: await loadChannels(db, w.sid),
      idleSince: w.idle_since,
      reservedForTask: Number(had?.n) > 0,
    };
    const reasons: string[] = [];
    const direct = task.routing_target === w.sid;
    if (!inQueue && !direct) reasons.push(REASONS['not-in-queue']);
    if (step || direct) {
      const why = step
        ? whyIneligible({ sid: task.sid, attributes: parseAttributes(task.attributes), ignoreCapacity: task.ignore_capacity }, step, candidate, { multiTask, nowMs: now })
        : null;
      if (why) reasons.push(REASONS[why]);
    }
    return {
      worker_sid: w.sid,
      friendly_name: w.friendly_name,
      activity_name: activity.friendly_name,
      available: activity.available,
      in_task_queue: inQueue,
      channel: { configured_capacity: candidate.channel.capacity, available: candidate.channel.available, held: candidate.channel.held },
      eligible_now: reasons.length === 0 && (task.assignment_status === 'pending' || task.assignment_status === 'reserved'),
      reasons,
    };
  }
}

/** Every channel of a worker, as `worker.channel.<unique_name>.*` exposes them (read from the store: explain runs outside the lock). */
async function loadChannels(db: Executor, workerSid: string): Promise<Candidate['channels']> {
  const rows = await db.all<{ task_channel_sid: string; unique_name: string; capacity: number; available: number; held: number; assigned: number }>(
    `SELECT wc.task_channel_sid, tc.unique_name, wc.capacity, wc.available, wc.held, wc.assigned FROM worker_channels wc
       JOIN task_channels tc ON tc.sid = wc.task_channel_sid WHERE wc.worker_sid = ?`,
    [workerSid],
  );
  const channels = new Map<string, PoolChannel>(
    rows.map((r) => [
      r.task_channel_sid,
      { taskChannelSid: r.task_channel_sid, uniqueName: r.unique_name, capacity: Number(r.capacity), available: Boolean(Number(r.available)), held: Number(r.held), assigned: Number(r.assigned) },
    ]),
  );
  return channelsOf({ channels });
}
