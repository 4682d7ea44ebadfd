import { Agent, request } from 'node:http';
import type { FuzzRequest } from './requests.ts';

/** What came back: the status (0: the connection closed with no answer), how long it took, the body's start. */
export interface Outcome {
  status: number;
  ms: number;
  body: string;
  json?: any;
}

/** Past this the answer is a finding; the request is still waited for, up to GIVE_UP_MS. */
export const SLOW_MS = 5_000;
const GIVE_UP_MS = 30_000;

/** Sends fuzz requests over kept-alive connections, as a client library would. */
export class Sender {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 16 });

  constructor(private readonly baseUrl: string) {}

  async send(req: FuzzRequest): Promise<Outcome> {
    try {
      return await this.once(req);
    } catch (err) {
      // A kept-alive connection the server had closed: the request never reached it. Once more, on a fresh one.
      if ((err as NodeJS.ErrnoException).code !== 'ECONNRESET') throw err;
      return this.once(req).catch((e: Error) => ({ status: 0, ms: 0, body: `connection closed: ${e.message}` }));
    }
  }

  private once(req: FuzzRequest): Promise<Outcome> {
    const started = performance.now();
    return new Promise((resolve, reject) => {
      let done = false;
      const finish = (o: Omit<Outcome, 'ms'>) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve({ ...o, ms: performance.now() - started });
      };
      const headers = { ...req.headers };
      if (req.body) headers['content-length'] = String(req.body.length);
      const r = request(this.baseUrl + req.path, { method: req.method, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < 4096) chunks.push(c);
          size += c.length;
        });
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8').slice(0, 4096);
          let json: any;
          if (size < 4096) {
            try {
              json = JSON.parse(body);
            } catch {
              /* not JSON */
            }
          }
          finish({ status: res.statusCode ?? 0, body, json });
        });
        res.on('error', () => finish({ status: 0, body: 'response aborted' }));
      });
      const timer = setTimeout(() => {
        r.destroy();
        finish({ status: 0, body: `no answer in ${GIVE_UP_MS} ms` });
      }, GIVE_UP_MS);
      r.on('error', (err: NodeJS.ErrnoException) => {
        if (done) return;
        if (err.code === 'ECONNRESET' && r.reusedSocket) {
          done = true;
          clearTimeout(timer);
          return reject(Object.assign(err, { reused: true }));
        }
        // The server closed the connection without answering (e.g. while a huge body was still being sent).
        finish({ status: 0, body: `connection closed: ${err.code ?? err.message}` });
      });
      if (req.body) r.end(req.body);
      else r.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** A plain call (seeding the world, the health check): the status and the JSON body (status 0: no answer). */
export function call(baseUrl: string, method: string, path: string, init: { body?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; body: any }> {
  return new Promise((resolve) => {
    const req = request(baseUrl + path, { method, headers: init.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: any = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          /* not JSON: keep the text */
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on('error', (err) => resolve({ status: 0, body: String(err) }));
    req.end(init.body);
  });
}
