/**
 * A bench server in its own process, so the load generator never shares its event loop. Started by
 * servers.ts with the target's configuration as argv[2] (JSON); talks to its parent over IPC:
 * 'ready' with the port, then answers 'mark' (start of a measured window; with `diagnose`, also
 * starts timing SQL statements and profiling the CPU), 'read' (server CPU, event-loop use, and the
 * diagnostics, since the mark) and 'stop'.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { installSqlTiming, resetSqlStats, setSqlTiming, sqlStats } from './sql-timing.ts';
import { startTarget, type TargetConfig } from './target.ts';

const config = JSON.parse(process.argv[2]) as TargetConfig;
// The SQL timers are installed before the server opens its database, and stay off until asked.
if (config.kind === 'switchyard') installSqlTiming();

const send = (message: unknown) => process.send?.(message);

interface Command {
  id: number;
  cmd: 'mark' | 'read' | 'stop';
  /** With 'mark': time SQL and profile the CPU (V8 sampler, as --cpu-prof) into this file until 'read'. */
  diagnose?: { profileFile: string };
}

try {
  const target = await startTarget(config);
  let elu: EventLoopUtilization = performance.eventLoopUtilization();
  let cpu = process.cpuUsage();
  let wall = performance.now();
  let session: Session | null = null;
  let profileFile = '';
  process.on('message', async (m: Command) => {
    if (m.cmd === 'mark') {
      resetSqlStats();
      if (m.diagnose) {
        setSqlTiming(true);
        profileFile = m.diagnose.profileFile;
        session = new Session();
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.setSamplingInterval', { interval: 500 });
        await session.post('Profiler.start');
      }
      elu = performance.eventLoopUtilization();
      cpu = process.cpuUsage();
      wall = performance.now();
      send({ id: m.id, result: null });
    } else if (m.cmd === 'read') {
      const used = process.cpuUsage(cpu);
      const memory = process.memoryUsage();
      const sample = { wallMs: performance.now() - wall, elu: performance.eventLoopUtilization(elu).utilization };
      setSqlTiming(false);
      if (session) {
        const { profile } = await session.post('Profiler.stop');
        writeFileSync(profileFile, JSON.stringify(profile));
        session.disconnect();
        session = null;
      }
      send({
        id: m.id,
        result: {
          ...sample,
          cpuMs: (used.user + used.system) / 1000,
          rssMb: memory.rss / 2 ** 20,
          // The highest resident size the process ever had (a brief peak between two reads counts too).
          maxRssMb: process.resourceUsage().maxRSS / 1024,
          heapMb: memory.heapUsed / 2 ** 20,
          sql: sqlStats(),
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
