import type { ServerConfig } from './server.ts';

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
    account:
      TWILIO_ACCOUNT_SID && TWILIO_AUTH_TOKEN
        ? { accountSid: TWILIO_ACCOUNT_SID, authToken: TWILIO_AUTH_TOKEN, apiKey: TWILIO_API_KEY, apiSecret: TWILIO_API_SECRET }
        : undefined,
  };
}
