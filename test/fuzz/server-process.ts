/**
 * The server under fuzz, in a process of its own, so that an uncaught error ends it as it would
 * end a real server (and the fuzzer sees it die). Configured like the test servers: the store
 * the parent made, a manual clock and manual timers (nothing writes unless a request does), and
 * the accounts the parent names. Prints the routes it serves (FUZZ-ROUTES) and FUZZ-READY <port> once listening.
 */
import { ManualClock } from '../../src/core/clock.ts';
import { createServer } from '../../src/server.ts';
import { metaChannel } from '../../src/channels/meta/channel.ts';
import type { StoreConfig } from '../../src/store/open.ts';
import { servedRoutes } from './routes.ts';

const { store, accounts, now } = JSON.parse(process.env.FUZZ_SERVER ?? '{}') as {
  store: StoreConfig;
  accounts: { accountSid: string; authToken: string }[];
  now: number;
};
// Meta's webhook is served only when configured: configured here so that it is fuzzed too (with a Graph API nowhere).
const meta = metaChannel({
  appSecret: 'fuzz-app-secret',
  verifyToken: 'fuzz-verify-token',
  graphUrl: 'http://127.0.0.1:9/v21.0',
  pages: { '104160000000001': 'fuzz-page-token' },
  numbers: [{ phoneNumberId: '106540000000002', number: '+15550000002', token: 'fuzz-number-token' }],
  templates: {},
  lookupTimeoutMs: 100,
});
const server = await createServer({ ...store, timers: 'manual', clock: new ManualClock(now), channels: [meta] });
for (const account of accounts) await server.accounts.ensure(account);
await server.app.listen({ port: 0, host: '127.0.0.1' });
const address = server.app.server.address();
console.log(`FUZZ-ROUTES ${JSON.stringify(servedRoutes(server.app))}`);
console.log(`FUZZ-READY ${typeof address === 'object' && address ? address.port : 0}`);
process.once('SIGTERM', () => {
  server.close().finally(() => process.exit(0));
});
