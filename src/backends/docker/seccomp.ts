// The seccomp profile text a Docker container is created with: read from the file the runtime
// names, and only when its content is still the content the plan hashed (spec.guardrails.
// seccompDigest), so a container never runs a filter the plan did not show. Reads one file.

import { error, type Result } from '../../diag/diagnostic.js';
import type { DesiredResource } from '../../model/resources.js';
import { isSeccompFile, readSeccompProfile, type SeccompProfile } from '../../sources/seccomp.js';

/** The profile to apply (no value and no diagnostics: the runtime names no profile file). */
export async function seccompFor(d: DesiredResource, configDir: string): Promise<Result<SeccompProfile>> {
  const path = d.spec.guardrails.seccomp;
  if (!isSeccompFile(path)) return { diags: [] };
  let profile: SeccompProfile;
  try {
    profile = await readSeccompProfile(path, configDir);
  } catch (err) {
    return {
      diags: [
        error('docker.seccomp-unreadable', `Seccomp profile ${path} of ${d.address} cannot be read as JSON`, {
          address: d.address,
          detail: `Fix the path or the file (${(err as Error).message}).`,
        }),
      ],
    };
  }
  const planned = d.spec.guardrails.seccompDigest;
  if (planned && planned !== profile.digest) {
    return {
      diags: [
        error('docker.seccomp-changed', `Seccomp profile ${path} of ${d.address} changed after the plan was made`, {
          address: d.address,
          detail: 'Plan again: the new content replaces the container with the new filter.',
        }),
      ],
    };
  }
  return { value: profile, diags: [] };
}
