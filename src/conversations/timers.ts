import type { Clock } from '../core/clock.ts';
import type { Database } from '../store/database.ts';
import { conversations } from './model.ts';
import { lockConversation, type Cause } from './service/deps.ts';
import { changeState } from './service/lifecycle.ts';

interface DueTimer {
  kind: 'inactive' | 'closed';
  conversation_sid: string;
  due_at: number;
}

const TIMER: Cause = { source: 'timer', webhooksEnabled: true };

/**
 * Fires conversation state timers (rows in conversation_timers). A node claims a due timer by
 * deleting its row inside the transaction that acts on it, so each fires once however many
 * nodes poll. Tests call `tick()` after moving the clock; servers run it on their own (`start()`).
 */
export class ConversationTimers {
  private interval: NodeJS.Timeout | null = null;
  private ticking: Promise<number> | null = null;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly changed: () => void,
  ) {}

  /** Fires every timer due at the clock's current time. Returns how many fired. */
  tick(): Promise<number> {
    this.ticking ??= this.runDue().finally(() => {
      this.ticking = null;
    });
    return this.ticking;
  }

  private async runDue(): Promise<number> {
    let fired = 0;
    for (;;) {
      const now = this.clock.now();
      const due = await this.db.all<DueTimer>(
        'SELECT kind, conversation_sid, due_at FROM conversation_timers WHERE due_at <= ? ORDER BY due_at, kind DESC LIMIT 100',
        [now],
      );
      if (due.length === 0) break;
      let claimed = 0;
      for (const t of due) if (await this.fire(t)) claimed++;
      fired += claimed;
      if (claimed === 0) break;
    }
    if (fired > 0) this.changed();
    return fired;
  }

  private fire(t: DueTimer): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      await lockConversation(this.db, tx, t.conversation_sid);
      const claimed = await tx.run('DELETE FROM conversation_timers WHERE kind = ? AND conversation_sid = ? AND due_at = ?', [
        t.kind,
        t.conversation_sid,
        Number(t.due_at),
      ]);
      if (claimed === 0) return false;
      const c = await conversations.get(tx, t.conversation_sid);
      if (!c) return true;
      const now = this.clock.now();
      if (t.kind === 'inactive' && c.state === 'active') await changeState(tx, c, 'inactive', now, 'timer', TIMER);
      if (t.kind === 'closed' && c.state !== 'closed') await changeState(tx, c, 'closed', now, 'timer', TIMER);
      return true;
    });
  }

  /** Polls once a second (timers set by other nodes fire too). */
  start(): void {
    if (this.interval) return;
    this.interval = setInterval(() => {
      this.tick().catch(() => undefined);
    }, 1000);
    this.interval.unref();
  }

  stop(): void {
    if (this.interval) clearInterval(this.interval);
    this.interval = null;
  }
}
