import { configFromEnv } from './config.ts';
import { createServer } from './server.ts';

const config = configFromEnv();
const server = await createServer(config);
await server.app.listen({ port: config.port, host: config.host });
// Once serving, a failure nothing else caught is logged and the server goes on (why: docs/decisions.md);
// a failure to start still ends the process.
for (const event of ['uncaughtException', 'unhandledRejection'] as const)
  process.on(event, (err: unknown) => server.app.log.error({ err }, `${event}: logged, and the server goes on`));

const base = `http://localhost:${config.port}`;
const store = config.databaseUrl ? 'PostgreSQL' : `SQLite (${config.sqliteFile ?? 'data/switchyard.db'})`;
console.log(`Switchyard listening on ${base} with ${store}`);
if (config.account) {
  console.log(`Account ${config.account.accountSid} (from TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN)`);
} else {
  const dev = await server.accounts.developmentAccount();
  console.log('Development account (kept in the store; set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN to use your own):');
  console.log(`  TWILIO_ACCOUNT_SID=${dev.accountSid}`);
  console.log(`  TWILIO_AUTH_TOKEN=${dev.authToken}`);
  console.log(`  TWILIO_API_KEY=${dev.apiKey}`);
  console.log(`  TWILIO_API_SECRET=${dev.apiSecret}`);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    server.close().finally(() => process.exit(0));
  });
