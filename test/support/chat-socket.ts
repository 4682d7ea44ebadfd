import WebSocket from 'ws';

/** What a test holds of a chat socket: every frame received after `ready`, and a way to wait for the next of a kind. */
export interface ChatSocket {
  ws: WebSocket;
  frames: any[];
  /** The earliest frame not taken yet of this type (or matching), as soon as it is there; fails after 5 s. */
  next(match: string | ((frame: any) => boolean)): Promise<any>;
}

/** Opens the chat WebSocket (`/conversations/v1/Gateway/Chat`) with a token; resolves on `ready`, rejects on a refused upgrade. */
export function openChatSocket(baseUrl: string, token: string, waitMs = 5000): Promise<ChatSocket> {
  const ws = new WebSocket(`${baseUrl.replace('http', 'ws')}/conversations/v1/Gateway/Chat?token=${encodeURIComponent(token)}`);
  const frames: any[] = [];
  const taken = new Set<number>();
  const waiting: { match: (f: any) => boolean; resolve: (f: any) => void }[] = [];
  const matcher = (m: string | ((f: any) => boolean)) => (typeof m === 'string' ? (f: any) => f.type === m : m);
  const socket: ChatSocket = {
    ws,
    frames,
    next(m) {
      const match = matcher(m);
      const i = frames.findIndex((f, k) => !taken.has(k) && match(f));
      if (i >= 0) {
        taken.add(i);
        return Promise.resolve(frames[i]);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no such chat frame within ${waitMs} ms`)), waitMs);
        waiting.push({ match, resolve: (f) => (clearTimeout(timer), resolve(f)) });
      });
    },
  };
  return new Promise((resolve, reject) => {
    ws.on('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.on('error', reject);
    ws.on('message', (data) => {
      const f = JSON.parse(data.toString());
      if (f.type === 'ready') return resolve(socket);
      frames.push(f);
      const w = waiting.findIndex((x) => x.match(f));
      if (w >= 0) {
        taken.add(frames.length - 1);
        waiting.splice(w, 1)[0].resolve(f);
      }
    });
  });
}
