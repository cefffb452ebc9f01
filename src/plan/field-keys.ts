// What a plan line calls a field, and which fields a plan shows by default. Internal paths
// (`guardrails.allowedHosts`, `hostPort`) become the names the user writes in contextforge.yaml
// and profiles (`network.allowed_hosts`, `host_port`); a created runtime's lines leave out what
// the user did not set and what equals the default (`--verbose` shows all). Pure; the JSON
// format keeps the internal paths, which are its documented API.

import type { Change, FieldChange } from '../model/resources.js';

/** Guardrail paths by the key a profile file gives them. */
const GUARDRAIL_KEYS: Record<string, string> = {
  profile: 'guardrails_profile',
  strict: 'strict',
  egressAllowed: 'network.egress_allowed',
  allowedHosts: 'network.allowed_hosts',
  ingressPorts: 'network.ingress_ports',
  readOnlyRoot: 'filesystem.read_only_root',
  allowedMounts: 'filesystem.allowed_mounts',
  dropAll: 'capabilities.drop_all',
  capAdd: 'capabilities.add',
  maxCpu: 'resources.max_cpu',
  maxMemory: 'resources.max_memory',
  maxPids: 'resources.max_pids',
  seccomp: 'seccomp',
  seccompDigest: 'seccomp (content)',
  apparmor: 'apparmor',
};

/** Whole paths whose config name is not their snake_case spelling. */
const RENAMED: Record<string, string> = {
  secretEnv: 'env',
  'source.buildTimeoutSeconds': 'source.build_timeout',
  'scale.requestTimeoutSeconds': 'scale.request_timeout',
  'build.push': 'source.push_to_registry',
};

/** Prefixes whose next segment is a name the user chose (env var, label, build arg, runtime). */
const MAPS = ['env', 'secretEnv', 'labels', 'source.buildArgs', 'build.buildArgs', 'upstreams'];

const snake = (s: string): string => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The config's own name for an internal field path. */
export function configKey(path: string): string {
  if (path.startsWith('guardrails.')) {
    const key = path.slice('guardrails.'.length);
    return GUARDRAIL_KEYS[key] ?? snake(key);
  }
  if (RENAMED[path]) return RENAMED[path];
  for (const m of MAPS) {
    if (path.startsWith(`${m}.`)) {
      const name = path.slice(m.length + 1);
      return `${RENAMED[m] ?? m.split('.').map(snake).join('.')}.${name}`;
    }
  }
  return path.split('.').map(snake).join('.');
}

/** Values a field takes when nothing sets it: a created runtime's plan leaves them out. */
function isDefault(f: FieldChange): boolean {
  const v = f.after;
  if (v === undefined) return false;
  if (Array.isArray(v) && v.length === 0) return true;
  if (v && typeof v === 'object' && Object.keys(v).length === 0) return true;
  if (f.path === 'restart' && v === 'unless-stopped') return true;
  if (f.path === 'source.type' || f.path === 'source.inline') return true;
  if (f.path === 'source.pull' && v === 'missing') return true;
  if (f.path === 'source.pushToRegistry' && v === false) return true;
  return false;
}

/**
 * The fields a plan shows for a change: every one with `verbose`, and for an update, replace
 * or delete (each field there is a difference). A create leaves out guardrails that are its
 * profile's own values (the `guardrails_profile` line names them) and default values.
 */
export function shownFields(c: Change, verbose = false): { fields: FieldChange[]; hidden: number } {
  if (verbose || c.action !== 'create') return { fields: c.fields, hidden: 0 };
  const fromProfile = new Set((c.desired?.fromProfile ?? []).map((k) => `guardrails.${k}`));
  const fields = c.fields.filter((f) => !fromProfile.has(f.path) && !isDefault(f));
  return { fields, hidden: c.fields.length - fields.length };
}
