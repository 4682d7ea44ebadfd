import type { FastifyInstance } from 'fastify';
import type { Route } from '../http/context.ts';
import type { PublicApi } from '../http/public-api.ts';
import { AgentCredentials } from './credentials.ts';
import type { AgentDeps } from './deps.ts';
import { credentialRoutes } from './credential-routes.ts';
import { agentRoutes } from './routes.ts';

export { AgentCredentials } from './credentials.ts';
export { TOKEN_TTL_SECONDS } from './deps.ts';

/**
 * The agent desktop's server side: credentials (admin routes, Basic auth, in Switchyard's own
 * product) and the agent's public routes (sign-in, token renewal, what the worker SDK cannot do).
 */
export function agentServices(deps: Omit<AgentDeps, 'credentials'>) {
  const credentials = new AgentCredentials(deps.db, deps.clock);
  const all: AgentDeps = { ...deps, credentials };
  return {
    credentials,
    /** Routes for switchyardProduct (Basic auth). */
    adminRoutes: (): Route[] => credentialRoutes(credentials),
    /** Registers the public routes on the app, with the public API's limits and CORS. */
    register: (app: FastifyInstance, api: PublicApi) => agentRoutes(app, all, api),
  };
}
