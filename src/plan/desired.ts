// Compiles a LoadedConfig into desired resources (one per enabled runtime): resolves the catalog
// entry and guardrail profile, merges limits, normalizes the source and transport, splits env
// into plain and secret values and hashes the spec. Pure: no I/O, no clock, no randomness.

import type { BackendCapabilities } from '../model/capabilities.js';
import { error, type Diagnostic, type Result, type SourceRange } from '../diag/diagnostic.js';
import {
  type LoadedConfig,
  type ResolvedCatalogEntry,
  type ResolvedProfile,
  type ResolvedRuntime,
  fitCodeEngineLimits,
  limitsFitted,
  unenforcedDiagnostics,
  parseCpu,
  parseDuration,
  parseDurationMs,
  parseMemory,
} from '../config/index.js';
import type {
  Backend as BackendConfig,
  CodeEngineBackend,
  DockerBackend,
  ResourceLimits,
  Transport,
} from '../generated/config.js';
import { evaluateApproval } from './approval.js';
import { compileGatewayDeploy } from './gateway-deploy.js';
import { hashOf, secretDigest } from '../model/canonical.js';
import { CAPABILITIES_BY_KIND } from '../model/capabilities.js';
import type {
  DesiredResource,
  EffectiveGuardrails,
  NormalizedSource,
  RuntimeSpec,
  TransportSpec,
} from '../model/resources.js';

export interface CompileOptions {
  /**
   * Capabilities by backend name (from Backend.describe()), for unenforced-control warnings;
   * default: the static capabilities of the backend's kind.
   */
  capabilities?: Record<string, BackendCapabilities>;
  /** `--strict`: unenforceable controls are errors for every profile. */
  strict?: boolean;
}

export function runtimeAddress(name: string): string {
  return `runtime.${name}`;
}

/**
 * Every enabled runtime of the config as a desired resource, and the gateway app of
 * `gateway.deploy` when there is one, plus compile diagnostics.
 */
export function compileDesired(config: LoadedConfig, options: CompileOptions = {}): Result<DesiredResource[]> {
  const diags: Diagnostic[] = [];
  const out: DesiredResource[] = [];
  for (const runtime of config.runtimes) {
    if (runtime.enabled === false) continue;
    const r = compileRuntime(config, runtime, options);
    diags.push(...r.diags);
    if (r.value) out.push(r.value);
  }
  const gateway = compileGatewayDeploy(config, out);
  diags.push(...gateway.diags);
  if (gateway.value) out.push(gateway.value);
  out.sort((a, b) => a.address.localeCompare(b.address));
  return { value: out, diags };
}

function compileRuntime(
  config: LoadedConfig,
  runtime: ResolvedRuntime,
  options: CompileOptions,
): Result<DesiredResource> {
  const address = runtimeAddress(runtime.name);
  const range = runtime.origin.range;
  const entry = config.catalog[runtime.catalog];
  if (!entry)
    return {
      diags: [
        error('ref.unknown-catalog', `runtime ${runtime.name} names unknown catalog entry ${runtime.catalog}`, {
          address,
          range,
        }),
      ],
    };
  const backendConfig = config.backends[runtime.backend];
  if (!backendConfig)
    return {
      diags: [
        error('ref.unknown-backend', `runtime ${runtime.name} names unknown backend ${runtime.backend}`, {
          address,
          range,
        }),
      ],
    };
  const profileName = runtime.guardrails_profile ?? entry.guardrails_profile ?? config.defaultProfile;
  const profile = config.profiles[profileName];
  if (!profile)
    return {
      diags: [
        error('ref.unknown-profile', `runtime ${runtime.name} uses unknown guardrails profile ${profileName}`, {
          address,
          range,
        }),
      ],
    };

  const diags: Diagnostic[] = [];
  const guardrails = effectiveGuardrails({ profile, backendConfig, runtime, address, diags, strict: options.strict });
  const env = splitEnv({ config, runtime, entry, address, diags });
  const source = normalizeSource(entry);
  // The base image is part of what runs on Docker: changing it rebuilds and replaces.
  if (source.type === 'package' && backendConfig.type === 'docker')
    source.baseImage = packageBaseImage(backendConfig, source.registry);
  const transport = normalizeTransport(entry.transport, source);
  const spec: RuntimeSpec = {
    catalog: entry.slug,
    source,
    transport,
    env: env.plain,
    secretDigests: env.digests,
    guardrails,
    scale: scaleOf(runtime, backendConfig),
    visibility:
      runtime.visibility ?? (backendConfig.type === 'ibm_code_engine' ? backendConfig.default_visibility : undefined),
    hostPort: runtime.host_port,
    restart: runtime.restart ?? 'unless-stopped',
    labels: { ...(runtime.labels ?? {}) },
  };
  if (spec.scale && Object.keys(spec.scale).length === 0) delete spec.scale;
  dropUndefined(spec);

  diags.push(
    ...runtimeUnenforced({ config, runtime, backendConfig, profileName, profile, strict: guardrails.strict, options }),
  );

  const approval = evaluateApproval(config.approval, {
    runtime: runtime.name,
    catalog: entry.slug,
    sourceType: source.type,
    image: source.type === 'docker' ? source.image : source.type === 'github' ? source.registry : undefined,
    profile: profileName,
    backendType: backendConfig.type,
    entryRequiresApproval: entry.requires_approval,
  });

  const resource: DesiredResource = {
    address,
    runtime: runtime.name,
    backend: runtime.backend,
    backendType: backendConfig.type,
    spec,
    secretEnv: env.secret,
    specHash: hashOf(spec),
    dependsOn: (runtime.depends_on ?? []).map(runtimeAddress).sort(),
    range,
    // Only guardrail findings travel with the resource (plans show them per runtime); other
    // errors are returned to the caller, which refuses to plan.
    diagnostics: diags.filter((d) => d.code.startsWith('guardrail.') || d.code === 'ce.limits-fitted'),
    approval,
    fromProfile: profileKeys(guardrails, profile),
  };
  const healthTimeoutMs = parseDurationMs(entry.health?.timeout);
  if (healthTimeoutMs !== undefined) resource.healthTimeoutMs = healthTimeoutMs;
  return { value: resource, diags };
}

/** Keys of the effective guardrails that hold the profile's own value (limits may be overridden). */
function profileKeys(g: EffectiveGuardrails, profile: ResolvedProfile): string[] {
  const res = profile.resources ?? {};
  const limits: Record<string, unknown> = {
    maxCpu: parseCpu(res.max_cpu),
    maxMemory: parseMemory(res.max_memory),
    maxPids: res.max_pids,
  };
  return Object.keys(g).filter((k) => k !== 'profile' && (!(k in limits) || limits[k] === g[k as keyof typeof g]));
}

/**
 * The one decision on enforceability: the controls of a runtime's profile that its backend
 * cannot enforce, judged by the capabilities its describe() returns (the kind's table when no
 * backend is at hand), pointing at where the runtime names its profile (else its backend).
 */
function runtimeUnenforced(input: {
  config: LoadedConfig;
  runtime: ResolvedRuntime;
  backendConfig: BackendConfig;
  profileName: string;
  profile: ResolvedProfile;
  strict: boolean;
  options: CompileOptions;
}): Diagnostic[] {
  const { config, runtime, backendConfig } = input;
  const index = config.document.runtimes?.findIndex((r) => r.name === runtime.name) ?? -1;
  const key = runtime.guardrails_profile !== undefined ? 'guardrails_profile' : 'backend';
  const range: SourceRange | undefined =
    (index >= 0 ? config.sourceMap.get(`${runtime.origin.file}#/runtimes/${index}/${key}`) : undefined) ??
    runtime.origin.range;
  return unenforcedDiagnostics({
    profileName: input.profileName,
    profile: input.profile,
    backendName: runtime.backend,
    backendType: backendConfig.type,
    capabilities: input.options.capabilities?.[runtime.backend] ?? CAPABILITIES_BY_KIND[backendConfig.type],
    strict: input.strict,
    address: runtimeAddress(runtime.name),
    range,
  });
}

/**
 * What `validate` reports about enforceability without compiling: the same decision as
 * compileDesired makes per runtime, for every enabled runtime whose references resolve.
 */
export function unenforcedGuardrails(config: LoadedConfig, options: CompileOptions = {}): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const runtime of config.runtimes) {
    if (runtime.enabled === false) continue;
    const entry = config.catalog[runtime.catalog];
    const backendConfig = config.backends[runtime.backend];
    const profileName = runtime.guardrails_profile ?? entry?.guardrails_profile ?? config.defaultProfile;
    const profile = config.profiles[profileName];
    if (!entry || !backendConfig || !profile) continue;
    const strict = options.strict === true || profile.strict === true;
    out.push(...runtimeUnenforced({ config, runtime, backendConfig, profileName, profile, strict, options }));
  }
  return out;
}

function limitsOf(backend: BackendConfig): ResourceLimits | undefined {
  if (backend.type === 'docker') return backend.default_limits;
  if (backend.type === 'ibm_code_engine') return backend.per_deployment_limits;
  return undefined;
}

/**
 * Limits: the runtime's own request, else the backend default, else the profile maximum. The
 * profile maximum is a ceiling: a request above it is an error, a backend default above it is
 * capped to it.
 */
function effectiveGuardrails(input: {
  profile: ResolvedProfile;
  backendConfig: BackendConfig;
  runtime: ResolvedRuntime;
  address: string;
  diags: Diagnostic[];
  strict?: boolean;
}): EffectiveGuardrails {
  const { profile, runtime, address, diags } = input;
  const backendLimits = limitsOf(input.backendConfig);
  const requested = runtime.resources;
  const pick = (
    key: 'cpu' | 'memory' | 'pids',
    profileMax: number | undefined,
    parse: (v: string | number | undefined) => number | undefined,
  ): number | undefined => {
    const own = parse(requested?.[key] as string | number | undefined);
    const dflt = parse(backendLimits?.[key] as string | number | undefined);
    if (own !== undefined && profileMax !== undefined && own > profileMax) {
      diags.push(
        error(
          'guardrail.limit-exceeded',
          `runtime ${runtime.name} asks for ${key} ${String(requested?.[key])}, above the maximum of profile ${profile.name}`,
          {
            address,
            range: runtime.origin.range,
            detail: `Lower resources.${key} to at most the profile's max, or use a profile that allows more.`,
          },
        ),
      );
      return profileMax;
    }
    if (own !== undefined) return own;
    if (dflt !== undefined) return profileMax !== undefined ? Math.min(dflt, profileMax) : dflt;
    return profileMax;
  };
  const res = profile.resources ?? {};
  const g: EffectiveGuardrails = {
    profile: profile.name,
    egressAllowed: profile.network?.egress_allowed ?? true,
    allowedHosts: [...(profile.network?.allowed_hosts ?? [])].sort(),
    ingressPorts: [...(profile.network?.ingress_ports ?? [])].sort((a, b) => a - b),
    readOnlyRoot: profile.filesystem?.read_only_root ?? false,
    allowedMounts: [...(profile.filesystem?.allowed_mounts ?? [])].sort(),
    dropAll: profile.capabilities?.drop_all ?? false,
    capAdd: [...(profile.capabilities?.add ?? [])].map((c) => c.toUpperCase()).sort(),
    maxCpu: pick('cpu', parseCpu(res.max_cpu), parseCpu),
    maxMemory: pick('memory', parseMemory(res.max_memory), (v) => parseMemory(v as string | undefined)),
    maxPids: pick('pids', res.max_pids, (v) => (typeof v === 'number' ? v : undefined)),
    seccomp: profile.seccomp,
    apparmor: profile.apparmor,
    strict: Boolean(profile.strict || input.strict),
  };
  if (input.backendConfig.type === 'ibm_code_engine')
    fitForCodeEngine({ g, profile, backend: input.backendConfig, runtime, address, diags });
  return g;
}

/**
 * Code Engine runs only the pairs of its table, so its cpu/memory come from the one rule that
 * validation uses too (fitCodeEngineLimits): runtime resources and per_deployment_limits are
 * exact, profile maxima are ceilings fitted down to the largest valid pair, with a warning.
 * An invalid pair keeps the values asked for; the backend's validate reports it.
 */
function fitForCodeEngine(input: {
  g: EffectiveGuardrails;
  profile: ResolvedProfile;
  backend: CodeEngineBackend;
  runtime: ResolvedRuntime;
  address: string;
  diags: Diagnostic[];
}): void {
  const { g, profile, runtime } = input;
  const fit = fitCodeEngineLimits({
    runtime: runtime.resources,
    backend: input.backend.per_deployment_limits,
    profile: profile.resources,
  });
  if (!fit.ok) {
    g.maxCpu = fit.requested.cpu?.value;
    g.maxMemory = fit.requested.memory?.value;
    return;
  }
  g.maxCpu = fit.requested.cpu || fit.fitted ? fit.cpu : undefined;
  g.maxMemory = fit.requested.memory || fit.fitted ? fit.memoryBytes : undefined;
  if (fit.fitted)
    input.diags.push(
      limitsFitted({
        fit,
        profileName: profile.name,
        backend: runtime.backend,
        address: input.address,
        range: runtime.origin.range,
      }),
    );
}

function splitEnv(input: {
  config: LoadedConfig;
  runtime: ResolvedRuntime;
  entry: ResolvedCatalogEntry;
  address: string;
  diags: Diagnostic[];
}): { plain: Record<string, string>; secret: Record<string, string>; digests: Record<string, string> } {
  const { config, runtime, entry } = input;
  const specs = entry.env ?? {};
  const plain: Record<string, string> = {};
  const secret: Record<string, string> = {};
  for (const [name, s] of Object.entries(specs)) {
    if (s.default === undefined) continue;
    (s.secret ? secret : plain)[name] = s.default;
  }
  for (const [name, v] of Object.entries(runtime.env ?? {})) {
    const value = String(v);
    if (specs[name]?.secret) {
      secret[name] = value;
      delete plain[name];
    } else {
      plain[name] = value;
      delete secret[name];
    }
  }
  for (const [name, value] of Object.entries(runtime.secrets ?? {})) {
    secret[name] = value;
    delete plain[name];
  }
  for (const [name, s] of Object.entries(specs)) {
    if (s.required && plain[name] === undefined && secret[name] === undefined) {
      input.diags.push(
        error(
          'env.required-missing',
          `runtime ${runtime.name} does not set ${name}, which catalog entry ${entry.slug} requires`,
          {
            address: input.address,
            range: runtime.origin.range,
            detail: s.secret
              ? `Add ${name} under secrets: of runtime ${runtime.name}.`
              : `Add ${name} under env: of runtime ${runtime.name}.`,
          },
        ),
      );
    }
  }
  const digests: Record<string, string> = {};
  for (const name of Object.keys(secret).sort()) {
    digests[name] = secretDigest({ stack: config.stack, runtime: runtime.name, name, value: secret[name] });
  }
  return { plain: sortRecord(plain), secret, digests };
}

/** Removes undefined members in place, so that a spec equals itself after a JSON round trip. */
function dropUndefined(value: unknown): void {
  if (Array.isArray(value)) value.forEach(dropUndefined);
  else if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if (o[k] === undefined) delete o[k];
      else dropUndefined(o[k]);
    }
  }
}

function sortRecord(r: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => a.localeCompare(b)));
}

export function normalizeSource(entry: ResolvedCatalogEntry): NormalizedSource {
  const s = entry.source;
  switch (s.type) {
    case 'docker':
      return { type: 'docker', image: s.image, command: s.command, args: s.args, pull: s.pull ?? 'missing' };
    case 'github':
      return {
        type: 'github',
        repo: s.repo,
        commit: s.commit,
        ref: s.commit ?? s.tag ?? s.branch ?? 'HEAD',
        dockerfile: s.dockerfile ?? 'Dockerfile',
        context: s.context ?? '.',
        buildArgs: sortRecord(s.build_args ?? {}),
        args: s.args,
        pushToRegistry: s.push_to_registry ?? false,
        registry: s.registry,
        buildTimeoutSeconds:
          s.build_timeout === undefined ? undefined : Math.round(parseDuration(s.build_timeout) ?? 0) || undefined,
      };
    case 'compose':
      return {
        type: 'compose',
        composeFile: s.compose_file,
        inline: s.compose_file.includes('\n'),
        mainService: s.main_service,
        baseDir: entry.baseDir,
      };
    case 'command':
      return { type: 'command', command: s.command, args: s.args ?? [], cwd: s.cwd };
    case 'package':
      return {
        type: 'package',
        registry: s.registry,
        name: s.name,
        version: s.version,
        bin: s.bin,
        args: s.args ?? [],
      };
    case 'remote':
      return { type: 'remote', url: s.url, headers: sortRecord(s.headers ?? {}) };
  }
}

/** The defaults of docker.package_base_images (the schema states the same). */
export const DEFAULT_PACKAGE_BASE_IMAGES = {
  node: 'docker.io/library/node:20-slim',
  python: 'docker.io/library/python:3.12-slim',
} as const;

/** The base image a package of this registry is installed on, by the backend's config. */
export function packageBaseImage(b: DockerBackend, registry: 'npm' | 'pypi'): string {
  const kind = registry === 'npm' ? 'node' : 'python';
  return b.package_base_images?.[kind] ?? DEFAULT_PACKAGE_BASE_IMAGES[kind];
}

/**
 * Transport defaults: command and package sources speak stdio; others streamable HTTP on 8080 at
 * /mcp. A remote source's URL says where it listens, so it has no port or path of its own.
 */
export function normalizeTransport(t: Transport | undefined, source: NormalizedSource): TransportSpec {
  const type = t?.type ?? (source.type === 'command' || source.type === 'package' ? 'stdio' : 'streamable-http');
  if (type === 'stdio' || source.type === 'remote') return { type };
  return { type, port: t?.port ?? 8080, path: t?.path ?? (type === 'sse' ? '/sse' : '/mcp') };
}

function scaleOf(runtime: ResolvedRuntime, backend: BackendConfig): RuntimeSpec['scale'] {
  const s = runtime.scale ?? {};
  const ce = backend.type === 'ibm_code_engine' ? backend : undefined;
  const timeout = parseDuration(s.request_timeout);
  const scale: NonNullable<RuntimeSpec['scale']> = {};
  const min = s.min ?? ce?.default_min_scale;
  const max = s.max ?? ce?.default_max_scale;
  if (min !== undefined) scale.min = min;
  if (max !== undefined) scale.max = max;
  if (s.concurrency !== undefined) scale.concurrency = s.concurrency;
  if (timeout !== undefined) scale.requestTimeoutSeconds = Math.round(timeout);
  return scale;
}
