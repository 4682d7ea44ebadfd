import { randomBytes } from 'node:crypto';
import type { StoreConfig } from '../src/store/open.ts';
import { newAgent } from './load.ts';
import type { Bench } from './measure.ts';
import type { Backend } from './options.ts';
import { inProcessServer, spawnServer, type RunningServer } from './servers.ts';
import { basicAuth, type Api, type SetupOptions } from './setup.ts';
import { freshStore, readStore, type StoreReader } from './stores.ts';
import type { TargetConfig } from './target.ts';

/** Switchyard on a fresh store, one or several server processes on it, and the API to set it up. */

/** The account every bench server makes exist (fresh credentials per run). */
export const account = { accountSid: `AC${randomBytes(16).toString('hex')}`, authToken: randomBytes(16).toString('hex') };
export const auth = basicAuth(account.accountSid, account.authToken);

export interface Switchyard {
  servers: RunningServer[];
  store: StoreConfig;
  /** Setup calls go to the first server. */
  api: Api;
  setup(label: string): SetupOptions;
  /** Read access to the store, for the bench's own counts and checks (closed by done()). */
  reader(): StoreReader;
  done(): Promise<void>;
}

export async function startSwitchyard(bench: Bench, backend: Backend, how: { inProcess?: boolean; nodes?: number } = {}): Promise<Switchyard> {
  const { store, dispose } = await freshStore(backend);
  const servers: RunningServer[] = [];
  let reader: StoreReader | null = null;
  // Once, however many call it (the run's end and an interrupt may both): each caller waits for the same end.
  let cleaning: Promise<void> | null = null;
  const cleanup = () =>
    (cleaning ??= (async () => {
      api?.agent.destroy();
      await reader?.close().catch(() => undefined);
      for (const s of servers) await s.stop().catch(() => undefined);
      await dispose();
    })());
  bench.cleanups.push(cleanup);
  let api: Api | undefined;
  try {
    const config: TargetConfig = { kind: 'switchyard', store, account };
    // One at a time: each brings the schema up to date when it opens the store.
    for (let n = 0; n < (how.nodes ?? 1); n++) servers.push(how.inProcess ? await inProcessServer(config) : await spawnServer(config));
    api = { port: servers[0].port, agent: newAgent(bench.opts.setupConcurrency), auth };
    const a = api;
    return {
      servers,
      store,
      api: a,
      setup: (label) => ({ progress: bench.progress, label, concurrency: bench.opts.setupConcurrency, maxMs: bench.remainingMs() }),
      reader: () => (reader ??= readStore(store)),
      done: cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
