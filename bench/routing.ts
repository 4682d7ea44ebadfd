import { join } from 'node:path';
import type { RequestSpec } from './load.ts';
import type { Bench, Diagnosis, Row } from './measure.ts';
import type { Backend } from './options.ts';
import { classifyTask, setupScenario, taskRequest } from './setup.ts';
import { checkStore } from './store-check.ts';
import { startSwitchyard } from './switchyard.ts';

/**
 * Task create → reserved: one server on SQLite or PostgreSQL (or, for comparison, the server in
 * the bench's own process); and the PostgreSQL cluster: several server processes on one schema
 * routing one workspace, the requests spread over them round-robin, after which the bench reads
 * the store for double reservations and capacity overruns.
 */

const thousands = (n: number) => n.toLocaleString('en-US');

export async function routingRow(
  bench: Bench,
  backend: Backend,
  workers: number,
  o: { inProcess?: boolean; profileDir?: string } = {},
): Promise<{ row: Row; diagnosis?: Diagnosis }> {
  const label = `${backend} ${workers / 1000}k${o.inProcess ? ' in-process' : ''}`;
  const sy = await startSwitchyard(bench, backend, { inProcess: o.inProcess });
  try {
    const t0 = performance.now();
    const scenario = await setupScenario(sy.api, workers, sy.setup(label));
    const setupMs = performance.now() - t0;
    const diagnose = o.profileDir
      ? { name: `${backend}, ${thousands(workers)} workers`, profileFile: join(o.profileDir, `${backend}-${workers}.cpuprofile`) }
      : undefined;
    const { diagnosis, ...m } = await bench.measure(sy.servers, label, (i) => taskRequest(scenario, i), { classify: classifyTask, good: 'reserved', diagnose });
    const check = await checkStore(sy.reader(), scenario.workspaceSid);
    const row: Row = {
      key: o.inProcess ? `${backend}-${workers}-in-process` : `${backend}-${workers}`,
      name: o.inProcess ? `${thousands(workers)} workers, server in the bench process` : `${thousands(workers)} workers`,
      backend,
      unit: 'tasks',
      workers,
      where: o.inProcess ? 'in-process' : 'child',
      setupMs,
      check,
      ...m,
    };
    return { row, diagnosis };
  } finally {
    await sy.done();
  }
}

export async function clusterRow(bench: Bench, workers: number): Promise<Row> {
  const nodes = bench.opts.nodes;
  const label = `postgres ${nodes} nodes ${workers / 1000}k`;
  const sy = await startSwitchyard(bench, 'postgres', { nodes });
  try {
    const t0 = performance.now();
    const scenario = await setupScenario(sy.api, workers, sy.setup(label));
    const setupMs = performance.now() - t0;
    // Request i goes to node i mod N: the load spread evenly, every node routing the same workspace.
    const ports = sy.servers.map((s) => s.port);
    const request = (i: number): RequestSpec => ({ ...taskRequest(scenario, i), port: ports[i % ports.length] });
    const m = await bench.measure(sy.servers, label, request, { classify: classifyTask, good: 'reserved' });
    const check = await checkStore(sy.reader(), scenario.workspaceSid);
    return {
      key: 'cluster',
      name: `${thousands(workers)} workers, ${nodes} server processes, one workspace, requests round-robin`,
      backend: 'postgres',
      unit: 'tasks',
      workers,
      where: 'child',
      setupMs,
      check,
      ...m,
    };
  } finally {
    await sy.done();
  }
}
