/**
 * The supervisor board's server side: sign-in with a supervisor's own credentials, the board of
 * their workspace pushed as it changes, agents' activities, and live chats monitored and joined.
 * The page is public/supervisor/.
 */
export { supervisorRoutes, SUPERVISOR_PREFIX } from './routes.ts';
export type { SupervisorDeps } from './deps.ts';
export type { LiveOptions } from './live.ts';
