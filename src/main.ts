import { configOrExit, redactUrl } from './config.ts';
import { createServer } from './server.ts';
import { seedAtStart } from './switchyard/seed/start.ts';

/** A start that failed for an outside reason (store unreachable, port taken) is one line and exit 1; our own bugs keep their stack. */
function cannotStart(what: string, err: unknown): never {
  const e = err as { code?: unknown; message?: string };
  if (e?.code === undefined) throw err;
  console.error(`Switchyard could not ${what}: ${String(e.message).split('\n')[0]} (${e.code})`);
  process.exit(1);
}

const config = configOrExit();
const where = config.databaseUrl ? `PostgreSQL at ${redactUrl(config.databaseUrl)}${config.schema ? `, schema ${config.schema}` : ''}` : `SQLite file ${config.sqliteFile ?? 'data/switchyard.db'}`;
const server = await createServer(config).catch((err) => cannotStart(`open its store (${where})`, err));
await seedAtStart(server, config); // SWITCHYARD_SEED, before the first request can come
await server.app.listen({ port: config.port, host: config.host }).catch((err) => cannotStart(`listen on ${config.host} port ${config.port}`, err));
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
