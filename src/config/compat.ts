// Which guardrails of a profile a backend can enforce, table-driven from BackendCapabilities,
// and the one wording of "this control is not enforced". The compiler (plan/desired.ts) is the
// one caller that decides per runtime, fed by each backend's describe(); `profiles check` reads
// the table. A host fact a backend finds at observe (no AppArmor) is worded here too.

import type { BackendCapabilities } from '../model/capabilities.js';
import type { Diagnostic, SourceRange } from '../diag/diagnostic.js';
import type { BackendType, GuardrailProfile } from '../generated/config.js';

export type ControlName =
  | 'network.egress_allowed'
  | 'network.allowed_hosts'
  | 'network.ingress_ports'
  | 'filesystem.read_only_root'
  | 'filesystem.allowed_mounts'
  | 'capabilities.drop_all'
  | 'capabilities.add'
  | 'resources.max_cpu'
  | 'resources.max_memory'
  | 'resources.max_pids'
  | 'seccomp'
  | 'apparmor';

export interface ControlStatus {
  control: ControlName;
  /** The profile sets this control (key present). */
  requested: boolean;
  /** What the profile asks for, in words (e.g. `add NET_BIND_SERVICE`). */
  value: string;
  enforced: boolean;
  /** Not enforced, and the profile asks for something real (a warning; an error when strict). */
  lossy: boolean;
  note: string;
}

export interface UnenforcedControl {
  control: ControlName;
  backend: BackendType | string;
  note: string;
  /** False when the control is set but asks for nothing (e.g. `add: []`), so nothing is lost. */
  lossy: boolean;
}

interface Rule {
  control: ControlName;
  /** The capability that enforces it, or a function of the capabilities. */
  enforced: (caps: BackendCapabilities, profile: GuardrailProfile) => boolean;
  /** Whether the profile sets the control, and whether it asks for anything. */
  read: (p: GuardrailProfile) => { requested: boolean; restrictive: boolean; value: string };
  /** Why it is not enforced (the backend's own behaviour), keyed by isolation level. */
  missing: (caps: BackendCapabilities) => string;
}

const isolation = (caps: BackendCapabilities): boolean => caps.network_isolation_level !== 'none';
const ce = (caps: BackendCapabilities): boolean => caps.network_isolation_level === 'project';
const list = (v: unknown[] | undefined): string => (v && v.length ? v.join(', ') : '(none)');

const RULES: Rule[] = [
  {
    control: 'network.egress_allowed',
    enforced: (c) => c.supports_egress_control,
    read: (p) => ({
      requested: p.network?.egress_allowed !== undefined,
      restrictive: p.network?.egress_allowed === false,
      value: `egress_allowed: ${String(p.network?.egress_allowed)}`,
    }),
    missing: () => 'processes share the host network; outbound traffic cannot be blocked',
  },
  {
    control: 'network.allowed_hosts',
    enforced: (c) => c.supports_egress_host_filtering,
    read: (p) => {
      const h = p.network?.allowed_hosts;
      // An empty list with egress off, or ["*"], asks for no per-host filtering.
      const restrictive = !!h && h.length > 0 && !h.includes('*');
      return { requested: h !== undefined, restrictive, value: `allowed_hosts: ${list(h)}` };
    },
    missing: (c) =>
      ce(c)
        ? 'Code Engine egress is on/off per project, without per-host filtering'
        : 'no egress filtering for local processes',
  },
  {
    control: 'network.ingress_ports',
    enforced: isolation,
    read: (p) => ({
      requested: p.network?.ingress_ports !== undefined,
      restrictive: (p.network?.ingress_ports?.length ?? 0) > 0,
      value: `ingress_ports: ${list(p.network?.ingress_ports)}`,
    }),
    missing: () => 'a local process can listen on any port',
  },
  {
    control: 'filesystem.read_only_root',
    enforced: (c) => c.supports_readonly_fs,
    read: (p) => ({
      requested: p.filesystem?.read_only_root !== undefined,
      restrictive: p.filesystem?.read_only_root === true,
      value: `read_only_root: ${String(p.filesystem?.read_only_root)}`,
    }),
    missing: (c) =>
      ce(c)
        ? 'the Code Engine filesystem is always ephemeral and writable'
        : 'a local process writes wherever its user may',
  },
  {
    control: 'filesystem.allowed_mounts',
    enforced: (c) => c.supports_mounts,
    read: (p) => ({
      requested: p.filesystem?.allowed_mounts !== undefined,
      restrictive: (p.filesystem?.allowed_mounts?.length ?? 0) > 0,
      value: `allowed_mounts: ${list(p.filesystem?.allowed_mounts)}`,
    }),
    missing: (c) =>
      ce(c) ? 'Code Engine apps cannot mount host paths' : 'a local process sees the whole host filesystem',
  },
  {
    control: 'capabilities.drop_all',
    // Code Engine's fixed pod security context already drops capabilities.
    enforced: (c) => c.supports_custom_capabilities || ce(c),
    read: (p) => ({
      requested: p.capabilities?.drop_all !== undefined,
      restrictive: p.capabilities?.drop_all === true,
      value: `drop_all: ${String(p.capabilities?.drop_all)}`,
    }),
    missing: () => 'a local process keeps the capabilities of its user',
  },
  {
    control: 'capabilities.add',
    enforced: (c) => c.supports_capability_add,
    read: (p) => ({
      requested: p.capabilities?.add !== undefined,
      restrictive: (p.capabilities?.add?.length ?? 0) > 0,
      value: `add: ${list(p.capabilities?.add)}`,
    }),
    missing: (c) =>
      ce(c)
        ? 'Code Engine cannot grant capabilities (fixed pod security standards)'
        : 'capabilities cannot be granted to a local process',
  },
  {
    control: 'resources.max_cpu',
    enforced: (c) => c.supports_resource_limits,
    read: (p) => ({
      requested: p.resources?.max_cpu !== undefined,
      restrictive: p.resources?.max_cpu !== undefined,
      value: `max_cpu: ${String(p.resources?.max_cpu)}`,
    }),
    missing: () => 'no CPU limit for local processes',
  },
  {
    control: 'resources.max_memory',
    enforced: (c) => c.supports_resource_limits,
    read: (p) => ({
      requested: p.resources?.max_memory !== undefined,
      restrictive: p.resources?.max_memory !== undefined,
      value: `max_memory: ${String(p.resources?.max_memory)}`,
    }),
    missing: () => 'no memory limit for local processes',
  },
  {
    control: 'resources.max_pids',
    enforced: (c) => c.supports_pid_limits,
    read: (p) => ({
      requested: p.resources?.max_pids !== undefined,
      restrictive: p.resources?.max_pids !== undefined,
      value: `max_pids: ${String(p.resources?.max_pids)}`,
    }),
    missing: (c) => (ce(c) ? 'Code Engine does not expose pid limits' : 'no pid limit for local processes'),
  },
  {
    control: 'seccomp',
    // Code Engine applies the runtime's default seccomp profile itself.
    enforced: (c, p) => c.supports_seccomp || (ce(c) && p.seccomp === 'runtime/default'),
    read: (p) => ({
      requested: p.seccomp !== undefined,
      // runtime/default is what Code Engine applies anyway; unconfined asks for nothing.
      restrictive: p.seccomp !== undefined && p.seccomp !== 'unconfined',
      value: `seccomp: ${String(p.seccomp)}`,
    }),
    missing: (c) =>
      ce(c)
        ? 'Code Engine applies its own seccomp profile; a custom one cannot be set'
        : 'no seccomp filter for local processes',
  },
  {
    control: 'apparmor',
    enforced: (c) => c.supports_apparmor,
    read: (p) => ({
      requested: p.apparmor !== undefined,
      restrictive: p.apparmor !== undefined && p.apparmor !== 'unconfined',
      value: `apparmor: ${String(p.apparmor)}`,
    }),
    missing: (c) =>
      ce(c)
        ? 'Code Engine applies its own AppArmor profile; a custom one cannot be set'
        : c.network_isolation_level === 'none'
          ? 'no AppArmor confinement for local processes'
          : 'the Docker engine has no AppArmor (its host kernel does not run it)',
  },
];

/** Short display name of a control: `read_only_root`, `capability add`, `max_pids`. */
export function controlLabel(control: ControlName): string {
  if (control === 'capabilities.add') return 'capability add';
  if (control === 'capabilities.drop_all') return 'capability drop_all';
  return control.includes('.') ? control.split('.')[1] : control;
}

/** Every control of the profile with its status on a backend with `caps`. */
export function controlStatuses(profile: GuardrailProfile, caps: BackendCapabilities): ControlStatus[] {
  return RULES.map((rule) => {
    const { requested, restrictive, value } = rule.read(profile);
    const enforced = rule.enforced(caps, profile);
    let note = enforced ? 'enforced' : rule.missing(caps);
    if (enforced && rule.control === 'capabilities.drop_all' && !caps.supports_custom_capabilities)
      note = 'enforced by the platform (fixed security context)';
    // Docker adds a capability to the container's bounding set; a server running as a non-root
    // USER starts with no effective capabilities (Docker sets no ambient ones), so the add only
    // reaches root in the container or a binary with file capabilities.
    if (enforced && rule.control === 'capabilities.add' && requested && caps.network_isolation_level === 'container')
      note =
        'enforced for root in the container; a non-root USER gets no effective capabilities from it (bounding set only, no ambient capabilities)';
    if (enforced && rule.control === 'seccomp' && !caps.supports_seccomp)
      note = 'enforced by the platform (its default seccomp profile)';
    if (!enforced && requested && !restrictive)
      note = `${note} (the profile asks for nothing here, so nothing is lost)`;
    return { control: rule.control, requested, value, enforced, lossy: requested && restrictive && !enforced, note };
  });
}

/**
 * The controls a profile sets that a backend cannot enforce. Entries with `lossy: false` are
 * set but ask for nothing (an empty list); validate warns only about lossy ones.
 */
export function unenforcedControls(
  profile: GuardrailProfile,
  caps: BackendCapabilities,
  backend: BackendType | string = kindOf(caps),
): UnenforcedControl[] {
  return controlStatuses(profile, caps)
    .filter((s) => s.requested && !s.enforced)
    .map((s) => ({ control: s.control, backend, note: s.note, lossy: s.lossy }));
}

function kindOf(caps: BackendCapabilities): BackendType {
  if (caps.network_isolation_level === 'project') return 'ibm_code_engine';
  if (caps.network_isolation_level === 'none') return 'process';
  return 'docker';
}

export interface UnenforcedDiagnosticInput {
  control: ControlName;
  /** Why the backend cannot enforce it (the table's note, or a host fact). */
  note: string;
  profileName: string;
  backendName: string;
  backendType: BackendType | string;
  strict: boolean;
  address?: string;
  range?: SourceRange;
}

/** The one diagnostic for a control that is not enforced: a warning, an error when strict. */
export function unenforcedDiagnostic(input: UnenforcedDiagnosticInput): Diagnostic {
  const note = `${input.note.charAt(0).toUpperCase()}${input.note.slice(1)}`;
  return {
    severity: input.strict ? 'error' : 'warning',
    code: 'guardrail.unenforced',
    summary: `${controlLabel(input.control)} of profile "${input.profileName}" is not enforced on ${input.backendType} backend "${input.backendName}"`,
    detail: `${note}. ${
      input.strict
        ? 'The profile is strict (or --strict was given): use a backend that enforces it, or a profile without it.'
        : 'The runtime runs without this control; set strict: true on the profile or pass --strict to make this an error.'
    }`,
    ...(input.address ? { address: input.address } : {}),
    ...(input.range ? { range: input.range } : {}),
  };
}

/** Every lossy unenforced control of a runtime's profile on a backend with `capabilities`. */
export function unenforcedDiagnostics(
  input: Omit<UnenforcedDiagnosticInput, 'control' | 'note'> & {
    profile: GuardrailProfile;
    capabilities: BackendCapabilities;
  },
): Diagnostic[] {
  return unenforcedControls(input.profile, input.capabilities, input.backendType)
    .filter((c) => c.lossy)
    .map((c) => unenforcedDiagnostic({ ...input, control: c.control, note: c.note }));
}

const UNENFORCED_SUMMARY = /^(.+) of profile "(.*)" is not enforced on (\S+) backend "(.*)"$/;

/**
 * The unenforced-control warnings of one runtime as one diagnostic: a profile made for
 * containers on the process backend loses eight controls at once, and eight warnings per
 * runtime per command drowned everything else. Other diagnostics, errors (strict) included,
 * pass unchanged; the merged one keeps the first one's position and lists every note.
 */
export function summarizeUnenforced(diags: readonly Diagnostic[]): Diagnostic[] {
  const groups = new Map<string, { first: Diagnostic; at: number; labels: string[]; notes: string[] }>();
  const out: Diagnostic[] = [];
  for (const d of diags) {
    const m = d.code === 'guardrail.unenforced' && d.severity === 'warning' ? UNENFORCED_SUMMARY.exec(d.summary) : null;
    if (!m) {
      out.push(d);
      continue;
    }
    const key = [d.address ?? '', m[2], m[3], m[4]].join('\0');
    const g = groups.get(key);
    const note = d.detail?.split('. ')[0] ?? '';
    if (g) {
      g.labels.push(m[1]);
      if (note) g.notes.push(note);
      continue;
    }
    groups.set(key, { first: d, at: out.length, labels: [m[1]], notes: note ? [note] : [] });
    out.push(d);
  }
  for (const g of groups.values()) {
    if (g.labels.length < 2) continue;
    const m = UNENFORCED_SUMMARY.exec(g.first.summary)!;
    out[g.at] = {
      ...g.first,
      summary: `${g.labels.join(', ')} of profile "${m[2]}" are not enforced on ${m[3]} backend "${m[4]}"`,
      detail: `${[...new Set(g.notes)].map((n, i) => (i ? n.charAt(0).toLowerCase() + n.slice(1) : n)).join('; ')}. The runtime runs without these controls; set strict: true on the profile or pass --strict to make them errors, or pick a profile made for ${m[3]}.`,
    };
  }
  return out;
}
