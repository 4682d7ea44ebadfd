import { Table } from '../store/table.ts';

/** TaskRouter's configuration resources as stored: one row type and one table each. */

export interface WorkspaceRow {
  sid: string;
  account_sid: string;
  friendly_name: string;
  event_callback_url: string | null;
  events_filter: string | null;
  multi_task_enabled: boolean;
  prioritize_queue_order: 'FIFO' | 'LIFO';
  default_activity_sid: string | null;
  timeout_activity_sid: string | null;
  date_created: number;
  date_updated: number;
}

export interface ActivityRow {
  sid: string;
  account_sid: string;
  workspace_sid: string;
  friendly_name: string;
  available: boolean;
  date_created: number;
  date_updated: number;
}

export interface TaskChannelRow {
  sid: string;
  account_sid: string;
  workspace_sid: string;
  friendly_name: string;
  unique_name: string;
  channel_optimized_routing: boolean | null;
  date_created: number;
  date_updated: number;
}

export interface TaskQueueRow {
  sid: string;
  account_sid: string;
  workspace_sid: string;
  friendly_name: string;
  target_workers: string;
  max_reserved_workers: number;
  task_order: 'FIFO' | 'LIFO';
  reservation_activity_sid: string | null;
  assignment_activity_sid: string | null;
  date_created: number;
  date_updated: number;
}

export interface WorkflowRow {
  sid: string;
  account_sid: string;
  workspace_sid: string;
  friendly_name: string;
  configuration: string;
  assignment_callback_url: string | null;
  fallback_assignment_callback_url: string | null;
  task_reservation_timeout: number;
  /** Goes up by one with every configuration change; see workflow_revisions. */
  revision: number;
  date_created: number;
  date_updated: number;
}

export interface WorkerRow {
  sid: string;
  account_sid: string;
  workspace_sid: string;
  friendly_name: string;
  attributes: string;
  activity_sid: string;
  version: number;
  /** Since when the worker has had no new task: the longest idle is offered work first. */
  idle_since: number;
  date_status_changed: number;
  date_created: number;
  date_updated: number;
  /**
   * The contact_uri in the attributes as an administrator last set them, with account credentials
   * ('' for none); null for workers from before it was kept. See WorkerInput.byToken.
   */
  given_contact_uri?: string | null;
}

export interface WorkerChannelRow {
  sid: string;
  account_sid: string;
  workspace_sid: string;
  worker_sid: string;
  task_channel_sid: string;
  capacity: number;
  available: boolean;
  /** Reservations holding capacity on this channel (pending, accepted, wrapping). */
  held: number;
  /** Tasks accepted on this channel and not yet completed (accepted, wrapping). */
  assigned: number;
  date_created: number;
  date_updated: number;
}

export const workspaces = new Table<WorkspaceRow>('workspaces', ['multi_task_enabled']);
export const activities = new Table<ActivityRow>('activities', ['available']);
export const taskChannels = new Table<TaskChannelRow>('task_channels', ['channel_optimized_routing']);
export const taskQueues = new Table<TaskQueueRow>('task_queues');
export const workflows = new Table<WorkflowRow>('workflows');
export const workers = new Table<WorkerRow>('workers');
export const workerChannels = new Table<WorkerChannelRow>('worker_channels', ['available']);

/** Limits Twilio documents for these resources. */
export const LIMITS = {
  attributesLength: 4096,
  workflowConfigurationBytes: 1_038_576,
  maxReservedWorkers: 50,
  taskReservationTimeout: 86_400,
  workerChannelCapacity: 50,
  taskChannelsPerWorkspace: 15,
  activitiesPerWorkspace: 100,
} as const;
