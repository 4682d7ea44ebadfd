import type { ReservationStatus, TaskStatus } from '../core/routing/lifecycle.ts';
import { Table } from '../store/table.ts';

/** The routing engine's rows: tasks, reservations, events. */

export interface TaskRow {
  sid: string;
  account_sid: string;
  workspace_sid: string;
  workflow_sid: string | null;
  workflow_revision: number | null;
  attributes: string;
  assignment_status: TaskStatus;
  priority: number;
  timeout: number;
  task_channel_sid: string;
  task_channel_unique_name: string;
  task_queue_sid: string | null;
  task_queue_entered_date: number | null;
  reason: string | null;
  virtual_start_time: number;
  routing_target: string | null;
  ignore_capacity: boolean;
  addons: string;
  version: number;
  /** Where the task stands in its workflow: filter index (null = default_filter), target index. */
  step_filter: number | null;
  step_target: number | null;
  step_entered_age: number | null;
  step_since: number | null;
  assignment_count: number;
  date_created: number;
  date_updated: number;
  date_closed: number | null;
}

export interface ReservationRow {
  sid: string;
  account_sid: string;
  workspace_sid: string;
  task_sid: string;
  worker_sid: string;
  worker_name: string;
  task_channel_sid: string;
  task_queue_sid: string | null;
  reservation_status: ReservationStatus;
  timeout_at: number | null;
  worker_previous_activity_sid: string | null;
  version: number;
  date_created: number;
  date_updated: number;
  /** The transfer this reservation offers the task for (task.transfer()), if it does. */
  transfer_sid?: string | null;
}

export type TransferStatus = 'initiated' | 'failed' | 'complete' | 'canceled';

/** A transfer of a task by the worker holding it, to a worker or a queue (task.transfer() in the worker SDK). */
export interface TransferRow {
  sid: string;
  account_sid: string;
  workspace_sid: string;
  task_sid: string;
  initiating_reservation_sid: string;
  initiating_worker_sid: string;
  initiating_queue_sid: string | null;
  initiating_workflow_sid: string | null;
  transfer_to: string;
  transfer_type: 'WORKER' | 'QUEUE';
  transfer_mode: 'WARM' | 'COLD';
  transfer_status: TransferStatus;
  transfer_failed_reason: string | null;
  date_created: number;
  date_updated: number;
}

export interface EventRow {
  sid: string;
  account_sid: string;
  workspace_sid: string;
  event_type: string;
  description: string;
  resource_type: string;
  resource_sid: string;
  actor_type: string | null;
  actor_sid: string | null;
  task_sid: string | null;
  worker_sid: string | null;
  reservation_sid: string | null;
  task_queue_sid: string | null;
  workflow_sid: string | null;
  task_channel: string | null;
  /** JSON text: the event's data, snake_case keys. */
  event_data: string;
  event_date: number;
}

export const tasks = new Table<TaskRow>('tasks', ['ignore_capacity']);
export const reservations = new Table<ReservationRow>('reservations');
export const events = new Table<EventRow>('events');
export const transfers = new Table<TransferRow>('task_transfers');

export const TASK_LIMITS = {
  defaultTimeout: 86_400,
  maxTimeout: 1_209_600,
  maxPriority: 2_147_483_647,
  maxAssignmentCount: 1_000,
  /** An assigned task not completed within this time is deleted by the system (task.system-deleted). */
  assignedMaxMs: 86_400_000,
  /** Completed and canceled tasks are removed this long after they close (Twilio: 5 minutes). */
  closedRetentionMs: 5 * 60_000,
  eventRetentionMs: 30 * 24 * 3600_000,
} as const;
