// Ownership labels and the managed spec written on every Docker object contextforge creates.
// Labels carry the canonical JSON of the managed fields (for drift) but never a secret value:
// secret env is represented only by its names and a hash over the compiler's digests.

import { canonicalJson, hashOf } from '../../model/canonical.js';
import type { DesiredResource, EffectiveGuardrails, TransportSpec } from '../../model/resources.js';

export const LABEL = {
  managedBy: 'dev.contextforge.managed-by',
  stack: 'dev.contextforge.stack',
  address: 'dev.contextforge.address',
  runtime: 'dev.contextforge.runtime',
  specHash: 'dev.contextforge.spec-hash',
  /** Hash of the Docker-managed fields plus the secret digests: what plan compares. */
  dockerHash: 'dev.contextforge.docker-hash',
  /** Canonical JSON of DockerManagedSpec. */
  spec: 'dev.contextforge.spec',
  /** `main` (the MCP server) or `edge` (its port forwarder / egress proxy sidecar). */
  role: 'dev.contextforge.role',
  backend: 'dev.contextforge.backend',
} as const;

export const MANAGED_BY = 'contextforge';

export type ContainerRole = 'main' | 'edge';

/** The guardrail fields that change what Docker runs (the profile's name and strictness do not). */
export type ManagedGuardrails = Omit<EffectiveGuardrails, 'profile' | 'strict'>;

/** Every field of a runtime the Docker backend turns into container settings. */
export interface DockerManagedSpec {
  image: string;
  entrypoint?: string[];
  cmd?: string[];
  env: Record<string, string>;
  /** Names only; values never leave DesiredResource.secretEnv. */
  secretNames: string[];
  transport: TransportSpec;
  guardrails: ManagedGuardrails;
  restart: string;
  hostPort?: number;
  labels: Record<string, string>;
  /** GitHub sources: what the image is built from (the image tag carries the commit too). */
  build?: BuildSpec;
  /** Package sources: the release installed on the base image (the image tag hashes it). */
  package?: PackageImageSpec;
}

/** The inputs of a package image; any change to them means a new image. */
export interface PackageImageSpec {
  registry: 'npm' | 'pypi';
  name: string;
  version: string;
  bin?: string;
  base: string;
}

/** Bumped when the recipe (Dockerfile, layout) of package images changes. */
const PACKAGE_RECIPE = 1;

/** `contextforge-package/<name>:<version>-<hash12>`: tagged by everything the image is made of. */
export function packageImageName(p: PackageImageSpec): string {
  const name =
    p.name
      .toLowerCase()
      .replace(/^@/, '')
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[._-]+/, '') || 'package';
  const version = p.version.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 64);
  const digest = hashOf({ ...p, recipe: PACKAGE_RECIPE }).replace(/^sha256:/, '');
  return `contextforge-package/${name}:${version}-${digest.slice(0, 12)}`;
}

/** The inputs of a github build; any change to them means a new image. */
export interface BuildSpec {
  repo: string;
  ref: string;
  commit: string;
  dockerfile: string;
  context: string;
  buildArgs: Record<string, string>;
  push: boolean;
}

/** `<slug>:<sha12>` of a github build, under `registry/` when the source pushes. Lower case. */
export function builtImageName(slug: string, commit: string, registry?: string): string {
  const name =
    slug
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[._-]+/, '') || 'image';
  const repo = registry ? `${registry.replace(/\/+$/, '')}/${name}` : name;
  return `${repo}:${commit.slice(0, 12)}`;
}

/** Null when the source is not one the Docker backend runs (validate reports why). */
export function managedSpec(d: DesiredResource): DockerManagedSpec | null {
  const s = d.spec;
  const src = s.source;
  let run: { image: string; entrypoint?: string[]; cmd?: string[]; build?: BuildSpec; package?: PackageImageSpec };
  if (src.type === 'docker') run = { image: src.image, entrypoint: src.command, cmd: src.args };
  else if (src.type === 'package' && src.baseImage) {
    // The image's ENTRYPOINT starts the package's executable; the source's args are its CMD.
    const pkg: PackageImageSpec = {
      registry: src.registry,
      name: src.name,
      version: src.version,
      ...(src.bin ? { bin: src.bin } : {}),
      base: src.baseImage,
    };
    run = { image: packageImageName(pkg), cmd: src.args, package: pkg };
  } else if (src.type === 'github' && src.commit && /^[0-9a-f]{40}$/.test(src.commit)) {
    // Only a resolved commit (the plan's source-resolution phase) gives a github source an image.
    const push = src.pushToRegistry && Boolean(src.registry);
    run = {
      image: builtImageName(s.catalog, src.commit, push ? src.registry : undefined),
      cmd: src.args,
      build: {
        repo: src.repo,
        ref: src.ref,
        commit: src.commit,
        dockerfile: src.dockerfile,
        context: src.context,
        buildArgs: { ...src.buildArgs },
        push,
      },
    };
  } else return null;
  const { profile: _p, strict: _s, ...guardrails } = s.guardrails;
  return {
    image: run.image,
    entrypoint: run.entrypoint,
    cmd: run.cmd,
    ...(run.build ? { build: run.build } : {}),
    ...(run.package ? { package: run.package } : {}),
    env: { ...s.env },
    secretNames: Object.keys(d.secretEnv).sort(),
    transport: { ...s.transport },
    guardrails,
    restart: s.restart,
    hostPort: s.hostPort,
    labels: { ...s.labels },
  };
}

/** What plan compares: managed fields plus the compiler's secret digests (never the values). */
export function dockerHash(spec: DockerManagedSpec, secretDigests: Record<string, string>): string {
  return hashOf({ spec, secrets: secretDigests });
}

export function parseManagedSpec(text: string | undefined): DockerManagedSpec | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as DockerManagedSpec;
    return v && typeof v === 'object' && typeof v.image === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

export interface OwnershipInput {
  stack: string;
  runtime: string;
  backend: string;
}

/** Labels every object of the stack carries (networks, volumes, containers). */
export function stackLabels(input: { stack: string; backend: string }): Record<string, string> {
  return { [LABEL.managedBy]: MANAGED_BY, [LABEL.stack]: input.stack, [LABEL.backend]: input.backend };
}

/** Labels of an object that belongs to one runtime. */
export function runtimeLabels(input: OwnershipInput & { role: ContainerRole }): Record<string, string> {
  return {
    ...stackLabels(input),
    [LABEL.address]: `runtime.${input.runtime}`,
    [LABEL.runtime]: input.runtime,
    [LABEL.role]: input.role,
  };
}

/** Full labels of the main container: ownership, hashes, the managed spec, and user labels. */
export function mainContainerLabels(
  d: DesiredResource,
  stack: string,
  spec: DockerManagedSpec,
): Record<string, string> {
  // User labels go first so that they can never overwrite an ownership label.
  return {
    ...spec.labels,
    ...runtimeLabels({ stack, runtime: d.runtime, backend: d.backend, role: 'main' }),
    [LABEL.specHash]: d.specHash,
    [LABEL.dockerHash]: dockerHash(spec, d.spec.secretDigests),
    [LABEL.spec]: canonicalJson(spec),
  };
}

/** Docker filter values selecting everything of a stack, as `label=` filters. */
export function stackFilter(stack: string): string {
  return JSON.stringify({ label: [`${LABEL.managedBy}=${MANAGED_BY}`, `${LABEL.stack}=${stack}`] });
}

/** Container and network names. Docker names are daemon-wide, so the stack is part of them. */
export function containerName(stack: string, runtime: string, role: ContainerRole = 'main'): string {
  return role === 'main' ? `cf-${stack}-${runtime}` : `cf-${stack}-${runtime}-edge`;
}

export function stackNetworkName(stack: string, configured?: string): string {
  return configured ?? `contextforge-${stack}`;
}

/** The per-runtime internal network of a runtime whose egress is off or filtered. */
export function internalNetworkName(stack: string, runtime: string): string {
  return `contextforge-${stack}-${runtime}-internal`;
}

export function volumeName(stack: string, runtime: string, mountPath: string): string {
  const slug = mountPath.replace(/^\/+/, '').replace(/[^a-zA-Z0-9_.-]+/g, '-') || 'root';
  return `contextforge-${stack}-${runtime}-${slug}`;
}
