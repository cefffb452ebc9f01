// Parses Docker image references the way the engine does: an optional registry host (a first
// component with '.', ':' or "localhost"), a lowercase repository path, a tag and/or a digest.
// No registry means Docker Hub (docker.io) unless the image is a local one. Pure.

export interface ImageRef {
  /** Registry host as written, or undefined when the reference names none. */
  registry?: string;
  /** Registry after defaulting: docker.io when none is named. */
  effectiveRegistry: string;
  /** Repository path, with `library/` added for single-component Docker Hub names. */
  repository: string;
  tag?: string;
  digest?: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-fA-F0-9]{32,}$/;
const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::[0-9]+)?$|^\[[0-9a-fA-F:]+\](?::[0-9]+)?$/;

/** The parsed reference, or a reason it is not a valid reference. */
export function parseImageRef(ref: string): ImageRef | { error: string } {
  let rest = ref.trim();
  if (!rest) return { error: 'empty image reference' };
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return { error: `invalid digest "${digest}"` };
  }
  const parts = rest.split('/');
  let registry: string | undefined;
  if (parts.length > 1 && (parts[0].includes('.') || parts[0].includes(':') || parts[0] === 'localhost')) {
    registry = parts.shift();
    if (!registry || !HOST.test(registry)) return { error: `invalid registry host "${registry ?? ''}"` };
  }
  let tag: string | undefined;
  const last = parts[parts.length - 1];
  const colon = last.lastIndexOf(':');
  if (colon >= 0) {
    tag = last.slice(colon + 1);
    parts[parts.length - 1] = last.slice(0, colon);
    if (!TAG.test(tag)) return { error: `invalid tag "${tag}"` };
  }
  for (const c of parts) {
    if (!COMPONENT.test(c)) {
      return { error: /[A-Z]/.test(c) ? `repository name "${c}" must be lowercase` : `invalid repository name "${c}"` };
    }
  }
  const effectiveRegistry = registry ?? 'docker.io';
  let repository = parts.join('/');
  if (!registry && parts.length === 1) repository = `library/${repository}`;
  return { registry, effectiveRegistry, repository, tag, digest };
}

/**
 * Whether an image may be used under an allow-list of registries. Entries are hosts
 * (`ghcr.io`, `127.0.0.1:5000`) or host/namespace prefixes (`docker.io/mcp`). Images that name
 * no registry count as local when `allowLocal` is set, else as docker.io images.
 */
export function registryAllowed(image: ImageRef, allowed: readonly string[] | undefined, allowLocal: boolean): boolean {
  if (!image.registry && allowLocal) return true;
  if (!allowed || allowed.length === 0) return true;
  const full = `${normalizeHost(image.effectiveRegistry)}/${image.repository}`;
  return allowed.some((entry) => {
    const e = entry.replace(/\/+$/, '');
    const slash = e.indexOf('/');
    const host = normalizeHost(slash < 0 ? e : e.slice(0, slash));
    const prefix = slash < 0 ? host : `${host}${e.slice(slash)}`;
    return full === prefix || full.startsWith(`${prefix}/`);
  });
}

function normalizeHost(h: string): string {
  const x = h.toLowerCase();
  return x === 'index.docker.io' || x === 'registry-1.docker.io' ? 'docker.io' : x;
}
