import { Pump } from '../core/pump.ts';
import { consoleLog, type Log } from '../ops/logger.ts';
import { workers } from '../taskrouter/model.ts';
import { chatView, type ChatRef } from './chats.ts';
import { isSupervisor, type SupervisorDeps } from './deps.ts';
import type { SupervisorSession } from './session.ts';
import type { EventStream } from './stream.ts';

interface Watcher {
  session: SupervisorSession;
  chat: ChatRef;
  stream: EventStream;
  pump: Pump;
  /** The index of the last message sent to the page. */
  lastIndex: number;
  /** The chat's state as last sent (JSON), so it is sent again only when it changed. */
  meta: string;
}

/**
 * Pushes one chat to a supervisor who opened it: its state (who is in it, whether it is over) and
 * each message as it is added. Woken by every Conversations change on this node and every routing
 * commit (a chat ends with its task), and every `pollMs` for other nodes' changes. Read from the
 * store on the server's side: the supervisor is in no conversation to watch one (monitoring is
 * invisible to the customer and the agent).
 */
export class ChatWatch {
  private readonly watchers = new Set<Watcher>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly deps: SupervisorDeps,
    private readonly options: { pollMs?: number; log?: Log } = {},
  ) {
    deps.conversations.onChange(() => this.wakeAll());
    deps.taskRouter.engine.bus.on('committed', () => this.wakeAll());
  }

  get size(): number {
    return this.watchers.size;
  }

  watch(session: SupervisorSession, chat: ChatRef, stream: EventStream): void {
    const w: Watcher = {
      session,
      chat,
      stream,
      lastIndex: -1,
      meta: '',
      pump: new Pump(() => this.push(w), {
        onError: (err) => (this.options.log ?? consoleLog).error({ err, taskSid: chat.task.sid }, 'pushing a monitored chat failed; trying again on the next change or poll'),
      }),
    };
    this.watchers.add(w);
    stream.onClosed(() => {
      this.watchers.delete(w);
      if (this.watchers.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = null;
      }
    });
    if (!this.timer) {
      this.timer = setInterval(() => this.wakeAll(), this.options.pollMs ?? 2000);
      this.timer.unref();
    }
    w.pump.wake();
  }

  close(): void {
    for (const w of [...this.watchers]) w.stream.end('closed', { reason: 'server closing' });
  }

  private wakeAll(): void {
    for (const w of this.watchers) w.pump.wake();
  }

  private async push(w: Watcher): Promise<void> {
    if (!w.stream.open) return;
    const s = w.session;
    if (this.deps.clock.now() >= s.expiresAt) return w.stream.end('closed', { reason: 'token expired' });
    const worker = await workers.get(this.deps.db, s.workerSid);
    if (!worker || !isSupervisor(worker)) return w.stream.end('closed', { reason: 'not a supervisor' });
    const view = await chatView(this.deps, { ...s, worker }, w.chat, w.lastIndex);
    const meta = JSON.stringify(view.meta);
    if (meta !== w.meta) {
      w.stream.sendRaw('chat', meta);
      w.meta = meta;
    }
    if (view.messages.length > 0) {
      w.stream.send('messages', view.messages);
      w.lastIndex = view.messages[view.messages.length - 1].index;
    }
  }
}
