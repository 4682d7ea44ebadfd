/**
 * The order in which waiting tasks are offered to a worker who can take one. FIFO queues: higher
 * priority first, then the oldest (by virtual start time). LIFO queues: the newest first,
 * ignoring priority. A worker in both kinds takes from the kind the workspace's
 * PrioritizeQueueOrder names first.
 */
export interface WaitingTask {
  sid: string;
  priority: number;
  virtualStartTime: number;
  queueOrder: 'FIFO' | 'LIFO';
}

export function compareWaiting(prioritize: 'FIFO' | 'LIFO') {
  return (a: WaitingTask, b: WaitingTask): number => {
    if (a.queueOrder !== b.queueOrder) return a.queueOrder === prioritize ? -1 : 1;
    if (a.queueOrder === 'LIFO') return b.virtualStartTime - a.virtualStartTime || (a.sid < b.sid ? -1 : 1);
    return b.priority - a.priority || a.virtualStartTime - b.virtualStartTime || (a.sid < b.sid ? -1 : 1);
  };
}
