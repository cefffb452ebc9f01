// `contextforge state rebuild`: a SQLite state file that is damaged or lost is rebuilt from what
// the backends run. The backends' ownership labels and spec hashes are the truth; state is the
// record. The damaged file (and its -wal/-shm) is moved aside, never deleted; history, events
// and approvals start empty in the new file. It changes nothing on any backend.

import { existsSync, renameSync } from 'node:fs';
import type { Backend } from '../backends/backend.js';
import type { LoadedConfig } from '../config/index.js';
import { error, type Diagnostic } from '../diag/diagnostic.js';
import { planStack } from '../plan/stack.js';
import { openStore } from '../state/open.js';
import { recordObserved } from './record.js';
import { stateLocation } from './session.js';

export interface RebuildResult {
  /** Where the old file went (absent when there was none). */
  movedTo?: string;
  /** Addresses recorded from what the backends run. */
  recorded: string[];
  diags: Diagnostic[];
}

export async function rebuildState(input: {
  config: LoadedConfig;
  backends: Readonly<Record<string, Backend>>;
  now?: Date;
}): Promise<RebuildResult> {
  const where = stateLocation(input.config);
  if (where.backend !== 'sqlite')
    return {
      recorded: [],
      diags: [
        error('state.rebuild-postgres', 'state rebuild works on a SQLite state file only', {
          detail: 'Restore the PostgreSQL database from its backup instead.',
        }),
      ],
    };
  let movedTo: string | undefined;
  if (existsSync(where.path)) {
    const stamp = (input.now ?? new Date()).toISOString().replace(/[:.]/g, '-');
    movedTo = `${where.path}.damaged-${stamp}`;
    for (const suffix of ['', '-wal', '-shm'])
      if (existsSync(where.path + suffix)) renameSync(where.path + suffix, movedTo + suffix);
  }
  const store = openStore(where);
  try {
    const planned = await planStack({ config: input.config, backends: input.backends, store });
    if (!planned.plan) return { movedTo, recorded: [], diags: planned.diags };
    const recorded: string[] = [];
    store.transaction(() => {
      for (const c of planned.plan!.changes)
        if (recordObserved(store, planned.plan!.stack, c)) recorded.push(c.address);
      store.appendEvent({
        stack: planned.plan!.stack,
        type: 'state.rebuilt',
        data: { movedTo: movedTo ?? null, recorded, reason: 'state rebuilt from the backends' },
      });
    });
    return { movedTo, recorded, diags: planned.diags.filter((d) => d.severity !== 'error') };
  } finally {
    store.close();
  }
}
