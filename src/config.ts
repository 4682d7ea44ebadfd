import type { OrphanPolicy } from './flex/service/deps.ts';
import type { ServerConfig } from './server.ts';

const ORPHAN_POLICIES: OrphanPolicy[] = ['close', 'inactive', 'keep'];

/** SWITCHYARD_ORPHAN_POLICY: a wrong value stops the server at start rather than being ignored. */
function orphanPolicy(value: string | undefined): OrphanPolicy | undefined {
  if (!value) return undefined;
  if (!(ORPHAN_POLICIES as string[]).includes(value)) throw new Error(`SWITCHYARD_ORPHAN_POLICY must be one of ${ORPHAN_POLICIES.join(', ')}; got '${value}'`);
  return value as OrphanPolicy;
}

/** The server's configuration, read from the environment once at start. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ServerConfig & { port: number; host: string } {
  const { TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_API_KEY, TWILIO_API_SECRET } = env;
  return {
    port: Number(env.PORT ?? 3000),
    host: env.HOST ?? '0.0.0.0',
    databaseUrl: env.DATABASE_URL || undefined,
    sqliteFile: env.SQLITE_FILE || undefined,
    schema: env.DATABASE_SCHEMA || undefined,
    clockControl: env.SWITCHYARD_CLOCK_CONTROL === '1' || env.SWITCHYARD_CLOCK_CONTROL === 'true',
    orphans: orphanPolicy(env.SWITCHYARD_ORPHAN_POLICY),
    account:
      TWILIO_ACCOUNT_SID && TWILIO_AUTH_TOKEN
        ? { accountSid: TWILIO_ACCOUNT_SID, authToken: TWILIO_AUTH_TOKEN, apiKey: TWILIO_API_KEY, apiSecret: TWILIO_API_SECRET }
        : undefined,
  };
}
