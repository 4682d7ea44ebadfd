import type { Log } from './logger.ts';

/** How long a SIGTERM waits for requests in flight and deliveries under way, unless configured: under `docker stop`'s 10 s. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 8000;

/**
 * Waits for `work` until `deadline` (epoch ms; null: no limit). Past it, `onTimeout` runs (it
 * should make `work` end, e.g. by cutting connections) and `work` is awaited all the same. True
 * when it finished in time.
 */
export async function within(work: Promise<unknown>, deadline: number | null, onTimeout: () => void = () => undefined): Promise<boolean> {
  if (deadline === null) {
    await work;
    return true;
  }
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), Math.max(0, deadline - Date.now()));
  });
  const outcome = await Promise.race([work.then(() => 'done' as const), late]).finally(() => clearTimeout(timer));
  if (outcome === 'done') return true;
  onTimeout();
  await work;
  return false;
}

interface Closable {
  close(options: { graceMs?: number }): Promise<void>;
}

/**
 * SIGTERM and SIGINT close the server gracefully (Server.close with the grace period), then the
 * process exits 0; 1 if closing failed. A second signal while closing exits at once (1): whoever
 * sends it has stopped waiting.
 */
export function exitOnSignals(server: Closable, options: { graceMs: number; log: Log }): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) {
      options.log.warn({ signal }, 'second signal while shutting down: exiting now');
      process.exit(1);
    }
    closing = true;
    const started = Date.now();
    options.log.info({ signal, graceMs: options.graceMs }, 'shutting down: no new connections; finishing requests in flight');
    server.close({ graceMs: options.graceMs }).then(
      () => {
        options.log.info({ ms: Date.now() - started }, 'stopped');
        process.exit(0);
      },
      (err: unknown) => {
        options.log.error({ err }, 'shutting down failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
