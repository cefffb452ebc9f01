// Is the lock still true to the config? Compares each configured runtime's freshly resolved
// artifact pin with the one the lock holds, and the two runtime sets. Pure: the caller resolves
// the pins (image inspect, git) and reads the file; `lock --check` and `plan` print the result.

import { canonicalJson } from '../model/canonical.js';
import { sameArtifact, type ArtifactPin } from '../model/tool-surface.js';
import type { LockFile } from './file.js';

export interface LockProblem {
  runtime: string;
  /** One sentence: what differs. */
  why: string;
}

const show = (p: ArtifactPin): string => `${p.ref}${p.digest ? ` (${p.digest})` : ''}`;

/** Every way the lock disagrees with the resolved pins of the config; empty when current. */
export function lockProblems(lock: LockFile | undefined, pins: Readonly<Record<string, ArtifactPin>>): LockProblem[] {
  const out: LockProblem[] = [];
  const names = Object.keys(pins).sort();
  if (!lock) return names.map((runtime) => ({ runtime, why: 'there is no lock file' }));
  for (const runtime of names) {
    const entry = lock.runtimes[runtime];
    const pin = pins[runtime];
    if (!entry?.artifact) {
      out.push({ runtime, why: 'it is not in the lock' });
      continue;
    }
    if (sameArtifact(entry.artifact, pin)) continue;
    const was = entry.artifact;
    if (was.ref !== pin.ref) out.push({ runtime, why: `its artifact changed from ${show(was)} to ${show(pin)}` });
    else if (was.digest !== pin.digest)
      out.push({
        runtime,
        why: `${pin.ref} now resolves to ${pin.digest ?? '(nothing)'}, the lock pins ${was.digest ?? '(nothing)'}`,
      });
    else if (canonicalJson(was.members) !== canonicalJson(pin.members))
      out.push({ runtime, why: `a compose member of ${pin.ref} resolves to another image` });
    else out.push({ runtime, why: `its artifact pin differs (${was.type} → ${pin.type})` });
  }
  for (const runtime of Object.keys(lock.runtimes).sort())
    if (!(runtime in pins)) out.push({ runtime, why: 'it is in the lock but no longer in the config' });
  return out;
}
