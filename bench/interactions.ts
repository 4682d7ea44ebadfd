import type { RequestSpec } from './load.ts';
import { join } from 'node:path';
import type { Bench, Diagnosis, Row } from './measure.ts';
import { QUEUES, form, setupScenario, type Scenario } from './setup.ts';
import { checkStore } from './store-check.ts';
import { startSwitchyard } from './switchyard.ts';

/**
 * Flex Interactions on SQLite: `POST /flex-api/v1/Interactions`, API-initiated SMS with one
 * customer participant (as README and test/api/flex-interactions.test.ts do it). The server sets
 * the channel up before answering: a conversation with the customer, the task (with Flex's
 * attributes and the caller's own) routed through the workflow; the response's
 * `routing.properties` is that task, and an interaction counts when its `assignment_status` is
 * `reserved`. Same workspace as the 1,000-worker row, with the workers' `sms` channel at
 * capacity 50 (the tasks are SMS tasks); each interaction has a customer number of its own (an
 * SMS binding is unique across open conversations).
 */

export function interactionRequest(s: Scenario, i: number): RequestSpec {
  const address = `+1555${String(i).padStart(7, '0')}`;
  return {
    method: 'POST',
    path: '/flex-api/v1/Interactions',
    body: form({
      Channel: JSON.stringify({ type: 'sms', initiated_by: 'api', participants: [{ address, proxy_address: '+15550009999', name: `customer ${i}` }] }),
      Routing: JSON.stringify({
        properties: {
          workspace_sid: s.workspaceSid,
          workflow_sid: s.workflowSid,
          task_channel_unique_name: 'sms',
          attributes: { queue: `q${i % QUEUES}`, customer: `c${i}` },
        },
      }),
    }),
    headers: { authorization: s.auth },
  };
}

export function classifyInteraction(status: number, body: string): string {
  if (status !== 200) return 'error';
  const b = JSON.parse(body) as { routing?: { properties?: { assignment_status?: string } } | null };
  const st = b.routing?.properties?.assignment_status;
  return st === 'reserved' ? 'reserved' : st === 'pending' ? 'pending' : 'error';
}

export async function interactionsRow(bench: Bench, workers: number, o: { profileDir?: string } = {}): Promise<{ row: Row; diagnosis?: Diagnosis }> {
  const label = `interactions ${workers / 1000}k`;
  const sy = await startSwitchyard(bench, 'sqlite');
  try {
    const t0 = performance.now();
    const scenario = await setupScenario(sy.api, workers, { ...sy.setup(label), channel: 'sms' });
    const setupMs = performance.now() - t0;
    const diagnose = o.profileDir ? { name: `Flex Interactions, ${workers.toLocaleString('en-US')} workers`, profileFile: join(o.profileDir, `interactions-${workers}.cpuprofile`) } : undefined;
    const { diagnosis, ...m } = await bench.measure(sy.servers, label, (i) => interactionRequest(scenario, i), {
      classify: classifyInteraction,
      good: 'reserved',
      diagnose,
    });
    const check = await checkStore(sy.reader(), scenario.workspaceSid);
    const row: Row = {
      key: 'interactions',
      name: `Flex Interactions (API-initiated SMS), ${workers.toLocaleString('en-US')} workers`,
      backend: 'sqlite',
      unit: 'interactions',
      workers,
      where: 'child',
      setupMs,
      check,
      ...m,
    };
    return { row, diagnosis };
  } finally {
    await sy.done();
  }
}
