import type { Product } from '../http/context.ts';
import { activityRoutes } from './http/activities.ts';
import { taskChannelRoutes } from './http/task-channels.ts';
import { taskQueueRoutes } from './http/task-queues.ts';
import { workerChannelRoutes } from './http/worker-channels.ts';
import { workerRoutes } from './http/workers.ts';
import { workflowRoutes } from './http/workflows.ts';
import { workspaceRoutes } from './http/workspaces.ts';
import { taskRoutes } from './http/tasks.ts';
import { reservationRoutes } from './http/reservations.ts';
import { statisticsRoutes } from './http/statistics.ts';
import { eventRoutes } from './http/events.ts';
import type { TaskRouter } from './services.ts';

/** TaskRouter v1 as an HTTP product: taskrouter.twilio.com, or /taskrouter on this server. */
export function taskRouterProduct(tr: TaskRouter): Product {
  return {
    name: 'taskrouter',
    routes: [
      ...workspaceRoutes(tr),
      ...activityRoutes(tr),
      ...taskChannelRoutes(tr),
      ...taskQueueRoutes(tr),
      ...workflowRoutes(tr),
      ...workerRoutes(tr),
      ...workerChannelRoutes(tr),
      ...taskRoutes(tr),
      ...reservationRoutes(tr),
      ...statisticsRoutes(tr),
      ...eventRoutes(tr),
    ],
  };
}
