import { createServer } from '../src/server.ts';
import type { StoreConfig } from '../src/store/open.ts';
import { startBaseline, type BaselineKind, type Listening } from './baseline.ts';

/** What a bench server runs: Switchyard on a store, or one of the bare baselines. */
export type TargetConfig =
  | { kind: 'baseline'; baseline: BaselineKind }
  | { kind: 'switchyard'; store: StoreConfig; account: { accountSid: string; authToken: string } };

export async function startTarget(config: TargetConfig): Promise<Listening> {
  if (config.kind === 'baseline') return startBaseline(config.baseline);
  const server = await createServer({ ...config.store, account: config.account });
  await server.app.listen({ port: 0, host: '127.0.0.1' });
  const address = server.app.server.address();
  return { port: typeof address === 'object' && address ? address.port : 0, close: () => server.close() };
}
