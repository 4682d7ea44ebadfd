import { readFileSync } from 'node:fs';
import type { Database } from '../../src/store/database.ts';
import type { TestServer } from '../support/server.ts';

/** The seed the twin tests (and the README's example) use. */
export const SEED_FILE = new URL('../fixtures/twin-seed.json', import.meta.url).pathname;
export const seedDocument = () => JSON.parse(readFileSync(SEED_FILE, 'utf8'));

export const basic = (sid: string, secret: string) => 'Basic ' + Buffer.from(`${sid}:${secret}`).toString('base64');

/** POST /switchyard/v1/Seed with a JSON document, as the test account unless `auth` says who. */
export function postSeed(t: TestServer, doc: unknown, auth?: string) {
  return t.http('POST', '/switchyard/v1/Seed', { body: JSON.stringify(doc), headers: { 'content-type': 'application/json' }, auth });
}

/** Every table of the store with its columns, read from the store itself: a table added later is covered too. */
export async function tables(db: Database): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  const rows =
    db.dialect === 'sqlite'
      ? await db.all<{ t: string; c: string }>("SELECT m.name AS t, p.name AS c FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'")
      : await db.all<{ t: string; c: string }>('SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = current_schema()');
  for (const r of rows) out.set(r.t, [...(out.get(r.t) ?? []), r.c]);
  return out;
}

const sorted = (rows: unknown[]) => rows.map((r) => JSON.stringify(r, Object.keys(r as object).sort())).sort();

/** All rows of every table, each table's rows sorted: two dumps are equal only if nothing at all was written. */
export async function dumpAll(db: Database): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const t of [...(await tables(db)).keys()].sort()) out[t] = sorted(await db.all(`SELECT * FROM ${t}`));
  return out;
}

/** Rows held by children that carry neither an account nor a workspace column: found through their parent. */
const CHILDREN: Record<string, [string, string]> = {
  workflow_queues: ['workflow_sid', 'workflows'],
  workflow_revisions: ['workflow_sid', 'workflows'],
  queue_members: ['queue_sid', 'task_queues'],
  webchat_widget_origins: ['widget_sid', 'webchat_widgets'],
};

/** Every row that belongs to an account: its own columns, its workspaces', its children's. */
export async function accountRows(db: Database, accountSid: string): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const [t, cols] of await tables(db)) {
    let where: string | undefined;
    if (t === 'accounts') where = 'sid = ?';
    else if (cols.includes('account_sid')) where = 'account_sid = ?';
    else if (cols.includes('workspace_sid')) where = 'workspace_sid IN (SELECT sid FROM workspaces WHERE account_sid = ?)';
    else if (CHILDREN[t]) where = `${CHILDREN[t][0]} IN (SELECT sid FROM ${CHILDREN[t][1]} WHERE account_sid = ?)`;
    if (where) out[t] = sorted(await db.all(`SELECT * FROM ${t} WHERE ${where}`, [accountSid]));
  }
  return out;
}

/** Every row that belongs to a workspace (and, given, to the conversations and interactions routed in it). */
export async function workspaceRows(db: Database, wsSid: string, extra: { conversations?: string[]; interactions?: string[] } = {}): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  const list = (sids: string[] = []) => (sids.length ? sids.map((s) => `'${s}'`).join(',') : "''");
  for (const [t, cols] of await tables(db)) {
    const where: string[] = [];
    if (cols.includes('workspace_sid')) where.push(`workspace_sid = '${wsSid}'`);
    else if (CHILDREN[t]) where.push(`${CHILDREN[t][0]} IN (SELECT sid FROM ${CHILDREN[t][1]} WHERE workspace_sid = '${wsSid}')`);
    if (cols.includes('conversation_sid')) where.push(`conversation_sid IN (${list(extra.conversations)})`);
    if (t === 'conversations') where.push(`sid IN (${list(extra.conversations)})`);
    if (cols.includes('interaction_sid')) where.push(`interaction_sid IN (${list(extra.interactions)})`);
    if (t === 'interactions') where.push(`sid IN (${list(extra.interactions)})`);
    if (where.length) out[t] = sorted(await db.all(`SELECT * FROM ${t} WHERE ${where.join(' OR ')}`));
  }
  return out;
}

export async function count(db: Database, sql: string, params: (string | number)[] = []): Promise<number> {
  return Number((await db.get<{ n: number | string }>(sql, params))?.n ?? 0);
}
