import type { Clock } from '../core/clock.ts';
import type { ConversationsApi } from '../conversations/services.ts';
import type { Database } from '../store/database.ts';
import type { TaskRow } from '../taskrouter/routing-model.ts';
import type { TaskRouter } from '../taskrouter/services.ts';
import { consoleLog, type Log } from '../ops/logger.ts';
import { InteractionFollower } from './follower.ts';
import { taskProperties } from './http/render.ts';
import { ChannelService } from './service/channels.ts';
import type { FlexDeps, OrphanPolicy } from './service/deps.ts';
import { InteractionService } from './service/interactions.ts';
import { InviteService } from './service/invites.ts';
import { Media } from './service/media.ts';
import { ParticipantService } from './service/participants.ts';
import { Routing } from './service/routing.ts';
import { ChannelSetup } from './service/setup.ts';
import { TransferService } from './service/transfers.ts';
import { WebChatService } from './service/web-chats.ts';

export type Flex = ReturnType<typeof flexServices>;

/** How often a node looks for work other nodes left it: events of their commits, setups cut short. */
const POLL_MS = 1000;

/**
 * Flex Interactions: the services (one per resource) over TaskRouter and Conversations, and the
 * follower that keeps channels in step with their tasks.
 */
export function flexServices(base: { db: Database; clock: Clock; taskRouter: TaskRouter; conversations: ConversationsApi; orphans?: OrphanPolicy; log?: Log }) {
  const deps: FlexDeps = { ...base, orphans: base.orphans ?? 'close', log: base.log ?? consoleLog };
  const media = new Media(deps);
  const routing = new Routing(deps);
  const channels = new ChannelService(deps, routing, media);
  const follower = new InteractionFollower(deps, channels, media, routing);
  routing.onRoute((workspaceSid) => follower.watch(workspaceSid));
  const setup = new ChannelSetup(deps, media, routing);
  // After every routing commit on this node, before its caller hears back (Engine.bus).
  base.taskRouter.engine.bus.on('committed', ({ workspaceSid }) => (workspaceSid ? follower.follow(workspaceSid) : undefined));
  let timer: NodeJS.Timeout | null = null;
  let polling: Promise<void> | null = null;
  const poll = async () => {
    await setup.resumeStale();
    await follower.poll();
  };
  const interactions = new InteractionService(deps, setup, routing, media);
  return {
    interactions,
    webChats: new WebChatService(deps, interactions),
    channels,
    invites: new InviteService(deps, routing),
    participants: new ParticipantService(deps, media, setup, follower),
    transfers: new TransferService(deps, routing, follower),
    follower,
    /** Finishes setups cut short and follows events committed elsewhere (tests call it; `start` runs it every second). */
    poll,
    async renderTask(task: TaskRow) {
      return taskProperties(task, await base.taskRouter.tasks.names(task), base.clock.now());
    },
    start() {
      timer = setInterval(() => {
        if (polling) return;
        polling = poll()
          .catch((err) => deps.log.error({ err }, 'the Interactions poll failed; trying again'))
          .finally(() => (polling = null));
      }, POLL_MS);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await polling;
    },
  };
}
