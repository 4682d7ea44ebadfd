import http from 'node:http';
import Fastify from 'fastify';

/**
 * The ceiling: a bare HTTP endpoint that answers a form POST with a small JSON 201, and nothing
 * else. `node` is node:http alone (the ceiling every ratio is taken against); `fastify` is the
 * same endpoint on Fastify with a form parser, to show what the framework itself costs.
 */
export type BaselineKind = 'node' | 'fastify';

export interface Listening {
  port: number;
  close(): Promise<void>;
}

const answer = (sid: number) => JSON.stringify({ sid: `WT${String(sid).padStart(32, '0')}`, assignment_status: 'reserved' });

export async function startBaseline(kind: BaselineKind): Promise<Listening> {
  let n = 0;
  if (kind === 'node') {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        // Read the form like a real endpoint would, then answer.
        new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        const body = answer(++n);
        res.writeHead(201, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      });
    });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    return {
      port: typeof address === 'object' && address ? address.port : 0,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }
  const app = Fastify();
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, new URLSearchParams(body as string)));
  app.post('/bench/:id/Tasks', async (_req, reply) => reply.code(201).type('application/json').send(answer(++n)));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  return { port: typeof address === 'object' && address ? address.port : 0, close: () => app.close() };
}
