/**
 * Sets or revokes an agent's sign-in for the agent desktop, straight in the store the server uses
 * (DATABASE_URL / DATABASE_SCHEMA, else SQLITE_FILE, as `npm start`):
 *
 *   npm run agent-credentials -- --workspace WS… --worker WK… --password '…' [--username alice]
 *   printf '%s' "$PASSWORD" | npm run agent-credentials -- --workspace WS… --worker WK… --password-stdin
 *   npm run agent-credentials -- --workspace WS… --worker WK… --revoke
 *
 * The same rules as POST /switchyard/v1/Workspaces/{WS}/Workers/{WK}/Credentials: the username
 * defaults to the worker's name and is unique in the account, the password has at least 8
 * characters and is stored only as a salted scrypt hash.
 */
import { parseArgs } from 'node:util';
import { AgentCredentials } from '../src/agent/credentials.ts';
import { configFromEnv } from '../src/config.ts';
import { systemClock } from '../src/core/clock.ts';
import { TwilioError } from '../src/core/errors.ts';
import { openDatabase } from '../src/store/open.ts';

const USAGE = 'usage: npm run agent-credentials -- --workspace WS… --worker WK… (--password P | --password-stdin | --revoke) [--username NAME]';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        workspace: { type: 'string' },
        worker: { type: 'string' },
        username: { type: 'string' },
        password: { type: 'string' },
        'password-stdin': { type: 'boolean' },
        revoke: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const modes = [args.password !== undefined, args['password-stdin'] === true, args.revoke === true].filter(Boolean).length;
  if (!args.workspace || !args.worker || modes !== 1) {
    console.error(USAGE);
    return 2;
  }
  const db = await openDatabase(configFromEnv());
  try {
    const owner = await db.get<{ account_sid: string }>('SELECT account_sid FROM workspaces WHERE sid = ?', [args.workspace]);
    if (!owner) throw new TwilioError(20404, 404, `No Workspace ${args.workspace} in this store`);
    const credentials = new AgentCredentials(db, systemClock);
    if (args.revoke) {
      await credentials.revoke(owner.account_sid, args.workspace, args.worker);
      console.log(`Revoked the credentials of Worker ${args.worker}`);
      return 0;
    }
    const password = args['password-stdin'] ? await readStdin() : args.password;
    const { row, created } = await credentials.set(owner.account_sid, args.workspace, args.worker, { username: args.username, password });
    console.log(`${created ? 'Set' : 'Replaced'} the credentials of Worker ${row.worker_sid}: sign in on /agent/ with AccountSid ${row.account_sid} and Username ${row.username}`);
    return 0;
  } catch (err) {
    if (!(err instanceof TwilioError)) throw err;
    console.error(`Error ${err.code}: ${err.message}`);
    return 1;
  } finally {
    await db.close();
  }
}

process.exitCode = await main();
