import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/**
 * Takes one path of the HTTP server's WebSocket upgrades. Node hands every upgrade to every
 * 'upgrade' listener, and the listeners already there (the chat gateway) answer 404 to paths
 * that are not theirs; so this puts one listener in their place that gives our path to `handler`
 * and every other path to them, unchanged.
 */
export function claimUpgradePath(server: HttpServer, path: string, handler: UpgradeListener): void {
  const others = server.listeners('upgrade') as UpgradeListener[];
  server.removeAllListeners('upgrade');
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/\/$/, '');
    if (pathname === path) return handler(req, socket, head);
    if (others.length === 0) socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
    for (const l of others) l.call(server, req, socket, head);
  });
}
