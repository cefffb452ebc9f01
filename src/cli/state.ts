// State verbs: `force-unlock` (remove a stuck stack lock, printing who held it), `history`
// (plan/apply runs) and `events` (the append-only audit log). They read only the state store;
// no backend is contacted.

import type { CAC } from 'cac';
import { describeHolder } from '../apply/lock.js';
import { openOrReport, type CommonFlags } from './session-flags.js';
import { verbCommand, type VerbRegistrar } from './verb.js';

interface ListFlags extends CommonFlags {
  json?: boolean;
  limit?: number | string;
  type?: string;
  address?: string;
}

async function runForceUnlock(flags: CommonFlags): Promise<number> {
  const session = await openOrReport(flags, false);
  if (!session) return 1;
  try {
    const { config, store } = session;
    const holder = store.forceUnlock(config.stack);
    if (!holder) {
      process.stdout.write(`Stack ${config.stack} is not locked.\n`);
      return 0;
    }
    store.appendEvent({ stack: config.stack, type: 'lock.forced', data: { ...holder } });
    process.stdout.write(`Removed the lock of stack ${config.stack} held by ${describeHolder(holder)}.\n`);
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
    if (runs.length === 0) process.stdout.write(`No runs recorded for stack ${session.config.stack}.\n`);
    for (const r of runs) {
      const s = r.summary ?? {};
      const counts = ['create', 'update', 'replace', 'delete'].map((k) => `${s[k] ?? 0} ${k}`).join(', ');
      process.stdout.write(session.redact(`#${r.id}  ${r.startedAt}  ${r.kind.padEnd(8)} ${(r.outcome ?? 'running').padEnd(8)} ${counts}${r.meta?.actor ? `  by ${String(r.meta.actor)}` : ''}\n`));
    }
    return 0;
  } finally {
    await session.close();
  }
}

async function runEvents(flags: ListFlags): Promise<number> {
  const session = await openOrReport(flags, false);
  if (!session) return 1;
  try {
    const events = session.store.listEvents(session.config.stack, { type: flags.type, address: flags.address, limit: flags.limit === undefined ? 100 : Number(flags.limit) });
    if (flags.json) {
      process.stdout.write(session.redact(`${JSON.stringify(events, null, 2)}\n`));
      return 0;
    }
    if (events.length === 0) process.stdout.write(`No events recorded for stack ${session.config.stack}.\n`);
    for (const e of events) {
      const d = e.data ?? {};
      const extra = typeof d.summary === 'string' ? d.summary : typeof d.reason === 'string' ? String(d.reason) : '';
      process.stdout.write(session.redact(`${e.at}  ${e.type.padEnd(18)} ${(e.address ?? '').padEnd(24)} ${extra}${e.actor ? `  (${e.actor})` : ''}\n`));
    }
    return 0;
  } finally {
    await session.close();
  }
}

export const register: VerbRegistrar = (cli: CAC, setExit) => {
  verbCommand(cli, 'force-unlock')
    .option('-f, --file <file>', 'Config file (default: ./contextforge.yaml)')
    .action((flags: CommonFlags) => setExit(runForceUnlock(flags)));
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
};
