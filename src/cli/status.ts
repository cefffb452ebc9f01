// `contextforge status`: each runtime of the stack from a live observe joined with state:
// state, health, endpoint, guardrail warnings, uptime, restarts. Read-only: takes no lock and
// changes nothing.

import type { CAC } from 'cac';
import { observeAll } from '../plan/stack.js';
import { formatElapsed } from '../apply/progress.js';
import { compileDesired } from '../plan/desired.js';
import { resolveSources } from '../sources/resolve-desired.js';
import type { ObservedResource } from '../model/resources.js';
import type { RuntimeRecord } from '../state/store.js';
import { openOrReport, report, type CommonFlags } from './session-flags.js';
import { verbCommand, type VerbRegistrar } from './verb.js';

interface StatusFlags extends CommonFlags {
  json?: boolean;
}

export interface RuntimeStatus {
  address: string;
  runtime: string;
  backend: string;
  configured: boolean;
  state: string;
  health?: string;
  endpoint?: string;
  uptimeSeconds?: number;
  restarts?: number;
  specHash?: string;
  inSync: boolean;
  warnings: string[];
  appliedAt?: string;
}

export function joinStatus(input: {
  observed: ObservedResource[];
  records: RuntimeRecord[];
  desired: { address: string; runtime: string; backend: string; specHash: string; warnings: string[] }[];
  now: number;
}): RuntimeStatus[] {
  // Data volumes kept by a delete are not a runtime (the destroy plan names them).
  const obs = new Map(input.observed.filter((o) => !o.volumesOnly).map((o) => [o.address, o]));
  const rec = new Map(input.records.map((r) => [r.address, r]));
  const des = new Map(input.desired.map((d) => [d.address, d]));
  const addresses = [...new Set([...obs.keys(), ...rec.keys(), ...des.keys()])].sort();
  return addresses.map((address) => {
    const o = obs.get(address);
    const r = rec.get(address);
    const d = des.get(address);
    const health = typeof o?.live?.health === 'string' ? (o.live.health as string) : undefined;
    const s: RuntimeStatus = {
      address,
      runtime: o?.runtime ?? r?.runtime ?? d!.runtime,
      backend: o?.backend ?? r?.backend ?? d!.backend,
      configured: Boolean(d),
      state: o ? o.status : r ? 'missing' : 'not created',
      inSync: Boolean(o && d && o.specHash === d.specHash && (o.status === 'running' || o.status === 'starting')),
      warnings: d?.warnings ?? r?.warnings ?? [],
    };
    if (health) s.health = health;
    const endpoint = o?.endpoint ?? r?.endpoint;
    if (endpoint)
      s.endpoint =
        endpoint.url ??
        (endpoint.attach
          ? `${endpoint.attach.kind}:${'containerId' in endpoint.attach ? endpoint.attach.containerId.slice(0, 12) : endpoint.attach.socketPath}`
          : endpoint.transport);
    if (o?.startedAt && o.status === 'running')
      s.uptimeSeconds = Math.max(0, Math.round((input.now - Date.parse(o.startedAt)) / 1000));
    if (o?.restarts !== undefined) s.restarts = o.restarts;
    if (o?.specHash) s.specHash = o.specHash;
    if (r?.appliedAt) s.appliedAt = r.appliedAt;
    return s;
  });
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n');
}

export async function runStatus(flags: StatusFlags): Promise<number> {
  const session = await openOrReport(flags);
  if (!session) return 1;
  try {
    const { config, backends, store } = session;
    const caps = Object.fromEntries(Object.entries(backends).map(([n, b]) => [n, b.describe().capabilities]));
    // GitHub sources are pinned to their current commit as plan does, so that in-sync compares alike.
    const resolved = await resolveSources({
      desired: compileDesired(config, { capabilities: caps }).value ?? [],
      github: config.github,
      configDir: config.dir,
      include: (d) => caps[d.backend]?.supports_github_build === true,
      seccomp: (d) => caps[d.backend]?.supports_seccomp === true,
    });
    const seen = await observeAll(config.stack, backends, resolved.desired);
    if (seen.diags.some((d) => d.severity === 'error')) {
      report(session, seen.diags);
      return 1;
    }
    // Backends whose status details need more calls (Code Engine instances) add them here only.
    for (const [name, b] of Object.entries(backends)) {
      if (!b.inspect) continue;
      const mine = seen.observed.filter((o) => o.backend === name);
      const detailed = await b.inspect(mine).catch(() => mine);
      seen.observed = [...seen.observed.filter((o) => o.backend !== name), ...detailed];
    }
    const desired = resolved.desired.map((d) => ({
      address: d.address,
      runtime: d.runtime,
      backend: d.backend,
      specHash: d.specHash,
      warnings: d.diagnostics.filter((x) => x.code.startsWith('guardrail.')).map((x) => x.summary),
    }));
    const rows = joinStatus({
      observed: seen.observed,
      records: store.listRuntimes(config.stack),
      desired,
      now: Date.now(),
    });
    // Git mode (`watch --git`) records each applied commit; show the latest one.
    const gitEvent = store.listEvents(config.stack, { type: 'git.applied', limit: 1 })[0];
    const git = gitEvent?.data
      ? {
          commit: String(gitEvent.data.commit),
          author: String(gitEvent.data.author),
          subject: String(gitEvent.data.subject ?? ''),
          at: gitEvent.at,
        }
      : undefined;
    if (flags.json) {
      process.stdout.write(
        session.redact(
          `${JSON.stringify({ stack: config.stack, ...(git ? { git } : {}), runtimes: rows }, null, 2)}\n`,
        ),
      );
      return 0;
    }
    const gitLine = git
      ? `Applied commit ${git.commit} by ${git.author} at ${git.at}${git.subject ? `: ${git.subject}` : ''}\n`
      : '';
    if (rows.length === 0) {
      process.stdout.write(session.redact(`Stack ${config.stack} has no runtimes.\n${gitLine}`));
      return 0;
    }
    const lines = [['RUNTIME', 'BACKEND', 'STATE', 'HEALTH', 'ENDPOINT', 'UPTIME', 'RESTARTS', 'SYNC']];
    for (const r of rows) {
      lines.push([
        r.runtime,
        r.backend,
        r.state,
        r.health ?? '-',
        r.endpoint ?? '-',
        r.uptimeSeconds === undefined ? '-' : formatElapsed(r.uptimeSeconds * 1000),
        r.restarts === undefined ? '-' : String(r.restarts),
        !r.configured ? 'not in config' : r.inSync ? 'in sync' : 'drift (run plan)',
      ]);
    }
    let out = `Stack ${config.stack}\n${gitLine}\n${table(lines)}\n`;
    const warned = rows.filter((r) => r.warnings.length);
    if (warned.length) {
      out += '\nGuardrail warnings:\n';
      for (const r of warned) for (const w of r.warnings) out += `  ! ${r.runtime}: ${w}\n`;
    }
    process.stdout.write(session.redact(out));
    return 0;
  } finally {
    await session.close();
  }
}

export const register: VerbRegistrar = (cli: CAC, setExit) => {
  verbCommand(cli, 'status')
    .option('-f, --file <file>', 'Config file (default: ./contextforge.yaml)')
    .option('--json', 'Print as JSON')
    .action((flags: StatusFlags) => setExit(runStatus(flags)));
};
