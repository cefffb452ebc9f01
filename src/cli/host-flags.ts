// Flags the long-running hosts (`up` and `watch`) share: durations, and the delete guard's
// --delete-quiet, --no-prune, --max-deletes and --allow-mass-delete (src/watch/guard.ts). Owns
// parsing and the option declarations only; the verbs decide what to run.

import type { Command } from 'cac';
import { parseDurationMs } from '../config/index.js';
import { DEFAULT_DELETE_QUIET_MS, DEFAULT_MAX_DELETES } from '../watch/guard.js';

export interface GuardFlags {
  deleteQuiet?: string | number;
  prune?: boolean;
  maxDeletes?: string | number;
  allowMassDelete?: boolean;
}

export interface GuardSettings {
  deleteQuietMs: number;
  prune: boolean;
  maxDeletes: number;
  allowMassDelete: boolean;
}

export function duration(name: string, v: string | number | undefined, fallbackMs: number): number | Error {
  if (v === undefined) return fallbackMs;
  const ms = parseDurationMs(v);
  if (ms === undefined || ms <= 0)
    return new Error(`--${name} ${v} is not a positive duration; use e.g. 500ms, 30s, 5m`);
  return ms;
}

export function guardSettings(flags: GuardFlags): GuardSettings | Error {
  const deleteQuietMs = duration('delete-quiet', flags.deleteQuiet, DEFAULT_DELETE_QUIET_MS);
  if (deleteQuietMs instanceof Error) return deleteQuietMs;
  let maxDeletes = DEFAULT_MAX_DELETES;
  if (flags.maxDeletes !== undefined) {
    maxDeletes = Number(flags.maxDeletes);
    if (!Number.isInteger(maxDeletes) || maxDeletes < 0)
      return new Error(`--max-deletes ${flags.maxDeletes} is not a whole number of runtimes; use e.g. 5`);
  }
  return { deleteQuietMs, prune: flags.prune !== false, maxDeletes, allowMassDelete: flags.allowMassDelete === true };
}

export function guardOptions(cmd: Command): Command {
  return cmd
    .option(
      '--delete-quiet <duration>',
      `Delete runtimes only once the config is unchanged this long (default ${DEFAULT_DELETE_QUIET_MS / 1000}s)`,
    )
    .option('--no-prune', 'Never delete runtimes that left the config (a plain apply does)')
    .option(
      '--max-deletes <n>',
      `Most runtimes one pass may delete without --allow-mass-delete (default ${DEFAULT_MAX_DELETES})`,
    )
    .option('--allow-mass-delete', 'Let one pass delete more than --max-deletes runtimes');
}
