// State verbs: `force-unlock LOCK_ID` (remove a stuck stack lock, printing who held it), `history`
// (plan/apply runs), `events` (the append-only audit log), `state migrate` (copy a SQLite
// state into PostgreSQL) and `state rebuild` (re-create a damaged SQLite file from the backends). They read only the state store; no backend is contacted.

import type { CAC } from 'cac';
import { describeHolder } from '../apply/lock.js';
import { openOrReport, type CommonFlags } from './session-flags.js';
import { verbCommand, type VerbRegistrar } from './verb.js';
import { stateLocation, statePath } from '../apply/session.js';
import { closeBackends, createBackends } from '../backends/registry.js';
import { loadConfig } from '../config/index.js';
import { rebuildState } from '../apply/rebuild.js';
import { hasErrors } from '../diag/diagnostic.js';
import { configPath, printDiagnostics } from './config-file.js';
import { copySqliteToPostgres } from '../state/copy.js';
import { parseStateLocation } from '../state/open.js';
import { describePgUrl } from '../state/postgres.js';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { pidAlive } from '../state/sqlite.js';
import { confirm } from './prompt.js';
import { table } from './library-view.js';

interface MigrateFlags extends CommonFlags {
  to?: string;
  from?: string;
}

async function runStateMigrate(flags: MigrateFlags): Promise<number> {
  const to = typeof flags.to === 'string' ? parseStateLocation(flags.to) : undefined;
  if (!to || to.backend !== 'postgres') {
    process.stderr.write(
      'error: state migrate needs --to postgres://user@host:port/database\n  the target must be an empty PostgreSQL database\n',
    );
    return 1;
  }
  let from: string;
  if (typeof flags.from === 'string') from = resolve(flags.from);
  else {
    const session = await openOrReport(flags, false);
    if (!session) return 1;
    const here = stateLocation(session.config);
    await session.close();
    if (here.backend !== 'sqlite') {
      process.stderr.write(
        'error: this config already keeps its state in PostgreSQL\n  pass --from FILE to copy a SQLite state file\n',
      );
      return 1;
    }
    from = here.path;
  }
  const target = describePgUrl(to.url);
  let r: ReturnType<typeof copySqliteToPostgres>;
  try {
    r = copySqliteToPostgres({ sqlitePath: from, url: to.url });
  } catch (err) {
    process.stderr.write(
      `error: cannot reach the PostgreSQL state store at ${target}\n  ${String((err as Error).message)
        .split(to.url)
        .join(target)}\n`,
    );
    return 1;
  }
  for (const c of r.counts ?? [])
    process.stdout.write(
      `${c.table.padEnd(10)} ${String(c.source).padStart(7)} in ${from}  ${String(c.target).padStart(7)} in ${target}\n`,
    );
  if (!r.ok) {
    process.stderr.write(`error: state not migrated: ${r.reason}\n`);
    return 1;
  }
  process.stdout.write(
    `Copied the state of ${from} to ${target}; counts are equal. Set state: { backend: postgres, url: ... } to use it.\n`,
  );
  return 0;
}

interface ListFlags extends CommonFlags {
  json?: boolean;
  limit?: number | string;
  type?: string;
  address?: string;
}

interface UnlockFlags extends CommonFlags {
  force?: boolean;
}

/**
 * Terraform's rules: the lock id must be named (so that a lock taken after the user looked is
 * never removed), the user confirms unless --force, and a holder that is alive on this host is
 * never unlocked (it would go on writing while another run starts); stop that process instead.
 */
async function runForceUnlock(lockId: string | undefined, flags: UnlockFlags): Promise<number> {
  const session = await openOrReport(flags, false);
  if (!session) return 1;
  try {
    const { config, store } = session;
    const holder = store.lockHolder(config.stack);
    if (!holder) {
      process.stdout.write(`Stack ${config.stack} is not locked.\n`);
      return lockId === undefined ? 0 : 1;
    }
    if (lockId === undefined || lockId !== holder.id) {
      process.stderr.write(
        `error[state.lock-id]: ${lockId === undefined ? 'force-unlock needs the lock id' : `the lock of stack ${config.stack} has another id than ${lockId}`}\n` +
          `  The lock is held by ${describeHolder(holder)}.\n` +
          `  If that run is gone, remove it with: contextforge force-unlock ${holder.id ?? 'LOCK_ID'}\n`,
      );
      return 1;
    }
    if (holder.host === hostname() && pidAlive(holder.pid)) {
      process.stderr.write(
        `error[state.lock-alive]: the lock of stack ${config.stack} is held by a live process on this host: ${describeHolder(holder)}\n` +
          `  Let it finish, or stop it (kill ${holder.pid}); its lock is then taken over by the next run.\n`,
      );
      return 1;
    }
    if (!flags.force) {
      if (!process.stdin.isTTY) {
        process.stderr.write(
          'error[state.needs-confirmation]: force-unlock needs confirmation, but stdin is not a terminal\n' +
            '  Pass -force once you are sure the holder is gone.\n',
        );
        return 1;
      }
      const ok = await confirm(
        `Do you really want to remove the lock of stack ${config.stack} held by ${describeHolder(holder)}?\n` +
          "  A run that still holds it would go on changing state beside the next one. Only 'yes' will be accepted to confirm.\n\n  Enter a value: ",
      );
      if (!ok) {
        process.stderr.write('error[state.unlock-cancelled]: Force-unlock cancelled\n');
        return 1;
      }
    }
    const removed = store.forceUnlock(config.stack, lockId);
    if (!removed) {
      process.stderr.write(`error[state.lock-id]: the lock of stack ${config.stack} changed hands; nothing removed\n`);
      return 1;
    }
    store.appendEvent({ stack: config.stack, type: 'lock.forced', data: { ...removed } });
    process.stdout.write(`Removed the lock of stack ${config.stack} held by ${describeHolder(removed)}.\n`);
    return 0;
  } finally {
    await session.close();
  }
}

async function runHistory(flags: ListFlags): Promise<number> {
  const session = await openOrReport(flags, false);
  if (!session) return 1;
  try {
    const runs = session.store.listRuns(session.config.stack, flags.limit === undefined ? 20 : Number(flags.limit));
    if (flags.json) {
      process.stdout.write(session.redact(`${JSON.stringify(runs, null, 2)}\n`));
      return 0;
    }
    if (runs.length === 0) {
      process.stdout.write(`No runs recorded for stack ${session.config.stack}.\n`);
      return 0;
    }
    const rows = [['RUN', 'STARTED', 'KIND', 'OUTCOME', 'CREATE', 'UPDATE', 'REPLACE', 'DELETE', 'BY']];
    for (const r of runs) {
      const s = r.summary ?? {};
      rows.push([
        `#${r.id}`,
        r.startedAt,
        r.kind,
        r.outcome ?? 'running',
        ...['create', 'update', 'replace', 'delete'].map((k) => String(s[k] ?? 0)),
        r.meta?.actor ? String(r.meta.actor) : '',
      ]);
    }
    process.stdout.write(session.redact(table(rows)));
    return 0;
  } finally {
    await session.close();
  }
}

async function runEvents(flags: ListFlags): Promise<number> {
  const session = await openOrReport(flags, false);
  if (!session) return 1;
  try {
    const events = session.store.listEvents(session.config.stack, {
      type: flags.type,
      address: flags.address,
      limit: flags.limit === undefined ? 100 : Number(flags.limit),
    });
    if (flags.json) {
      process.stdout.write(session.redact(`${JSON.stringify(events, null, 2)}\n`));
      return 0;
    }
    if (events.length === 0) process.stdout.write(`No events recorded for stack ${session.config.stack}.\n`);
    for (const e of events) {
      const d = e.data ?? {};
      const extra = typeof d.summary === 'string' ? d.summary : typeof d.reason === 'string' ? String(d.reason) : '';
      process.stdout.write(
        session.redact(
          `${e.at}  ${e.type.padEnd(18)} ${(e.address ?? '').padEnd(24)} ${extra}${e.actor ? `  (${e.actor})` : ''}\n`,
        ),
      );
    }
    return 0;
  } finally {
    await session.close();
  }
}

/** `state rebuild`: a damaged or lost SQLite state file re-created from what the backends run. */
async function runStateRebuild(flags: CommonFlags): Promise<number> {
  const path = configPath(flags.file, true)!;
  // The config and the backends only: the state file may be the very thing that cannot be opened.
  const loaded = await loadConfig(path, { strict: flags.strict === true });
  const sensitive = loaded.sensitiveValues ?? [];
  if (!loaded.value || hasErrors(loaded.diags)) {
    printDiagnostics(loaded.diags, sensitive);
    return 1;
  }
  const config = loaded.value;
  const b = await createBackends(config.backends, {
    stack: config.stack,
    configDir: config.dir,
    sensitiveValues: new Set(config.sensitiveValues),
    github: config.github,
  });
  try {
    if (hasErrors(b.diags) || !b.value) {
      printDiagnostics(b.diags, sensitive);
      return 1;
    }
    const r = await rebuildState({ config, backends: b.value });
    if (r.diags.length) printDiagnostics(r.diags, sensitive);
    if (hasErrors(r.diags)) return 1;
    if (r.movedTo) process.stdout.write(`Moved the old state file aside: ${r.movedTo}\n`);
    process.stdout.write(
      `Rebuilt ${statePath(config)} from the backends: ${r.recorded.length} runtime(s) recorded${r.recorded.length ? ` (${r.recorded.join(', ')})` : ''}.\n` +
        'History, events and approvals start empty. Run `contextforge plan` to see what differs from the config.\n',
    );
    return 0;
  } finally {
    await closeBackends(b.value ?? {});
  }
}

export const register: VerbRegistrar = (cli: CAC, setExit) => {
  verbCommand(cli, 'force-unlock')
    .option('-f, --file <file>', 'Config file (default: ./contextforge.yaml)')
    .option('--force', 'Do not ask for confirmation (Terraform spells it -force; both work)')
    .example('contextforge force-unlock 0b6c2a9e-…')
    .action((lockId: string | undefined, flags: UnlockFlags) => setExit(runForceUnlock(lockId, flags)));
  verbCommand(cli, 'history')
    .option('-f, --file <file>', 'Config file (default: ./contextforge.yaml)')
    .option('--limit <n>', 'How many (default 20)')
    .option('--json', 'Print as JSON')
    .action((flags: ListFlags) => setExit(runHistory(flags)));
  verbCommand(cli, 'events')
    .option('-f, --file <file>', 'Config file (default: ./contextforge.yaml)')
    .option('--type <type>', 'Only this type (prefix with *, e.g. apply.*)')
    .option('--address <address>', 'Only this address, e.g. runtime.search')
    .option('--limit <n>', 'How many of the latest (default 100)')
    .option('--json', 'Print as JSON')
    .action((flags: ListFlags) => setExit(runEvents(flags)));
  verbCommand(cli, 'state')
    .option('-f, --file <file>', 'Config file whose SQLite state is copied (default: ./contextforge.yaml)')
    .option('--from <file>', "Copy this SQLite state file instead of the config's")
    .option('--to <url>', 'The PostgreSQL database to copy into (must hold no state yet)')
    .action((action: string, flags: MigrateFlags) => {
      if (action === 'rebuild') return setExit(runStateRebuild(flags));
      if (action !== 'migrate') {
        process.stderr.write(`error: unknown state action "${action}"\n  the actions are: migrate, rebuild\n`);
        setExit(1);
        return;
      }
      setExit(runStateMigrate(flags));
    });
};
