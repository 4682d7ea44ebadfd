import type { FastifyInstance } from 'fastify';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { vendorBundle } from './vendor.ts';

/** The browser pages (agent desktop, customer web chat, supervisor view): plain files, no build step. */
const PUBLIC = resolve(fileURLToPath(new URL('../../public', import.meta.url)));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.png': 'image/png',
};

/**
 * GET / (public/index.html), /agent/, /webchat/, /supervisor/ (and their files), /vendor/<bundle> (the official SDKs, vendor.ts). Paths are resolved
 * inside public/ and never outside it; unknown files go to the app's not-found handler.
 */
export function servePages(app: FastifyInstance): void {
  const send = async (file: string, reply: import('fastify').FastifyReply) => {
    try {
      const body = await readFile(file);
      return reply.type(TYPES[extname(file)] ?? 'application/octet-stream').header('cache-control', 'no-cache').send(body);
    } catch {
      // The app's not-found handler: Twilio's 404 body, or a 405 where another method has a route (GET /webchat/v1/Sessions).
      return reply.callNotFound();
    }
  };
  // `/`: a page linking the pages, health, metrics and where the docs are, for whoever opens the server's address
  // in a browser (rather than a 404 in JSON). Public like the other pages: it holds nothing of any account.
  app.get('/', (_req, reply) => send(join(PUBLIC, 'index.html'), reply));
  for (const page of ['agent', 'webchat', 'supervisor', 'shared']) {
    // With ignoreTrailingSlash, /page/ lands here too: serve its index (a redirect would loop), and keep the query (?widget=...).
    app.get(`/${page}`, (req, reply) => {
      const [path, query] = req.url.split('?');
      if (path.endsWith('/')) return send(join(PUBLIC, page, 'index.html'), reply);
      return reply.redirect(`/${page}/${query === undefined ? '' : `?${query}`}`);
    });
    app.get(`/${page}/*`, (req, reply) => {
      const rest = (req.params as { '*': string })['*'] || 'index.html';
      const file = normalize(join(PUBLIC, page, rest));
      if (!file.startsWith(join(PUBLIC, page) + sep)) return send('', reply);
      return send(file, reply);
    });
  }
  app.get('/vendor/:name', async (req, reply) => send((await vendorBundle((req.params as { name: string }).name)) ?? '', reply));
}
