import type { AddressInfo } from 'node:net';
import type { Credentials } from './accounts/accounts.ts';
import { createServer as createCoreServer, type Server, type ServerConfig } from './server.ts';

/** The package's `createServer`: a server inside the caller's process, for their own tests. */
export interface EmbeddedServerOptions extends ServerConfig {
  /**
   * Listen on this port (0: any free one), and give the address as `url`. Without it the server does not listen
   * (call `server.app.listen()` yourself, or use `server.app.inject()`).
   */
  port?: number;
  /** Where to listen (default 127.0.0.1: a test server is not for the network). */
  host?: string;
}

export interface EmbeddedServer extends Server {
  /** `http://127.0.0.1:PORT` once listening (`port` given), else undefined. */
  url: string | undefined;
  /** The account to call it with: `options.account`, else the store's development account (created on first use). */
  account: Credentials;
  /**
   * Moves the clock forward by `ms` and fires, before resolving, everything that fell due (reservation and target
   * timeouts, TTLs, Conversations' inactive/closed timers), as `POST /switchyard/v1/Clock` does. Resolves with how many
   * timers fired. Needs a clock that moves: `clock: new ManualClock()` or `clockControl: true`.
   */
  advance(ms: number): Promise<number>;
}

/**
 * Differs from the server behind `npm start` in its defaults, which suit a test run: the store is an SQLite database
 * in memory (gone on `close()`) unless `databaseUrl` or `sqliteFile` names one, and it listens on 127.0.0.1.
 */
export async function createServer(options: EmbeddedServerOptions = {}): Promise<EmbeddedServer> {
  const { port, host = '127.0.0.1', ...config } = options;
  if (!config.databaseUrl && !config.sqliteFile) config.sqliteFile = ':memory:';
  const server = await createCoreServer(config);
  try {
    const account = config.account ?? (await server.accounts.developmentAccount());
    let url: string | undefined;
    if (port !== undefined) {
      await server.app.listen({ port, host });
      url = urlOf(server.app.server.address() as AddressInfo);
    }
    return Object.assign(server, {
      url,
      account,
      async advance(ms: number) {
        if (!server.clock.advance) throw new TypeError('advance() needs a clock that moves: pass clock: new ManualClock() or clockControl: true');
        server.clock.advance(ms);
        return (await server.taskRouter.engine.tick()) + (await server.conversations.tick());
      },
    });
  } catch (err) {
    // Nothing half-started is left behind (timers, the store) when listening fails, e.g. the port is taken.
    await server.close();
    throw err;
  }
}

/** The URL a client on this machine reaches the listener at: a wildcard address is reached through loopback. */
function urlOf(address: AddressInfo): string {
  const wildcard = address.address === '0.0.0.0' || address.address === '::';
  const ip = wildcard ? '127.0.0.1' : address.address;
  return `http://${address.family === 'IPv6' && !wildcard ? `[${ip}]` : ip}:${address.port}`;
}
