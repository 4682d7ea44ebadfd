import type { ActivityRow, WorkerRow } from '../model.ts';
import type { ReservationRow, TaskRow } from '../routing-model.ts';

/** Event parameters, named as Twilio's event callbacks name them. */

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

export function workerEventData(w: WorkerRow, a?: Pick<ActivityRow, 'sid' | 'friendly_name'>) {
  return {
    WorkerSid: w.sid,
    WorkerName: w.friendly_name,
    WorkerAttributes: w.attributes,
    WorkerActivitySid: a?.sid ?? w.activity_sid,
    WorkerActivityName: a?.friendly_name,
    WorkerVersion: w.version,
  };
}

export function reservationEventData(t: TaskRow, r: ReservationRow, w: WorkerRow, now?: number) {
  return { ...taskEventData(t, now), ...workerEventData(w), ReservationSid: r.sid, TaskQueueSid: r.task_queue_sid };
}
