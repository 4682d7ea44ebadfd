import type { AgentCredentials } from '../agent/credentials.ts';
import type { Clock } from '../core/clock.ts';
import type { Route } from '../http/context.ts';
import type { Database } from '../store/database.ts';
import type { TaskRouter } from '../taskrouter/services.ts';
import type { WidgetService } from '../webchat/widgets.ts';
import { resetRoutes, ResetService, type ResetRequest, type ResetResult } from './admin-reset.ts';
import { ClockControl, clockRoutes, type Ticker } from './clock.ts';
import { seedRoutes } from './seed.ts';
import { applySeed, type SeedDeps, type SeedResult } from './seed/apply.ts';
import type { SeedDocument } from './seed/document.ts';

export interface TwinDeps {
  db: Database;
  clock: Clock;
  taskRouter: TaskRouter;
  credentials: AgentCredentials;
  widgets: WidgetService;
  /** Other timer owners (Conversations) that fire what fell due when the clock moves. */
  tickers: Ticker[];
  /** SWITCHYARD_CLOCK_CONTROL (or the start seed's clock.control). */
  clockControl: boolean;
}

/**
 * Switchyard as a CI twin: the clock API, resets and seeds (README, "Use it in CI"). The admin API (reset, seed) is
 * served only when enabled (SWITCHYARD_ADMIN=1); it acts on the caller's account only, like every Twilio call.
 */
export class Twin {
  readonly clock: ClockControl;
  private readonly resets: ResetService;
  private readonly seedDeps: SeedDeps;

  constructor(private readonly deps: TwinDeps) {
    this.clock = new ClockControl(deps.clock, deps.db, deps.taskRouter.engine, deps.tickers, deps.clockControl);
    this.resets = new ResetService(deps.db, deps.taskRouter.engine);
    this.seedDeps = { db: deps.db, taskRouter: deps.taskRouter, credentials: deps.credentials, widgets: deps.widgets, clock: this.clock };
  }

  seed(accountSid: string, doc: SeedDocument): Promise<SeedResult> {
    return applySeed(this.seedDeps, accountSid, doc);
  }

  reset(accountSid: string, req: ResetRequest): Promise<ResetResult> {
    return this.resets.reset(accountSid, req);
  }

  /**
   * The routes for Switchyard's product. The clock's are there whenever clock control may be on (now, or later by a
   * seed through the admin API), and answer 404 while it is off, as if absent.
   */
  routes(admin: boolean): Route[] {
    const routes: Route[] = [];
    if (admin || this.deps.clockControl) routes.push(...clockRoutes(this.clock));
    if (admin) routes.push(...resetRoutes(this.resets), ...seedRoutes(this.seedDeps));
    return routes;
  }
}
