// Runs node under the module-load recorder (load-recorder/register.mjs) and returns what the
// process loaded, one URL or path per entry: the module graph a test asserts on, not timings.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const RECORDER = fileURLToPath(new URL('./load-recorder/register.mjs', import.meta.url));

export interface Recorded {
  code: number | null;
  stdout: string;
  stderr: string;
  loaded: string[];
}

let runs = 0;

/** Runs `node --import <recorder> ...args` in cwd; the load log is written under work. */
export function recordLoads(args: string[], opts: { cwd: string; work: string }): Recorded {
  const log = join(opts.work, `loads-${runs++}.txt`);
  const r = spawnSync(process.execPath, ['--import', RECORDER, ...args], {
    cwd: opts.cwd,
    encoding: 'utf8',
    env: { ...process.env, CF_LOAD_LOG: log, NO_COLOR: '1' },
  });
  let loaded: string[] = [];
  try {
    loaded = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  } catch {
    // Nothing recorded: the caller's assertions say so.
  }
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, loaded };
}
