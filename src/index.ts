export { switchyardClient } from './client.ts';
export { createServer, type Server, type ServerConfig } from './server.ts';
export { ManualClock, systemClock, type Clock } from './core/clock.ts';
