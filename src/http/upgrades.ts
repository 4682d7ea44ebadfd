import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

const routers = new WeakMap<HttpServer, Map<string, UpgradeHandler>>();

/**
 * WebSocket upgrades by path, on the one HTTP server: Node hands every upgrade to every
 * 'upgrade' listener, so there is a single listener that gives each path to its endpoint (the
 * chat gateway, the event bridge) and answers 404 to any other.
 */
export function routeUpgrade(server: HttpServer, path: string, handler: UpgradeHandler): void {
  let routes = routers.get(server);
  if (!routes) {
    const table = new Map<string, UpgradeHandler>();
    routes = table;
    routers.set(server, table);
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const pathname = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/\/$/, '');
      const h = table.get(pathname);
      if (h) return h(req, socket, head);
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
    });
  }
  routes.set(path, handler);
}
