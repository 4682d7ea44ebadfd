import type { FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { TwilioError, internal, invalidParameter, notFound } from '../core/errors.ts';
import { refuseUpgrade } from './websocket-limits.ts';

export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void | Promise<void>;

const routers = new WeakMap<FastifyInstance, Map<string, UpgradeHandler>>();

/**
 * WebSocket upgrades by path, on the app's one HTTP server: Node hands every upgrade to every
 * 'upgrade' listener, so there is a single listener that gives each path to its endpoint (the
 * Conversations SDK's twilsock, the event bridge) and answers 404 to any other. It is also the one guard of those
 * endpoints: a request target that is no URL is a 400, and a handler that throws or rejects is
 * logged and answered 500, never left to end the process.
 */
export function routeUpgrade(app: FastifyInstance, path: string, handler: UpgradeHandler): void {
  let routes = routers.get(app);
  if (!routes) {
    const table = new Map<string, UpgradeHandler>();
    routes = table;
    routers.set(app, table);
    app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      // Node stops listening for the socket's errors once it hands it over: a reset would be uncaught.
      socket.on('error', () => socket.destroy());
      let pathname: string;
      try {
        pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
      } catch {
        return refuse(socket, invalidParameter('Invalid request: the request target is not a valid URL'));
      }
      const h = table.get(pathname.replace(/\/$/, ''));
      if (!h) return refuse(socket, notFound(pathname));
      const failed = (err: unknown) => {
        app.log.error({ err, path: pathname }, 'WebSocket upgrade failed'); // not the query: it may hold a token
        refuse(socket, internal());
      };
      try {
        Promise.resolve(h(req, socket, head)).catch(failed);
      } catch (err) {
        failed(err);
      }
    });
  }
  routes.set(path, handler);
}

/** Twilio's error body on a socket nothing has been written to yet; a socket already answered is only closed. */
function refuse(socket: Duplex, err: TwilioError): void {
  if (socket.destroyed) return;
  if (!socket.writable || (socket as Partial<Socket>).bytesWritten) socket.destroy();
  else refuseUpgrade(socket, err);
}
