import type { FastifyRequest } from 'fastify';
import { accountDefaults } from '../conversations/service/deps.ts';
import { TwilioError } from '../core/errors.ts';
import { TWILSOCK_PATH } from '../twilsock/endpoint.ts';
import { requestOrigin } from '../web/origin.ts';
import { agentIdentity } from '../flex/service/deps.ts';
import type { WorkerRow } from '../taskrouter/model.ts';
import { GUEST_PREFIX } from '../webchat/sessions.ts';
import { TOKEN_TTL_SECONDS, type AgentDeps } from './deps.ts';

const EVENT_BRIDGE_PATH = '/event-bridge/v1/wschannels';

/**
 * What the desktop needs to work as this worker: a worker token for the official worker SDK
 * (TaskRouter grant), a chat token for the official Conversations SDK (Chat grant on the account's
 * default service, for the identity the worker has in conversations: contact_uri without
 * `client:`, else the worker's name, as Flex Interactions adds agents), and where each SDK
 * connects (the event bridge; twilsock, the Conversations SDK's `twilsock.uri`), as the caller
 * reached this server. The worker's own token cannot change that identity (the event bridge
 * refuses it); only an administrator can.
 */
export async function issueTokens(deps: AgentDeps, req: FastifyRequest, worker: WorkerRow) {
  const identity = agentIdentity(worker);
  // Web chat customers' identities are theirs alone, whoever set this worker's contact_uri.
  if (identity.startsWith(GUEST_PREFIX))
    throw new TwilioError(20403, 403, `Worker ${worker.sid}'s chat identity '${identity}' is reserved for web chat customers; an administrator must change its contact_uri`);
  const { service } = await accountDefaults(deps.db, worker.account_sid, deps.clock.now());
  const workerToken = await deps.tokens.mint(
    worker.account_sid,
    identity,
    { task_router: { workspace_sid: worker.workspace_sid, worker_sid: worker.sid, role: 'worker' } },
    TOKEN_TTL_SECONDS,
  );
  const chatToken = await deps.tokens.mint(worker.account_sid, identity, { chat: { service_sid: service.sid } }, TOKEN_TTL_SECONDS);
  const origin = requestOrigin(req);
  return {
    account_sid: worker.account_sid,
    workspace_sid: worker.workspace_sid,
    worker_sid: worker.sid,
    friendly_name: worker.friendly_name,
    identity,
    worker_token: workerToken.token,
    chat_token: chatToken.token,
    expires: new Date(Math.min(workerToken.expires, chatToken.expires)).toISOString(),
    ttl: TOKEN_TTL_SECONDS,
    event_bridge: { ebServer: `${origin.http}${EVENT_BRIDGE_PATH}`, wsServer: `${origin.ws}${EVENT_BRIDGE_PATH}` },
    twilsock_url: `${origin.ws}${TWILSOCK_PATH}`,
  };
}
