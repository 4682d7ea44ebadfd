import { readFileSync } from 'node:fs';
import { TwilioError } from '../../core/errors.ts';
import type { Credentials } from '../../accounts/accounts.ts';
import type { Server } from '../../server.ts';
import { parseSeedText, type SeedDocument } from './document.ts';

/**
 * SWITCHYARD_SEED, read and checked with the rest of the configuration: each problem of the file is one line (the
 * variable, the file, where in it, what is wrong), so a bad seed stops the start before anything opens.
 */
export function seedFile(file: string | undefined, problem: (line: string) => void): { file: string; document: SeedDocument } | undefined {
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'there is no such file' : e.code === 'EISDIR' ? 'it is a directory' : `${e.code ?? e.message}`;
    problem(`SWITCHYARD_SEED must be a readable JSON file (a seed, see README "Use it in CI"); got '${file}': ${why}`);
    return undefined;
  }
  const parsed = parseSeedText(text);
  for (const line of parsed.problems) problem(`SWITCHYARD_SEED (${file}): ${line}`);
  return parsed.document ? { file, document: parsed.document } : undefined;
}

/** The lines of a seed's answer that tell what it did to the clock (seed/apply.ts, applyClock). */
const CLOCK_CHANGE = /^(enabled|froze|set|let) the clock/;

/**
 * Applies the start seed to the configured account (TWILIO_ACCOUNT_SID), else the development account, before the
 * server listens: its first request already finds the seeded state. A seed the store refuses (a name taken by
 * something else, a conflict with what is there) is one line on stderr and exit status 2, as a configuration problem.
 */
export async function seedAtStart(server: Server, config: { seed?: { file: string; document: SeedDocument }; account?: Credentials }): Promise<void> {
  if (!config.seed) return;
  const accountSid = config.account?.accountSid ?? (await server.accounts.developmentAccount()).accountSid;
  try {
    const result = await server.twin.seed(accountSid, config.seed.document);
    // The clock is this process's, not the store's: a restart starts it again, so its changes are told apart.
    const n = result.changes.filter((c) => !CLOCK_CHANGE.test(c)).length;
    console.log(`Seed ${config.seed.file} applied to ${accountSid}: ${n === 0 ? 'nothing to change' : `${n} change${n === 1 ? '' : 's'}`}`);
    for (const [name, ws] of Object.entries(result.workspaces)) console.log(`  Workspace '${name}' ${ws.sid}`);
    const c = result.clock;
    if (config.seed.document.clock) console.log(`  Clock ${c.now}${c.frozen ? ', frozen' : ''}${c.control ? '; clock API on' : ''}`);
  } catch (err) {
    if (!(err instanceof TwilioError)) throw err;
    console.error(`SWITCHYARD_SEED (${config.seed.file}): ${err.message}`);
    await server.close();
    process.exit(2);
  }
}
