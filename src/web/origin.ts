import type { FastifyRequest } from 'fastify';

/**
 * This server as the caller reached it (X-Forwarded-Proto honoured, for a TLS proxy in front):
 * where a page is told to open its sockets and send its requests.
 */
export function requestOrigin(req: FastifyRequest): { http: string; ws: string } {
  const forwarded = req.headers['x-forwarded-proto'];
  const scheme = (typeof forwarded === 'string' ? forwarded.split(',')[0].trim() : '') || req.protocol;
  const host = req.headers.host ?? 'localhost';
  return { http: `${scheme}://${host}`, ws: `${scheme === 'https' ? 'wss' : 'ws'}://${host}` };
}
