import { randomUUID } from 'node:crypto';
import type { Clock } from '../../../core/clock.ts';
import type { Database, Executor } from '../../../store/database.ts';
import { lockWriter, insertEvents } from './store.ts';
import { userInfoEvents } from './append.ts';

/** How long a node's word that an identity is connected lasts unless renewed (a node that dies stops renewing). */
export const PRESENCE_TTL_MS = 60_000;

export async function isOnline(db: Executor, serviceSid: string, identity: string, now: number): Promise<boolean> {
  return (await db.get('SELECT 1 AS one FROM sdk_presence WHERE chat_service_sid = ? AND identity = ? AND expires_at > ?', [serviceSid, identity, now])) !== undefined;
}

interface Who {
  accountSid: string;
  serviceSid: string;
  identity: string;
}

/**
 * Users' online state (the user info map's reachability item): an identity is online while some
 * node has an SDK connection of it. Each node keeps rows for its own identities and renews them;
 * rows of a node that stopped renewing run out, and whoever sweeps them tells the users' maps.
 * Changes are written under the Sync writers' lock, so two nodes never both miss or both announce one.
 */
export class Presence {
  readonly node = randomUUID();
  private readonly here = new Map<string, Who & { sockets: number }>();

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly changed: () => void,
  ) {}

  async connected(who: Who): Promise<void> {
    const key = `${who.serviceSid}|${who.identity}`;
    const known = this.here.get(key);
    if (known) {
      known.sockets++;
      return;
    }
    this.here.set(key, { ...who, sockets: 1 });
    await this.change(who, (tx, now) =>
      tx.run(
        'INSERT INTO sdk_presence (node, chat_service_sid, identity, account_sid, expires_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (node, chat_service_sid, identity) DO UPDATE SET expires_at = excluded.expires_at',
        [this.node, who.serviceSid, who.identity, who.accountSid, now + PRESENCE_TTL_MS],
      ),
    );
  }

  async disconnected(who: Who): Promise<void> {
    const key = `${who.serviceSid}|${who.identity}`;
    const known = this.here.get(key);
    if (!known || --known.sockets > 0) return;
    this.here.delete(key);
    await this.change(who, (tx) => tx.run('DELETE FROM sdk_presence WHERE node = ? AND chat_service_sid = ? AND identity = ?', [this.node, who.serviceSid, who.identity]));
  }

  /** Renews this node's rows and sweeps those that ran out (a node gone without saying so). */
  async renew(): Promise<void> {
    const now = this.clock.now();
    await this.db.run('UPDATE sdk_presence SET expires_at = ? WHERE node = ?', [now + PRESENCE_TTL_MS, this.node]);
    const stale = await this.db.all<{ chat_service_sid: string; identity: string; account_sid: string }>(
      'SELECT DISTINCT chat_service_sid, identity, account_sid FROM sdk_presence WHERE expires_at <= ?',
      [now],
    );
    for (const s of stale)
      await this.change({ accountSid: s.account_sid, serviceSid: s.chat_service_sid, identity: s.identity }, (tx, at) =>
        tx.run('DELETE FROM sdk_presence WHERE chat_service_sid = ? AND identity = ? AND expires_at <= ?', [s.chat_service_sid, s.identity, at]),
      );
  }

  /** Applies a change to the presence rows and, if the identity's online state flipped, tells its user info map. */
  private async change(who: Who, apply: (tx: Executor, now: number) => Promise<unknown>): Promise<void> {
    const flipped = await this.db.transaction(async (tx) => {
      await lockWriter(this.db, tx);
      const now = this.clock.now();
      const before = await isOnline(tx, who.serviceSid, who.identity, now);
      await apply(tx, now);
      const after = await isOnline(tx, who.serviceSid, who.identity, now);
      if (before === after) return false;
      const user = await tx.get<{ friendly_name: string | null; attributes: string }>(
        'SELECT friendly_name, attributes FROM conversation_users WHERE chat_service_sid = ? AND identity = ?',
        [who.serviceSid, who.identity],
      );
      await insertEvents(tx, now, userInfoEvents(who.accountSid, who.serviceSid, who.identity, user ?? null, after, ['reachability'], now));
      return true;
    });
    if (flipped) this.changed();
  }

  /** This node stops: its identities go offline now rather than when their rows run out. */
  async close(): Promise<void> {
    for (const who of [...this.here.values()]) {
      who.sockets = 1;
      await this.disconnected(who).catch(() => undefined);
    }
  }
}
