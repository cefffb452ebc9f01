// What the process backend observes: the status files its supervisors write under
// .contextforge/process/<stack>/, read as ObservedResources (a dead supervisor's runtime is
// exited or failed). Reads only; a status file of another stack or backend is skipped.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ObservedResource, ObservedStatus } from '../../model/resources.js';
import { stackDir, type ProcessEnv } from './env.js';
import type { StatusFile } from './files.js';
import { readStatus, supervisorAlive } from './launch.js';

function observedStatus(st: StatusFile, alive: boolean): ObservedStatus {
  if (!alive) return st.state === 'failed' ? 'failed' : 'exited';
  switch (st.state) {
    case 'running':
      return 'running';
    case 'starting':
    case 'backoff':
      return 'starting';
    case 'failed':
      return 'failed';
    case 'stopped':
      return 'stopped';
  }
}

export function toObserved(st: StatusFile): ObservedResource {
  const alive = supervisorAlive(st.supervisorPid);
  const o: ObservedResource = {
    address: st.address,
    runtime: st.runtime,
    backend: st.backend,
    specHash: st.specHash,
    live: { ...st.live },
    status: observedStatus(st, alive),
    restarts: st.restarts,
    startedAt: st.startedAt,
    native: {
      supervisorPid: st.supervisorPid,
      childPid: st.childPid,
      sessionPids: st.sessionPids ?? [],
      logPath: st.logPath,
      launchId: st.launchId,
    },
  };
  if (alive)
    o.endpoint = {
      transport: 'stdio',
      attach: { kind: 'process', socketPath: st.socketPath, ...(st.direct ? { direct: true } : {}) },
    };
  return o;
}

/** The status files of this backend's runtimes of one stack (none when its directory is missing). */
export function listStatuses(env: ProcessEnv, stack: string): StatusFile[] {
  const dir = stackDir(env, stack);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: StatusFile[] = [];
  for (const n of names) {
    if (!n.endsWith('.json')) continue;
    const st = readStatus(join(dir, n));
    if (st && st.stack === stack && st.backend === env.name) out.push(st);
  }
  return out;
}
