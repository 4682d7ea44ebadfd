import { configOrExit, redactUrl } from './config.ts';
import { createServer } from './server.ts';
import { DEFAULT_SHUTDOWN_GRACE_MS, exitOnSignals } from './ops/shutdown.ts';
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
// npm start logs every request (info); a server made by createServer() alone, in tests, only what went wrong.
const server = await createServer({ ...config, logLevel: config.logLevel ?? 'info' }).catch((err) => cannotStart(`open its store (${where})`, err));
await seedAtStart(server, config); // SWITCHYARD_SEED, before the first request can come
await server.app.listen({ port: config.port, host: config.host }).catch((err) => cannotStart(`listen on ${config.host} port ${config.port}`, err));
// Once serving, a failure nothing else caught is logged and the server goes on (why: docs/decisions.md);
// a failure to start still ends the process.
for (const event of ['uncaughtException', 'unhandledRejection'] as const)
  process.on(event, (err: unknown) => server.app.log.error({ err }, `${event}: logged, and the server goes on`));

const base = `http://localhost:${config.port}`;
const store = config.databaseUrl ? 'PostgreSQL' : `SQLite (${config.sqliteFile ?? 'data/switchyard.db'})`;
server.app.log.info({ port: config.port, host: config.host, store: config.databaseUrl ? 'postgres' : 'sqlite' }, 'listening');
// What follows is for the person who started the server, to read and copy (the development account's
// credentials): plain lines, as the README shows them, never in the structured log, which keeps no secret.
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

// SIGTERM (docker stop, Kubernetes, npm start's own, since npm start execs node) and SIGINT (Ctrl-C).
exitOnSignals(server, { graceMs: config.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS, log: server.app.log.child({ component: 'shutdown' }) });
