import type { EventRow } from '../taskrouter/routing-model.ts';

const TASK_ENDS = new Set(['task.completed', 'task.canceled']);
const RESERVATION_ENDS = new Set(['reservation.completed', 'reservation.canceled']);

/**
 * The order in which a batch of events is pushed. The engine records a task's end after the end
 * of its reservations (reservation.completed, then task.completed), but the SDK drops a
 * reservation from its map when it hears that the reservation ended, and then ignores the task
 * event (it finds tasks through their reservations): the Task object would never emit
 * `completed` or `canceled`. So a task's end is moved before the reservation ends recorded with it
 * (same task, within a second, nothing about another task in between). Everything else keeps
 * commit order.
 */
export function pushOrder(batch: EventRow[]): EventRow[] {
  const out = [...batch];
  for (let i = 0; i < out.length; i++) {
    const ev = out[i];
    if (!TASK_ENDS.has(ev.event_type) || !ev.task_sid) continue;
    let at = i;
    for (let j = i - 1; j >= 0; j--) {
      const e = out[j];
      if (Math.abs(Number(e.event_date) - Number(ev.event_date)) > 1000) break;
      if (e.task_sid !== null && e.task_sid !== ev.task_sid) break;
      if (e.task_sid === ev.task_sid && e.event_type.startsWith('task.')) break;
      if (e.task_sid === ev.task_sid && RESERVATION_ENDS.has(e.event_type)) at = j;
    }
    if (at < i) {
      out.splice(i, 1);
      out.splice(at, 0, ev);
    }
  }
  return out;
}
