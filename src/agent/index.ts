import type { FastifyInstance } from 'fastify';
import type { Route } from '../http/context.ts';
import type { PublicApi } from '../http/public-api.ts';
import { deskAdminRoutes } from './admin-routes.ts';
import { CannedResponses } from './canned-responses.ts';
import { AgentCredentials } from './credentials.ts';
import type { AgentDeps } from './deps.ts';
import { credentialRoutes } from './credential-routes.ts';
import { DeskSettingsStore } from './desk-settings.ts';
import { DispositionCodes } from './disposition-codes.ts';
import { agentRoutes } from './routes.ts';

export { AgentCredentials } from './credentials.ts';
export { TOKEN_TTL_SECONDS } from './deps.ts';
export { signInKey } from './routes.ts';

/**
 * The agent desktop's server side: credentials, canned responses, disposition codes and the desk's
 * settings (admin routes, Basic auth, in Switchyard's own product) and the agent's public routes
 * (sign-in, token renewal, what the worker SDK cannot do).
 */
export function agentServices(deps: Omit<AgentDeps, 'credentials' | 'canned' | 'codes' | 'settings'>) {
  const credentials = new AgentCredentials(deps.db, deps.clock);
  const canned = new CannedResponses(deps.db, deps.clock);
  const codes = new DispositionCodes(deps.db, deps.clock);
  const settings = new DeskSettingsStore(deps.db, deps.clock);
  const all: AgentDeps = { ...deps, credentials, canned, codes, settings };
  return {
    credentials,
    /** Routes for switchyardProduct (Basic auth): agents' credentials, and what the desk is set up with. */
    adminRoutes: (): Route[] => [...credentialRoutes(credentials), ...deskAdminRoutes(canned, codes, settings)],
    /** Registers the public routes on the app, with the public API's limits and CORS. */
    register: (app: FastifyInstance, api: PublicApi) => agentRoutes(app, all, api),
  };
}
