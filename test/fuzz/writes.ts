import type { Database } from '../../src/store/database.ts';

/**
 * Every row written to the store, noted by triggers into `fuzz_writes` (test instrumentation on
 * the test's own store: its own SQLite file, or its own PostgreSQL schema, so test files running
 * beside it never meet it). A rolled-back transaction takes its notes with it, and an UPDATE that
 * changes nothing is not noted, so "no new note" means exactly "the store is as it was". Reading
 * the mark is one indexed lookup, cheap enough to take after every refused request.
 */
export class WriteLog {
  private constructor(private readonly db: Database) {}

  static async install(db: Database): Promise<WriteLog> {
    if (db.dialect === 'sqlite') await installSqlite(db);
    else await installPostgres(db);
    return new WriteLog(db);
  }

  /** The latest note: unchanged if and only if nothing was written since it was read. */
  async mark(): Promise<number> {
    const row = await this.db.get<{ id: number | string | null }>('SELECT MAX(id) AS id FROM fuzz_writes');
    return Number(row?.id ?? 0);
  }

  /** What was written after a mark: "table OP × n", for the report. */
  async since(mark: number): Promise<string[]> {
    const rows = await this.db.all<{ tbl: string; op: string; n: number | string }>(
      'SELECT tbl, op, COUNT(*) AS n FROM fuzz_writes WHERE id > ? GROUP BY tbl, op ORDER BY tbl, op',
      [mark],
    );
    return rows.map((r) => `${r.tbl} ${r.op} × ${Number(r.n)}`);
  }
}

async function installSqlite(db: Database): Promise<void> {
  const tables = await db.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
  await db.run('CREATE TABLE fuzz_writes (id INTEGER PRIMARY KEY AUTOINCREMENT, tbl TEXT NOT NULL, op TEXT NOT NULL)');
  for (const { name } of tables) {
    const columns = await db.all<{ name: string }>(`SELECT name FROM pragma_table_info('${name}')`);
    const changed = columns.map((c) => `OLD."${c.name}" IS NOT NEW."${c.name}"`).join(' OR ');
    const note = (op: string) => `INSERT INTO fuzz_writes (tbl, op) VALUES ('${name}', '${op}')`;
    await db.run(`CREATE TRIGGER "fuzz_${name}_i" AFTER INSERT ON "${name}" BEGIN ${note('INSERT')}; END`);
    await db.run(`CREATE TRIGGER "fuzz_${name}_d" AFTER DELETE ON "${name}" BEGIN ${note('DELETE')}; END`);
    await db.run(`CREATE TRIGGER "fuzz_${name}_u" AFTER UPDATE ON "${name}" WHEN ${changed} BEGIN ${note('UPDATE')}; END`);
  }
}

async function installPostgres(db: Database): Promise<void> {
  const schema = (await db.get<{ s: string }>('SELECT current_schema() AS s'))!.s;
  const tables = await db.all<{ name: string }>(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
  );
  await db.run(`CREATE TABLE "${schema}".fuzz_writes (id BIGSERIAL PRIMARY KEY, tbl TEXT NOT NULL, op TEXT NOT NULL)`);
  await db.run(
    `CREATE FUNCTION "${schema}".fuzz_note() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN INSERT INTO "${schema}".fuzz_writes (tbl, op) VALUES (TG_TABLE_NAME, TG_OP); RETURN NULL; END $$`,
  );
  for (const { name } of tables) {
    const on = `"${schema}"."${name}"`;
    await db.run(`CREATE TRIGGER fuzz_note AFTER INSERT OR DELETE ON ${on} FOR EACH ROW EXECUTE FUNCTION "${schema}".fuzz_note()`);
    await db.run(
      `CREATE TRIGGER fuzz_note_u AFTER UPDATE ON ${on} FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION "${schema}".fuzz_note()`,
    );
  }
}
