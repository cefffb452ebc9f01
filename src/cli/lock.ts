// `contextforge lock`: pin every runtime's artifact and tool surface into contextforge.lock
// without applying anything; `lock --check` only compares the lock with the config's resolved
// artifacts and exits 1 when it is stale (for pull-request jobs). The work lives in host/ and lock/.

import { isRuntimeAddress } from '../model/resources.js';
import type { CAC } from 'cac';
import { readLock, lockPathFor, writeLock } from '../lock/file.js';
import { lockProblems } from '../lock/check.js';
import { catalogChangeText, catalogChanges, catalogPinsOf } from '../lock/catalog.js';
import { resolveArtifacts } from '../backends/artifacts.js';
import { refreshLock } from '../host/lock-refresh.js';
import { discoverSurface } from '../backends/sandbox.js';
import { surfaceSize } from '../model/tool-surface.js';
import { openOrReport, planWith, report, type CommonFlags } from './session-flags.js';
import { verbCommand, type VerbRegistrar } from './verb.js';

interface LockFlags extends CommonFlags {
  check?: boolean;
}

export async function runLock(flags: LockFlags): Promise<number> {
  const session = await openOrReport(flags);
  if (!session) return 1;
  try {
    const path = lockPathFor(session.config.path);
    const previous = readLock(path);
    // An unreadable lock fails the check; a refresh reports it and writes a fresh one.
    if (previous.diags.length) {
      report(session, previous.diags);
      if (flags.check) return 1;
    }
    const r = await planWith(session, flags);
    if (!r.plan) return 1;
    // The lock pins runtimes; the gateway deployed to Code Engine is this product, not a server.
    const desired = r.desired.filter((d) => isRuntimeAddress(d.address));
    if (flags.check) {
      const pins = await resolveArtifacts(desired, { backends: session.config.backends });
      const problems = lockProblems(previous.value, pins);
      if (previous.value)
        for (const c of catalogChanges(previous.value.catalog, catalogPinsOf(session.config), true))
          problems.push({ runtime: 'catalog', why: catalogChangeText(c) });
      if (problems.length === 0) {
        process.stdout.write(`The lock ${path} is current: ${desired.length} runtime(s) pinned.\n`);
        return 0;
      }
      process.stdout.write(`error[lock.stale]: The lock ${path} is stale against the config\n`);
      for (const p of problems) process.stdout.write(`  - ${p.runtime}: ${p.why}\n`);
      process.stdout.write('  Run `contextforge lock` (or apply) and commit the updated lock with the config.\n');
      return 1;
    }
    const refreshed = await refreshLock({
      config: session.config,
      store: session.store,
      desired,
      previous: previous.value,
      discover:
        flags.discover === false
          ? undefined
          : (d) => discoverSurface(d, { backends: session.config.backends, configDir: session.config.dir }),
      live: new Set(r.plan.changes.filter((c) => c.action === 'noop' && c.desired).map((c) => c.desired!.runtime)),
    });
    for (const n of refreshed.notes) process.stdout.write(`${session.redact(`warning: ${n}`)}\n`);
    const changed = writeLock(path, refreshed.lock);
    const items = Object.values(refreshed.lock.runtimes).reduce(
      (n, e) => n + (e.surface ? surfaceSize(e.surface) : 0),
      0,
    );
    const entries = Object.keys(refreshed.lock.catalog ?? {}).length;
    process.stdout.write(
      `${changed ? 'Wrote' : 'Unchanged:'} ${path}: ${Object.keys(refreshed.lock.runtimes).length} runtime(s), ${items} definition(s)${entries ? `, ${entries} catalog entries` : ''} pinned.\n`,
    );
    return 0;
  } finally {
    await session.close();
  }
}

export const register: VerbRegistrar = (cli: CAC, setExit) => {
  verbCommand(cli, 'lock')
    .option('-f, --file <file>', 'Config file (default: ./contextforge.yaml)')
    .option('--no-discover', 'Keep the old surface of runtimes that do not run their configured artifact')
    .option('--check', 'Exit 1 when the lock is stale against the config (an artifact changed without a lock update)')
    .example('contextforge lock --check')
    .action((flags: LockFlags) => setExit(runLock(flags)));
};
