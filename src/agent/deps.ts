import type { TokenMinter } from '../accounts/tokens.ts';
import type { Clock } from '../core/clock.ts';
import type { ConversationsApi } from '../conversations/services.ts';
import type { Flex } from '../flex/services.ts';
import type { Database } from '../store/database.ts';
import type { TaskRouter } from '../taskrouter/services.ts';
import type { CannedResponses } from './canned-responses.ts';
import type { AgentCredentials } from './credentials.ts';
import type { DeskSettingsStore } from './desk-settings.ts';
import type { DispositionCodes } from './disposition-codes.ts';

/** What the agent routes use: the products they act through, and the token minter. */
export interface AgentDeps {
  db: Database;
  clock: Clock;
  tokens: TokenMinter;
  credentials: AgentCredentials;
  canned: CannedResponses;
  codes: DispositionCodes;
  settings: DeskSettingsStore;
  taskRouter: TaskRouter;
  conversations: ConversationsApi;
  flex: Flex;
}

/**
 * How long the desktop's tokens live: one hour, as Twilio's own examples mint them. The desktop
 * renews them well before (POST /switchyard/v1/Agent/Tokens), so a stolen token is of use for an
 * hour at most, and a revoked agent is out within the hour.
 */
export const TOKEN_TTL_SECONDS = 3600;
