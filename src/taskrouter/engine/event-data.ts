import type { ActivityRow, TaskChannelRow, TaskQueueRow, WorkerRow, WorkflowRow, WorkspaceRow } from '../model.ts';
import type { ReservationRow, TaskRow } from '../routing-model.ts';
import type { EventInput } from './events.ts';

/** Event parameters, named as Twilio's event callbacks name them. */

/** What events report of a worker. */
export type WorkerFacts = Pick<WorkerRow, 'sid' | 'friendly_name' | 'attributes' | 'activity_sid' | 'version'>;

export function taskEventData(t: TaskRow, now?: number) {
  return {
    TaskSid: t.sid,
    TaskAttributes: t.attributes,
    TaskAge: now === undefined ? undefined : Math.max(0, Math.floor((now - t.date_created) / 1000)),
    TaskPriority: t.priority,
    TaskAssignmentStatus: t.assignment_status,
    TaskQueueSid: t.task_queue_sid,
    TaskQueueEnteredDate: t.task_queue_entered_date === null ? null : Math.floor(t.task_queue_entered_date / 1000),
    TaskChannelSid: t.task_channel_sid,
    TaskChannelUniqueName: t.task_channel_unique_name,
    TaskDateCreated: Math.floor(t.date_created / 1000),
    WorkflowSid: t.workflow_sid,
    TaskVersion: t.version,
  };
}

export function workerEventData(w: WorkerFacts, a?: Pick<ActivityRow, 'sid' | 'friendly_name'>) {
  return {
    WorkerSid: w.sid,
    WorkerName: w.friendly_name,
    WorkerAttributes: w.attributes,
    WorkerActivitySid: a?.sid ?? w.activity_sid,
    WorkerActivityName: a?.friendly_name,
    WorkerVersion: w.version,
  };
}

export function reservationEventData(t: TaskRow, r: ReservationRow, w: WorkerFacts, now?: number) {
  return { ...taskEventData(t, now), ...workerEventData(w), ReservationSid: r.sid, TaskQueueSid: r.task_queue_sid };
}

/** What happened to a configuration resource; a queue also reports a change of its expression. */
type Change = 'created' | 'updated' | 'deleted';

export function activityEvent(a: ActivityRow, change: Change): EventInput {
  return {
    type: `activity.${change}`,
    description: `Activity ${a.friendly_name} ${change}`,
    resourceType: 'activity',
    resourceSid: a.sid,
    data: { ActivitySid: a.sid, ActivityName: a.friendly_name, ActivityAvailable: a.available },
  };
}

export function taskChannelEvent(c: TaskChannelRow, change: Change): EventInput {
  return {
    type: `task-channel.${change}`,
    description: `TaskChannel ${c.unique_name} ${change}`,
    resourceType: 'taskchannel',
    resourceSid: c.sid,
    data: {
      TaskChannelSid: c.sid,
      TaskChannelName: c.friendly_name,
      TaskChannelUniqueName: c.unique_name,
      TaskChannelOptimizedRouting: c.channel_optimized_routing ?? false,
    },
  };
}

export function taskQueueEvent(q: TaskQueueRow, change: Change | 'expression.updated'): EventInput {
  return {
    type: `task-queue.${change}`,
    description: `TaskQueue ${q.friendly_name} ${change === 'expression.updated' ? 'expression updated' : change}`,
    resourceType: 'taskqueue',
    resourceSid: q.sid,
    data: { TaskQueueSid: q.sid, TaskQueueName: q.friendly_name, TaskQueueTargetExpression: q.target_workers },
  };
}

export function workflowEvent(w: WorkflowRow, change: Change): EventInput {
  return {
    type: `workflow.${change}`,
    description: `Workflow ${w.friendly_name} ${change}`,
    resourceType: 'workflow',
    resourceSid: w.sid,
    data: { WorkflowSid: w.sid, WorkflowName: w.friendly_name },
  };
}

export function workspaceEvent(ws: WorkspaceRow, change: Change): EventInput {
  return {
    type: `workspace.${change}`,
    description: `Workspace ${ws.friendly_name} ${change}`,
    resourceType: 'workspace',
    resourceSid: ws.sid,
    data: { WorkspaceSid: ws.sid, WorkspaceName: ws.friendly_name },
  };
}
