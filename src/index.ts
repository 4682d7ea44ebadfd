// The package's entry point (ES modules; CommonJS users get the same through index.cts).
export { switchyardClient } from './client.ts';
export { createServer, type EmbeddedServer, type EmbeddedServerOptions } from './embedded.ts';
export type { Server, ServerConfig } from './server.ts';
export type { Credentials } from './accounts/accounts.ts';
export { AdjustableClock, ManualClock, systemClock, type Clock } from './core/clock.ts';
