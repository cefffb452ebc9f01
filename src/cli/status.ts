// `contextforge status`: each runtime of the stack from a live observe joined with state:
// state, health, endpoint, guardrail warnings, uptime, restarts. Read-only: takes no lock and
// changes nothing.

import type { CAC } from 'cac';
import { collectStatus } from '../apply/live-status.js';
import { formatElapsed } from '../apply/progress.js';
import type { LockHolder } from '../state/store.js';
import { openOrReport, report, type CommonFlags } from './session-flags.js';
import type { Session } from '../apply/session.js';
import { lockPathFor, lockStamp, readLock } from '../lock/file.js';
import { surfaceSize } from '../model/tool-surface.js';
import { isRuntimeAddress } from '../model/resources.js';
import { verbCommand, type VerbRegistrar } from './verb.js';
import { readSyncedCopy } from '../sources/registry/sync.js';

interface StatusFlags extends CommonFlags {
  json?: boolean;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n');
}

/** A held stack lock, with its holder and age: an apply in flight, or one that died holding it. */
function lockLine(holder: LockHolder | undefined): string {
  if (!holder) return '';
  const age = formatElapsed(Math.max(0, Date.now() - Date.parse(holder.since)));
  return `Locked by ${holder.operation} (pid ${holder.pid} on ${holder.host}) since ${holder.since}, ${age} ago${holder.id ? `; lock id ${holder.id}` : ''}\n`;
}

export async function runStatus(flags: StatusFlags): Promise<number> {
  const session = await openOrReport(flags);
  if (!session) return 1;
  try {
    const { config, backends, store } = session;
    const live = await collectStatus({ config, backends, store, probe: true });
    if (live.diags.some((d) => d.severity === 'error')) {
      report(session, live.diags);
      return 1;
    }
    const rows = live.rows;
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
    const lock = store.lockHolder(config.stack);
    const catalog = catalogNotices(session);
    if (flags.json) {
      const extra = { ...(git ? { git } : {}), ...(lock ? { lock } : {}), ...(catalog.length ? { catalog } : {}) };
      process.stdout.write(
        session.redact(`${JSON.stringify({ stack: config.stack, ...extra, runtimes: rows }, null, 2)}\n`),
      );
      return 0;
    }
    const gitLine = git
      ? `Applied commit ${git.commit} by ${git.author} at ${git.at}${git.subject ? `: ${git.subject}` : ''}\n`
      : '';
    if (rows.length === 0) {
      process.stdout.write(session.redact(`Stack ${config.stack} has no runtimes.\n${gitLine}${lockLine(lock)}`));
      return 0;
    }
    const lines = [['RUNTIME', 'BACKEND', 'STATE', 'HEALTH', 'ENDPOINT', 'UPTIME', 'RESTARTS', 'SYNC']];
    for (const r of rows) {
      lines.push([
        isRuntimeAddress(r.address) ? r.runtime : r.address,
        r.backend,
        r.state,
        r.health ?? '-',
        r.endpoint ?? '-',
        r.uptimeSeconds === undefined ? '-' : formatElapsed(r.uptimeSeconds * 1000),
        r.restarts === undefined ? '-' : String(r.restarts),
        !r.configured
          ? 'not in config'
          : r.inSync
            ? 'in sync'
            : r.health?.startsWith('unreachable')
              ? 'unhealthy (run plan)'
              : 'drift (run plan)',
      ]);
    }
    let out = `Stack ${config.stack}\n${gitLine}${lockLine(lock)}\n${table(lines)}\n`;
    const warned = rows.filter((r) => r.warnings.length);
    if (warned.length) {
      out += '\nGuardrail warnings:\n';
      for (const r of warned) for (const w of r.warnings) out += `  ! ${r.runtime}: ${w}\n`;
    }
    out += lockSection(
      session,
      rows.filter((r) => isRuntimeAddress(r.address)).map((r) => r.runtime),
    );
    if (catalog.length) {
      out += '\nCatalog sources:\n';
      for (const n of catalog)
        out += `  ! ${n.source}: ${n.reason} (seen ${n.at}); run \`contextforge catalog sync\` and review the plan\n`;
    }
    process.stdout.write(session.redact(out));
    return 0;
  } finally {
    await session.close();
  }
}

/**
 * Pinned catalog sources a running host found changed upstream (event catalog.upstream-changed,
 * watch/catalog-refresh.ts) since the lock or the copy was last written: the newest per source.
 */
function catalogNotices(session: Session): { source: string; reason: string; at: string }[] {
  const { config, store } = session;
  const stamp = Number(lockStamp(lockPathFor(config.path)).split(':')[0]) || 0;
  const out: { source: string; reason: string; at: string }[] = [];
  const events = store.listEvents(config.stack, { type: 'catalog.upstream-changed', limit: 200 });
  for (const src of (config.document.catalog_sources ?? []).filter((s) => s.pin !== false)) {
    const synced = Date.parse(readSyncedCopy(config.dir, src.name)?.synced_at ?? '') || 0;
    const since = new Date(Math.max(stamp, synced)).toISOString();
    const e = events.find((x) => x.data?.source === src.name && x.at > since);
    if (e) out.push({ source: src.name, reason: String(e.data?.reason ?? 'changed upstream'), at: e.at });
  }
  return out;
}

/**
 * One line per runtime on contextforge.lock: how many definitions it pins, and the mismatches
 * the gateway reported (event tool.unpinned) since the lock was last written.
 */
function lockSection(session: Session, runtimes: string[]): string {
  const path = lockPathFor(session.config.path);
  const lock = readLock(path);
  if (!lock.value) return lock.diags.length ? `\nLock: ${lock.diags[0].summary}\n` : '';
  const since = new Date(Number(lockStamp(path).split(':')[0]) || 0).toISOString();
  let out = `\nTool surface lock (${path}, gateway.tool_lock: ${session.config.gateway.tool_lock ?? 'enforce'}):\n`;
  for (const runtime of runtimes) {
    const surface = lock.value.runtimes[runtime]?.surface;
    if (!surface) {
      out += `  ${runtime}: not pinned (served without a lock check)\n`;
      continue;
    }
    const seen = new Map<string, string>();
    for (const e of session.store.listEvents(session.config.stack, {
      type: 'tool.unpinned',
      address: `runtime.${runtime}`,
      limit: 200,
    })) {
      if (e.at < since || !e.data) continue;
      seen.set(`${String(e.data.kind)} ${String(e.data.name)}`, e.data.expected ? 'differs' : 'not in the lock');
    }
    out += `  ${runtime}: ${surfaceSize(surface)} definitions pinned`;
    out += seen.size
      ? `; the gateway reported ${seen.size} mismatch(es): ${[...seen].map(([k, v]) => `${k} (${v})`).join(', ')}\n`
      : '; no mismatch reported\n';
  }
  return out;
}

export const register: VerbRegistrar = (cli: CAC, setExit) => {
  verbCommand(cli, 'status')
    .option('-f, --file <file>', 'Config file (default: ./contextforge.yaml)')
    .option('--json', 'Print as JSON')
    .action((flags: StatusFlags) => setExit(runStatus(flags)));
};
