// The Code Engine view of a runtime: `ManagedApp`, the fields of an app contextforge manages,
// built from a desired resource (config) and from a live app (observe) in the same canonical
// form so that a field-level diff between the two is the plan. Also the app prototype and the
// minimal merge patch. Pure. Secret values never enter a ManagedApp (digests only).

import type { CodeEngineBackend } from '../../generated/config.js';
import { canonicalJson, secretDigest } from '../../model/canonical.js';
import type { DesiredResource } from '../../model/resources.js';
import { canonicalCpu, canonicalMemory, ceResources } from './resources.js';
import { HASH_ENV, STACK_ENV } from './names.js';
import type { App, AppPatch, AppPrototype, EnvVar, ManagedDomainMappings, Probe } from './types.js';

export type Visibility = 'public' | 'private' | 'project';

/**
 * A probe in one comparable line, e.g. `tcp port=app interval=10s timeout=1s failures=1`:
 * defaults filled in, the app port written as `app`, so that equal probes print equal.
 */
export type NormalizedProbe = string;

/** The fields of one Code Engine app that contextforge owns, in canonical form. */
export interface ManagedApp {
  image: string;
  port: number;
  command: string[];
  args: string[];
  /** Plain env values (literal). */
  env: Record<string, string>;
  /** Secret env name → digest of the value held in our generic secret. */
  secretDigests: Record<string, string>;
  imageSecret?: string;
  scale: { min: number; max: number; concurrency: number; requestTimeout: number };
  resources: { cpu: string; memory: string; ephemeralStorage?: string };
  visibility: Visibility;
  probes: { readiness: NormalizedProbe; liveness: NormalizedProbe | null };
  /** The deployed gateway only: the runtimes it serves, as `<transport> <path>` (gateway-app.ts). */
  upstreams?: Record<string, string>;
}

export const VISIBILITY_TO_CE: Record<Visibility, ManagedDomainMappings> = {
  public: 'local_public',
  private: 'local_private',
  project: 'local',
};
const CE_TO_VISIBILITY: Record<ManagedDomainMappings, Visibility> = {
  local_public: 'public',
  local_private: 'private',
  local: 'project',
};

/** Code Engine's defaults (reference §5), used where config says nothing. */
export const CE_SCALE_DEFAULTS = { min: 0, max: 10, concurrency: 100, requestTimeout: 300 } as const;

/** What we ask for: readiness when the port accepts connections; liveness the same, gentler. */
const READINESS: Probe = { type: 'tcp' };
const LIVENESS: Probe = { type: 'tcp', interval: 30, timeout: 5, failure_threshold: 3 };

/**
 * The service's probe defaults (IBM's Terraform provider: type tcp, interval 10, timeout 1,
 * failure_threshold 1; port 0 or absent means the app port; an unset initial_delay may read
 * back as 0). A probe is compared after these are filled in, so a probe the service echoes with
 * its defaults spelled out equals the one we sent without them.
 */
export const CE_PROBE_DEFAULTS = { type: 'tcp', interval: 10, timeout: 1, failureThreshold: 1 } as const;

export function normalizeProbe(p: Probe | undefined | null, appPort: number): NormalizedProbe | null {
  if (!p) return null;
  const type = p.type ?? CE_PROBE_DEFAULTS.type;
  const parts: string[] = [type];
  if (type === 'http') parts.push(`path=${p.path || '/'}`);
  parts.push(`port=${!p.port || p.port === appPort ? 'app' : p.port}`);
  if (p.initial_delay) parts.push(`delay=${p.initial_delay}s`);
  parts.push(
    `interval=${p.interval || CE_PROBE_DEFAULTS.interval}s`,
    `timeout=${p.timeout || CE_PROBE_DEFAULTS.timeout}s`,
    `failures=${p.failure_threshold || CE_PROBE_DEFAULTS.failureThreshold}`,
  );
  return parts.join(' ');
}

export interface DesiredAppInput {
  desired: DesiredResource;
  config: CodeEngineBackend;
  /** The image to run: the source image, or the build output for github sources. */
  image: string;
}

/** The managed view of a desired runtime, or why it cannot run on Code Engine. */
export function desiredApp(input: DesiredAppInput): { value?: ManagedApp; problem?: string } {
  const { desired: d, config } = input;
  const s = d.spec;
  if (
    s.source.type === 'compose' ||
    s.source.type === 'command' ||
    s.source.type === 'package' ||
    s.source.type === 'remote'
  )
    return { problem: `${s.source.type} sources cannot run on Code Engine` };
  if (s.transport.type === 'stdio') return { problem: 'stdio transport cannot be reached on Code Engine' };
  const port = s.transport.port ?? 8080;
  const res = ceResources(s.guardrails.maxCpu, s.guardrails.maxMemory);
  if (!res.ok) return { problem: `${res.requested} is not a valid Code Engine pair: ${res.reason}` };
  const imageSecret =
    s.source.type === 'github' ? (config.image_secret ?? config.build?.output_secret) : config.image_secret;
  const app: ManagedApp = {
    image: input.image,
    port,
    command: s.source.type === 'docker' ? [...(s.source.command ?? [])] : [],
    args: [...((s.source.type === 'docker' || s.source.type === 'github' ? s.source.args : undefined) ?? [])],
    env: { ...s.env },
    secretDigests: { ...s.secretDigests },
    scale: {
      min: s.scale?.min ?? CE_SCALE_DEFAULTS.min,
      max: s.scale?.max ?? CE_SCALE_DEFAULTS.max,
      concurrency: s.scale?.concurrency ?? CE_SCALE_DEFAULTS.concurrency,
      requestTimeout: s.scale?.requestTimeoutSeconds ?? CE_SCALE_DEFAULTS.requestTimeout,
    },
    resources: { cpu: res.cpu, memory: res.memory },
    visibility: s.visibility ?? 'public',
    probes: { readiness: normalizeProbe(READINESS, port)!, liveness: normalizeProbe(LIVENESS, port) },
  };
  if (imageSecret) app.imageSecret = imageSecret;
  const eph = config.per_deployment_limits?.ephemeral_storage;
  if (eph) app.resources.ephemeralStorage = canonicalMemory(eph);
  return { value: app };
}

export interface PrototypeInput {
  name: string;
  stack: string;
  app: ManagedApp;
  /** The desired resource's spec hash, recorded in HASH_ENV (tells config changes from drift). */
  specHash: string;
  /** Name of our generic secret (when the runtime has secret env). */
  secretName?: string;
}

/** The full app prototype (create body; the patch is computed against it). */
export function appPrototype(input: PrototypeInput): AppPrototype {
  const { app } = input;
  const env: EnvVar[] = [
    { type: 'literal', name: STACK_ENV, value: input.stack },
    { type: 'literal', name: HASH_ENV, value: input.specHash },
    ...Object.keys(app.env)
      .sort()
      .map((name): EnvVar => ({ type: 'literal', name, value: app.env[name] })),
    ...Object.keys(app.secretDigests)
      .sort()
      .map((name): EnvVar => ({ type: 'secret_key_reference', name, reference: input.secretName, key: name })),
  ];
  const proto: AppPrototype = {
    name: input.name,
    image_reference: app.image,
    image_port: app.port,
    managed_domain_mappings: VISIBILITY_TO_CE[app.visibility],
    probe_readiness: READINESS,
    probe_liveness: LIVENESS,
    run_commands: app.command,
    run_arguments: app.args,
    run_env_variables: env,
    scale_cpu_limit: app.resources.cpu,
    scale_memory_limit: app.resources.memory,
    scale_min_instances: app.scale.min,
    scale_max_instances: app.scale.max,
    scale_concurrency: app.scale.concurrency,
    scale_request_timeout: app.scale.requestTimeout,
  };
  if (app.imageSecret) proto.image_secret = app.imageSecret;
  if (app.resources.ephemeralStorage) proto.scale_ephemeral_storage_limit = app.resources.ephemeralStorage;
  return proto;
}

export interface LiveAppInput {
  app: App;
  stack: string;
  runtime: string;
  /** Our secret of this runtime, with its data (values only hashed here). */
  secret?: { name: string; data?: Record<string, string> };
}

/** The managed view of a live app, plus the spec hash it carries. */
export function liveApp(input: LiveAppInput): { value: ManagedApp; specHash?: string } {
  const { app, stack, runtime, secret } = input;
  const env: Record<string, string> = {};
  const secretDigests: Record<string, string> = {};
  let specHash: string | undefined;
  for (const e of app.run_env_variables ?? []) {
    const type = e.type ?? 'literal';
    const name = e.name ?? '';
    if (type === 'literal') {
      if (name === STACK_ENV) continue;
      if (name === HASH_ENV) {
        specHash = e.value;
        continue;
      }
      env[name] = e.value ?? '';
    } else if (type === 'secret_key_reference' && secret && e.reference === secret.name && e.key === name) {
      const value = secret.data?.[name];
      // A key missing from the secret is drift too; its digest can never equal a real one.
      secretDigests[name] = value === undefined ? 'missing' : secretDigest({ stack, runtime, name, value });
    } else if (name) {
      // References we did not make (a console edit): shown by what they point at, never a value.
      env[name] = `(${type} ${e.reference ?? ''}${e.key ? `:${e.key}` : ''})`;
    } else {
      env[`(${type} ${e.reference ?? ''})`] = e.prefix ?? '';
    }
  }
  const port = app.image_port ?? 8080;
  const value: ManagedApp = {
    image: app.image_reference,
    port,
    command: [...(app.run_commands ?? [])],
    args: [...(app.run_arguments ?? [])],
    env: Object.fromEntries(Object.entries(env).sort(([a], [b]) => a.localeCompare(b))),
    secretDigests,
    scale: {
      min: app.scale_min_instances ?? CE_SCALE_DEFAULTS.min,
      max: app.scale_max_instances ?? CE_SCALE_DEFAULTS.max,
      concurrency: app.scale_concurrency ?? CE_SCALE_DEFAULTS.concurrency,
      requestTimeout: app.scale_request_timeout ?? CE_SCALE_DEFAULTS.requestTimeout,
    },
    resources: { cpu: canonicalCpu(app.scale_cpu_limit), memory: canonicalMemory(app.scale_memory_limit) },
    visibility: CE_TO_VISIBILITY[app.managed_domain_mappings ?? 'local_public'] ?? 'public',
    probes: {
      readiness: normalizeProbe(app.probe_readiness ?? { type: 'tcp' }, port)!,
      liveness: normalizeProbe(app.probe_liveness, port),
    },
  };
  if (app.image_secret) value.imageSecret = app.image_secret;
  if (app.scale_ephemeral_storage_limit)
    value.resources.ephemeralStorage = canonicalMemory(app.scale_ephemeral_storage_limit);
  return { value, specHash };
}

const PROBE_KEYS = new Set(['probe_readiness', 'probe_liveness']);

/**
 * The merge patch from `current` to `proto`: the top-level fields whose value differs (arrays
 * and probe objects replaced whole), `null` for optional fields we no longer set. Null when
 * nothing differs.
 */
export function mergePatch(current: App, proto: AppPrototype): AppPatch | null {
  const patch: Record<string, unknown> = {};
  const cur = current as unknown as Record<string, unknown>;
  const port = current.image_port ?? 8080;
  for (const [key, want] of Object.entries(proto)) {
    if (key === 'name' || want === undefined) continue;
    const have = cur[key];
    const same = PROBE_KEYS.has(key)
      ? canonicalJson(normalizeProbe(have as Probe | undefined, port)) ===
        canonicalJson(normalizeProbe(want as Probe, proto.image_port ?? 8080))
      : key === 'scale_cpu_limit'
        ? canonicalCpu(have as string | undefined) === canonicalCpu(want as string)
        : key === 'scale_memory_limit' || key === 'scale_ephemeral_storage_limit'
          ? have !== undefined && canonicalMemory(have as string) === canonicalMemory(want as string)
          : canonicalJson(have ?? null) === canonicalJson(want);
    if (!same) patch[key] = want;
  }
  if (current.image_secret && !proto.image_secret) patch.image_secret = null;
  return Object.keys(patch).length ? (patch as AppPatch) : null;
}
