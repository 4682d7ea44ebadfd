import type { WebSocket } from 'ws';
import type { WorkerSession } from './session.ts';

/** One open socket of the official SDK: whose it is and what it asked for when it connected. */
export interface Connection {
  ws: WebSocket;
  session: WorkerSession;
  /** setWorkerOfflineIfDisconnected (true unless the SDK says false): when the worker's last socket closes, it goes offline. */
  offlineIfDisconnected: boolean;
  /** Which token opened it (its signature): closeExistingSessions tells sessions apart by their token. */
  tokenId: string;
  /** Closed by a newer session (closeExistingSessions): not a disconnection. */
  replaced?: boolean;
  /** Order of opening on this node: a socket opened after another closed may be that one reconnecting. */
  opened: number;
  /** The workspace's last event when it opened: a stream starts at its connection, so nothing older is pushed to it. */
  since: number;
  heartbeat: NodeJS.Timeout;
}

/** The sockets open on this node, by worker: pushes go to every socket of the worker concerned. */
export class Connections {
  private readonly byWorker = new Map<string, Set<Connection>>();

  add(c: Connection): void {
    let set = this.byWorker.get(c.session.workerSid);
    if (!set) this.byWorker.set(c.session.workerSid, (set = new Set()));
    set.add(c);
  }

  /** Removes a socket; true when it was the worker's last one on this node. */
  remove(c: Connection): boolean {
    const set = this.byWorker.get(c.session.workerSid);
    if (!set?.delete(c)) return false;
    if (set.size > 0) return false;
    this.byWorker.delete(c.session.workerSid);
    return true;
  }

  of(workerSid: string): Connection[] {
    return [...(this.byWorker.get(workerSid) ?? [])];
  }

  has(workerSid: string): boolean {
    return this.byWorker.has(workerSid);
  }

  /** Workspaces with at least one connected worker: the only ones whose events are read. */
  workspaces(): Set<string> {
    const out = new Set<string>();
    for (const set of this.byWorker.values()) for (const c of set) out.add(c.session.workspaceSid);
    return out;
  }

  all(): Connection[] {
    return [...this.byWorker.values()].flatMap((s) => [...s]);
  }

  /** Sends an event's frame to every open socket of a worker that opened before the event. */
  send(workerSid: string, frame: string, seq: number): void {
    for (const c of this.of(workerSid)) if (c.since < seq && c.ws.readyState === c.ws.OPEN) c.ws.send(frame);
  }
}
