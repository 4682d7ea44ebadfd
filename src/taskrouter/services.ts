import { ActivityService } from './service/activities.ts';
import type { Deps } from './service/deps.ts';
import { TaskChannelService } from './service/task-channels.ts';
import { TaskQueueService } from './service/task-queues.ts';
import { WorkerChannelService } from './service/worker-channels.ts';
import { WorkerService } from './service/workers.ts';
import { WorkflowService } from './service/workflows.ts';
import { WorkspaceService } from './service/workspaces.ts';

export type TaskRouter = ReturnType<typeof taskRouterServices>;

export function taskRouterServices(deps: Deps) {
  return {
    workspaces: new WorkspaceService(deps),
    activities: new ActivityService(deps),
    taskChannels: new TaskChannelService(deps),
    taskQueues: new TaskQueueService(deps),
    workflows: new WorkflowService(deps),
    workers: new WorkerService(deps),
    workerChannels: new WorkerChannelService(deps),
  };
}
