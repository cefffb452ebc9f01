// Guardrail controls a backend cannot enforce, derived from its capability flags: the seed's
// "warning naming the control and the backend" behaviour. Pure. When src/config/compat.ts
// (owned by the config loader) exports `unenforcedControls`, desired.ts prefers it.

import type { BackendCapabilities } from '../backends/backend.js';
import type { Diagnostic } from '../diag/diagnostic.js';
import type { EffectiveGuardrails } from './types.js';

export interface UnenforcedControl {
  /** The profile key, e.g. `filesystem.read_only_root`. */
  control: string;
  why: string;
}

/** Controls the guardrails ask for that capabilities say the backend cannot enforce. */
export function unenforcedFromCapabilities(g: EffectiveGuardrails, caps: BackendCapabilities): UnenforcedControl[] {
  const out: UnenforcedControl[] = [];
  const add = (control: string, why: string): void => {
    out.push({ control, why });
  };
  if (!g.egressAllowed && !caps.supports_egress_control) add('network.egress_allowed', 'egress cannot be switched off');
  if (g.egressAllowed && g.allowedHosts.length > 0 && !g.allowedHosts.includes('*') && !caps.supports_egress_host_filtering) {
    add('network.allowed_hosts', 'egress cannot be limited to a host allow-list');
  }
  if (g.readOnlyRoot && !caps.supports_readonly_fs) add('filesystem.read_only_root', 'the root filesystem cannot be made read-only');
  if (g.allowedMounts.length > 0 && !caps.supports_mounts) add('filesystem.allowed_mounts', 'mounts are not supported');
  if (g.dropAll && !caps.supports_custom_capabilities) add('capabilities.drop_all', 'capabilities cannot be dropped');
  if (g.capAdd.length > 0 && !caps.supports_capability_add) add('capabilities.add', 'capabilities cannot be added');
  if (g.maxPids !== undefined && !caps.supports_pid_limits) add('resources.max_pids', 'process counts cannot be limited');
  if ((g.maxCpu !== undefined || g.maxMemory !== undefined) && !caps.supports_resource_limits) {
    add('resources.max_cpu/max_memory', 'cpu and memory cannot be limited');
  }
  if (g.seccomp && g.seccomp !== 'unconfined' && !caps.supports_seccomp) add('seccomp', 'seccomp profiles are not supported');
  if (g.apparmor && !caps.supports_apparmor) add('apparmor', 'AppArmor profiles are not supported');
  return out;
}

/** One warning (or error when strict) per unenforced control. */
export function unenforcedDiagnostics(input: {
  address: string;
  backend: string;
  backendType: string;
  guardrails: EffectiveGuardrails;
  controls: UnenforcedControl[];
  strict: boolean;
}): Diagnostic[] {
  return input.controls.map((c) => ({
    severity: input.strict ? 'error' : 'warning',
    code: 'guardrail.unenforced',
    summary: `${c.control} of profile ${input.guardrails.profile} is not enforced on backend ${input.backend} (${input.backendType}): ${c.why}`,
    detail: input.strict
      ? 'The profile or --strict makes unenforceable controls errors: choose a backend that enforces the control, or a profile that does not ask for it.'
      : 'The runtime will run without this control. Set strict: true on the profile (or pass --strict) to refuse instead.',
    address: input.address,
  }));
}
