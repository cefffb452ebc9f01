// A runtime container's resource usage now, from one Docker stats call (stream: false, which
// carries the previous sample so the CPU percentage needs no second call): CPU percent of one
// CPU as `docker stats` shows it, memory without the page cache, pids, and network bytes, each
// with its cgroup limit where one is set. Read-only; for the console and its metrics only.

import type Dockerode from 'dockerode';
import type { RuntimeUsage } from '../backend.js';

interface Stats {
  cpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number };
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  pids_stats?: { current?: number; limit?: number };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }>;
}

export async function containerUsage(docker: Dockerode, id: string): Promise<RuntimeUsage | undefined> {
  const c = docker.getContainer(id);
  const [s, info] = await Promise.all([
    c.stats({ stream: false }) as Promise<Stats>,
    c.inspect().catch(() => undefined),
  ]);
  if (!s || !s.cpu_stats) return undefined;
  const out: RuntimeUsage = {};
  const cpuDelta = (s.cpu_stats.cpu_usage?.total_usage ?? 0) - (s.precpu_stats?.cpu_usage?.total_usage ?? 0);
  const sysDelta = (s.cpu_stats.system_cpu_usage ?? 0) - (s.precpu_stats?.system_cpu_usage ?? 0);
  const cpus = s.cpu_stats.online_cpus ?? 1;
  if (sysDelta > 0 && cpuDelta >= 0) out.cpuPercent = Math.round((cpuDelta / sysDelta) * cpus * 10_000) / 100;
  const nano = info?.HostConfig?.NanoCpus;
  if (nano) out.cpuLimit = nano / 1e9;
  const m = s.memory_stats;
  if (m?.usage !== undefined) {
    // As the docker CLI: the page cache is reclaimable, so it is not counted (cgroup v1 and v2 keys).
    const cache = m.stats?.inactive_file ?? m.stats?.total_inactive_file ?? 0;
    out.memoryBytes = Math.max(0, m.usage - cache);
  }
  const memLimit = info?.HostConfig?.Memory;
  if (memLimit) out.memoryLimitBytes = memLimit;
  if (s.pids_stats?.current !== undefined) out.pids = s.pids_stats.current;
  const pidsLimit = info?.HostConfig?.PidsLimit;
  if (pidsLimit && pidsLimit > 0) out.pidsLimit = pidsLimit;
  if (s.networks) {
    out.networkRxBytes = Object.values(s.networks).reduce((a, n) => a + (n.rx_bytes ?? 0), 0);
    out.networkTxBytes = Object.values(s.networks).reduce((a, n) => a + (n.tx_bytes ?? 0), 0);
  }
  return out;
}
