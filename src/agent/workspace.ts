import { notFound } from '../core/errors.ts';
import { isSid } from '../core/sid.ts';
import type { Executor } from '../store/database.ts';
import { workspaces } from '../taskrouter/model.ts';

/** The account's workspace, or 404 (another account's workspace does not exist here). */
export async function requireWorkspace(db: Executor, accountSid: string, workspaceSid: string): Promise<void> {
  const found = isSid(workspaceSid, 'WS') && (await workspaces.get(db, workspaceSid, ['account_sid = ?', accountSid]));
  if (!found) throw notFound(`/v1/Workspaces/${workspaceSid}`);
}

/** `text` as a LIKE pattern matching it anywhere, its own % and _ taken literally (ESCAPE '\'). */
export function containsPattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
