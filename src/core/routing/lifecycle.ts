/**
 * The task and reservation state machines: which moves are legal, and who may make them.
 * Pure data; the engine consults it before every change.
 */

export const TASK_STATUSES = ['pending', 'reserved', 'assigned', 'wrapping', 'completed', 'canceled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const RESERVATION_STATUSES = [
  'pending',
  'accepted',
  'rejected',
  'timeout',
  'canceled',
  'rescinded',
  'wrapping',
  'completed',
] as const;
export type ReservationStatus = (typeof RESERVATION_STATUSES)[number];

/** Task moves a caller may request through the API (AssignmentStatus). */
const TASK_API_MOVES: Record<TaskStatus, readonly TaskStatus[]> = {
  pending: ['canceled'],
  reserved: ['canceled'],
  assigned: ['wrapping', 'completed'],
  wrapping: ['completed'],
  completed: [],
  canceled: [],
};

export function canRequestTaskStatus(from: TaskStatus, to: TaskStatus): boolean {
  return TASK_API_MOVES[from].includes(to);
}

/**
 * What a request to end a task means from where it stands: the one answer for everyone who asks
 * (the Task API, a reservation's holder, an interaction closing or wrapping up). A task still being
 * routed is canceled, whatever end was asked; an assigned one wraps up or completes as asked; a
 * wrapping one completes when asked to. A task already over, or asked for what it already is or
 * cannot become, stays as it is (null). Whether the caller may ask is `canRequestTaskStatus`.
 */
export function endingMove(from: TaskStatus, wanted: 'canceled' | 'wrapping' | 'completed'): 'canceled' | 'wrapping' | 'completed' | null {
  switch (from) {
    case 'pending':
    case 'reserved':
      return 'canceled';
    case 'assigned':
      return wanted === 'canceled' ? null : wanted;
    case 'wrapping':
      return wanted === 'completed' ? 'completed' : null;
    default:
      return null;
  }
}

/** Reservation moves a caller may request (ReservationStatus). */
const RESERVATION_API_MOVES: Record<ReservationStatus, readonly ReservationStatus[]> = {
  pending: ['accepted', 'rejected'],
  accepted: ['wrapping', 'completed'],
  wrapping: ['completed'],
  rejected: [],
  timeout: [],
  canceled: [],
  rescinded: [],
  completed: [],
};

export function canRequestReservationStatus(from: ReservationStatus, to: ReservationStatus): boolean {
  return RESERVATION_API_MOVES[from].includes(to);
}

/** Statuses in which a task is still being routed, and so subject to its TTL. */
export const ROUTING_STATUSES: readonly TaskStatus[] = ['pending', 'reserved'];
/** Statuses in which a task is still alive. */
export const ACTIVE_TASK_STATUSES: readonly TaskStatus[] = ['pending', 'reserved', 'assigned', 'wrapping'];
/** Reservations that hold a worker's channel capacity. */
export const CAPACITY_HOLDING: readonly ReservationStatus[] = ['pending', 'accepted', 'wrapping'];
export const FINAL_RESERVATION: readonly ReservationStatus[] = ['rejected', 'timeout', 'canceled', 'rescinded', 'completed'];
