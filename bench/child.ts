/**
 * A bench server in its own process, so the load generator never shares its event loop. Started by
 * servers.ts with the target's configuration as argv[2] (JSON); talks to its parent over IPC:
 * 'ready' with the port, then answers 'mark' / 'read' (server-side CPU, event-loop use and, in
 * diagnostic runs, time per SQL statement since the last mark) and 'stop'.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { installSqlTiming, resetSqlStats, sqlStats } from './sql-timing.ts';
import { startTarget, type TargetConfig } from './target.ts';

const config = JSON.parse(process.argv[2]) as TargetConfig & { sqlTiming?: boolean; profileFile?: string };
if (config.sqlTiming) installSqlTiming();
// CPU profile of exactly the window between 'mark' and 'read' (the V8 sampler behind --cpu-prof).
const session = config.profileFile ? new Session() : null;

const send = (message: unknown) => process.send?.(message);

try {
  const target = await startTarget(config);
  let elu: EventLoopUtilization = performance.eventLoopUtilization();
  let cpu = process.cpuUsage();
  let wall = performance.now();
  process.on('message', async (m: { id: number; cmd: 'mark' | 'read' | 'stop' }) => {
    if (m.cmd === 'mark') {
      elu = performance.eventLoopUtilization();
      cpu = process.cpuUsage();
      wall = performance.now();
      resetSqlStats();
      if (session) {
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.setSamplingInterval', { interval: 500 });
        await session.post('Profiler.start');
      }
      send({ id: m.id, result: null });
    } else if (m.cmd === 'read') {
      const used = process.cpuUsage(cpu);
      const sample = { wallMs: performance.now() - wall, elu: performance.eventLoopUtilization(elu).utilization };
      if (session) {
        const { profile } = await session.post('Profiler.stop');
        writeFileSync(config.profileFile!, JSON.stringify(profile));
        session.disconnect();
      }
      send({
        id: m.id,
        result: {
          ...sample,
          cpuMs: (used.user + used.system) / 1000,
          rssMb: process.memoryUsage().rss / 2 ** 20,
          sql: config.sqlTiming ? sqlStats() : [],
        },
      });
    } else if (m.cmd === 'stop') {
      await target.close().catch(() => undefined);
      send({ id: m.id, result: null });
      setTimeout(() => process.exit(0), 50);
    }
  });
  send({ ready: true, port: target.port });
} catch (err) {
  send({ failed: String((err as Error)?.stack ?? err) });
  process.exit(1);
}
