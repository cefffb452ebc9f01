// Deployment gauges for the gateway's /metrics (the seed's US-5): per runtime its status,
// health, restarts, and CPU/memory usage where the backend reports it (Docker stats). A scrape
// reads the last snapshot and, when it is older than `maxAgeMs`, starts one refresh in the
// background: nothing runs while nobody scrapes, and a scrape never waits on a backend.

import type { GaugeSample, GaugeSource } from '../gateway/index.js';
import { liveStatus, summaries, type RuntimeSummary } from './api-runtimes.js';
import type { ConsoleContext } from './context.js';
import type { RuntimeUsage } from '../backends/backend.js';

interface Snapshot {
  at: number;
  rows: (RuntimeSummary & { usage?: RuntimeUsage })[];
}

export class DeploymentGauges {
  private snap: Snapshot = { at: 0, rows: [] };
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly ctx: ConsoleContext,
    private readonly maxAgeMs = 10_000,
  ) {}

  /** Takes a fresh snapshot now (the first scrape's numbers, and tests). */
  refresh(): Promise<void> {
    this.refreshing ??= this.take().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async take(): Promise<void> {
    try {
      const { live, backends } = await liveStatus(this.ctx, false);
      if (live.diags.some((d) => d.severity === 'error')) return;
      const rows = await Promise.all(
        summaries(this.ctx, live).map(async (s) => {
          const o = live.observed.find((x) => x.address === s.address);
          const b = backends[s.backend];
          const usage = o && b?.usage ? await b.usage(o).catch(() => undefined) : undefined;
          return { ...s, ...(usage ? { usage } : {}) };
        }),
      );
      this.snap = { at: Date.now(), rows };
    } catch (err) {
      this.ctx.deps.warn?.(`console: metrics refresh failed: ${this.ctx.redact((err as Error).message)}`);
    }
  }

  private rows(): Snapshot['rows'] {
    if (Date.now() - this.snap.at > this.maxAgeMs) void this.refresh();
    return this.snap.rows;
  }

  sources(): GaugeSource[] {
    const per = (f: (r: Snapshot['rows'][number]) => number | undefined) => (): GaugeSample[] =>
      this.rows().flatMap((r) => {
        const v = f(r);
        return v === undefined ? [] : [{ labels: { runtime: r.name, backend: r.backend }, value: v }];
      });
    return [
      {
        name: 'contextforge_runtime_up',
        help: '1 when the runtime runs (or starts) on its backend, else 0.',
        collect: per((r) => (r.state === 'running' || r.state === 'starting' ? 1 : 0)),
      },
      {
        name: 'contextforge_runtime_status',
        help: 'The runtime status as a label: 1 for the current one.',
        collect: () =>
          this.rows().map((r) => ({ labels: { runtime: r.name, backend: r.backend, status: r.state }, value: 1 })),
      },
      {
        name: 'contextforge_runtime_healthy',
        help: '1 when the last health check passed, 0 when it failed; absent without a health check.',
        collect: per((r) => (r.health === undefined ? undefined : r.health === 'healthy' ? 1 : 0)),
      },
      {
        name: 'contextforge_runtime_restarts',
        help: 'Restarts of the runtime since it was created, as the backend counts them.',
        collect: per((r) => r.restarts),
      },
      {
        name: 'contextforge_runtime_in_sync',
        help: '1 when the live runtime matches the config, 0 on drift.',
        collect: per((r) => (r.inSync ? 1 : 0)),
      },
      {
        name: 'contextforge_runtime_cpu_percent',
        help: 'CPU use in percent of one CPU (Docker stats).',
        collect: per((r) => r.usage?.cpuPercent),
      },
      {
        name: 'contextforge_runtime_cpu_limit',
        help: 'CPUs the runtime may use, when limited.',
        collect: per((r) => r.usage?.cpuLimit),
      },
      {
        name: 'contextforge_runtime_memory_bytes',
        help: 'Memory in use without the page cache (Docker stats).',
        collect: per((r) => r.usage?.memoryBytes),
      },
      {
        name: 'contextforge_runtime_memory_limit_bytes',
        help: 'The memory limit, when set.',
        collect: per((r) => r.usage?.memoryLimitBytes),
      },
    ];
  }
}
