import { invalidParameter } from '../../core/errors.ts';
import type { Params } from '../../http/params.ts';

/** Workspace events a callback can subscribe to (EventsFilter). */
export const EVENT_TYPES = [
  'activity.created', 'activity.deleted', 'activity.updated',
  'reservation.accepted', 'reservation.canceled', 'reservation.completed', 'reservation.created', 'reservation.failed',
  'reservation.rejected', 'reservation.rescinded', 'reservation.timeout', 'reservation.wrapup',
  'task.canceled', 'task.completed', 'task.created', 'task.deleted', 'task.system-deleted', 'task.transfer-initiated',
  'task.transfer-attempt-failed', 'task.transfer-completed', 'task.transfer-canceled', 'task.transfer-failed',
  'task.updated', 'task.wrapup',
  'task-channel.created', 'task-channel.deleted', 'task-channel.updated',
  'task-queue.created', 'task-queue.deleted', 'task-queue.entered', 'task-queue.moved', 'task-queue.timeout',
  'task-queue.updated', 'task-queue.expression.updated',
  'worker.activity.update', 'worker.attributes.update', 'worker.capacity.update', 'worker.channel.availability.update',
  'worker.created', 'worker.deleted',
  'workflow.created', 'workflow.deleted', 'workflow.entered', 'workflow.skipped', 'workflow.target-matched',
  'workflow.timeout', 'workflow.updated',
  'workspace.created', 'workspace.deleted', 'workspace.updated',
];

/** EventsFilter is a comma-separated list of event types; an unknown one is a mistake worth reporting. */
export function eventsFilter(p: Params): string | undefined {
  const value = p.string('EventsFilter');
  if (value === undefined || value.trim() === '') return value;
  for (const t of value.split(',').map((s) => s.trim())) {
    if (!EVENT_TYPES.includes(t)) throw invalidParameter(`Invalid EventsFilter: '${t}' is not a TaskRouter event type`);
  }
  return value;
}

/** Attributes must be a JSON object of at most 4096 characters. */
export function attributes(p: Params, name = 'Attributes'): string | undefined {
  return p.json(name, { maxLength: 4096, object: true })?.text;
}

/**
 * The Available filter of the Activities and Workers lists, as Twilio documents it: `true`, `1` or
 * `yes` select the available ones; any other value the unavailable ones.
 */
export function availableFilter(p: Params): boolean | undefined {
  const value = p.string('Available');
  return value === undefined ? undefined : /^(true|1|yes)$/i.test(value.trim());
}
