import type { Clock } from '../core/clock.ts';
import type { Database } from '../store/database.ts';
import { Engine } from './engine/index.ts';
import { ActivityService } from './service/activities.ts';
import { ReservationService } from './service/reservations.ts';
import { StatisticsService } from './service/statistics.ts';
import { EventService } from './service/events.ts';
import { TaskChannelService } from './service/task-channels.ts';
import { TaskQueueService } from './service/task-queues.ts';
import { TaskService } from './service/tasks.ts';
import { TransferService } from './service/transfers.ts';
import { WorkerChannelService } from './service/worker-channels.ts';
import { WorkerService } from './service/workers.ts';
import { WorkflowService } from './service/workflows.ts';
import { WorkspaceService } from './service/workspaces.ts';

export type TaskRouter = ReturnType<typeof taskRouterServices>;

export function taskRouterServices(base: { db: Database; clock: Clock }, opts: { verifyRoutingState?: boolean } = {}) {
  const engine = new Engine(base.db, base.clock, opts);
  const deps = { ...base, engine };
  return {
    engine,
    clock: base.clock,
    workspaces: new WorkspaceService(deps),
    activities: new ActivityService(deps),
    taskChannels: new TaskChannelService(deps),
    taskQueues: new TaskQueueService(deps),
    workflows: new WorkflowService(deps),
    workers: new WorkerService(deps),
    workerChannels: new WorkerChannelService(deps),
    tasks: new TaskService(deps, engine),
    reservations: new ReservationService(deps, engine),
    transfers: new TransferService(deps),
    statistics: new StatisticsService(deps),
    events: new EventService(deps),
  };
}
