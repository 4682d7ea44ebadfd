import type { TokenMinter } from '../accounts/tokens.ts';
import type { AgentCredentials } from '../agent/index.ts';
import type { Clock } from '../core/clock.ts';
import type { ConversationsApi } from '../conversations/services.ts';
import type { Flex } from '../flex/services.ts';
import type { Database } from '../store/database.ts';
import type { WorkerRow } from '../taskrouter/model.ts';
import type { TaskRouter } from '../taskrouter/services.ts';

/** What the supervisor board's routes act through: the products, agents' credentials and the token minter. */
export interface SupervisorDeps {
  db: Database;
  clock: Clock;
  tokens: TokenMinter;
  /** Supervisors sign in with the username and password an administrator gave their worker. */
  credentials: Pick<AgentCredentials, 'check' | 'get'>;
  taskRouter: TaskRouter;
  conversations: ConversationsApi;
  flex: Flex;
}

/**
 * The worker roles (Flex's `roles` worker attribute) that open the board. Flex's `admin` may do
 * everything a supervisor does.
 */
export const SUPERVISOR_ROLES = ['supervisor', 'admin'] as const;

/** The `roles` attribute of a worker (Flex's convention: an array of names), as lower-case strings. */
export function rolesOf(worker: Pick<WorkerRow, 'attributes'>): string[] {
  try {
    const roles = (JSON.parse(worker.attributes) as { roles?: unknown }).roles;
    return Array.isArray(roles) ? roles.filter((r): r is string => typeof r === 'string').map((r) => r.toLowerCase()) : [];
  } catch {
    return [];
  }
}

export function isSupervisor(worker: Pick<WorkerRow, 'attributes'>): boolean {
  const roles = rolesOf(worker);
  return SUPERVISOR_ROLES.some((r) => roles.includes(r));
}
