// Image references and their registries: the allow-list check (pure, done in validate before
// any pull) and getting an image onto the engine with progress. It never removes images and
// never pulls an image whose registry the backend does not allow.

import type Dockerode from 'dockerode';
import { error, type Diagnostic } from '../../diag/diagnostic.js';
import { isNotFound } from './errors.js';

export interface ImageRef {
  /** Registry host as written (e.g. `ghcr.io`, `127.0.0.1:5000`), or undefined when none is named. */
  registry?: string;
  /** Repository path without the registry, e.g. `library/nginx` or `mcp/filesystem`. */
  repository: string;
  tag?: string;
  digest?: string;
}

/** Docker's rule: the first path component is a registry when it has a dot, a colon, or is localhost. */
export function parseImageRef(ref: string): ImageRef {
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let registry: string | undefined;
  const slash = rest.indexOf('/');
  if (slash > 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost') {
      registry = first;
      rest = rest.slice(slash + 1);
    }
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > 0) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  return { registry, repository: rest, tag, digest };
}

/** `docker.io/library/nginx` for `nginx`: the name registries and allow-lists compare. */
export function qualifiedRepository(ref: ImageRef): string {
  const registry = ref.registry ?? 'docker.io';
  const repo = !ref.registry && !ref.repository.includes('/') ? `library/${ref.repository}` : ref.repository;
  return `${registry === 'index.docker.io' ? 'docker.io' : registry}/${repo}`;
}

export interface RegistryPolicy {
  allowedRegistries: string[];
  allowLocalImages: boolean;
}

/**
 * Whether an image may be used. An image naming no registry is a local image when local images
 * are allowed (it must then already be on the engine); otherwise it means docker.io. Allow-list
 * entries match a registry (`ghcr.io`) or a registry path prefix (`docker.io/mcp`).
 */
export function checkRegistry(image: string, policy: RegistryPolicy, address?: string): Diagnostic | undefined {
  const ref = parseImageRef(image);
  if (!ref.registry && policy.allowLocalImages) return undefined;
  if (policy.allowedRegistries.length === 0) return undefined;
  const qualified = qualifiedRepository(ref);
  const ok = policy.allowedRegistries.some((entry) => {
    const e = entry.replace(/\/+$/, '').replace(/^index\.docker\.io/, 'docker.io');
    return qualified === e || qualified.startsWith(`${e}/`);
  });
  if (ok) return undefined;
  const registry = ref.registry ?? 'docker.io';
  return error(
    'docker.registry-not-allowed',
    `Image ${image} comes from registry ${registry}, which is not in allowed_registries`,
    {
      address,
      detail: ref.registry
        ? `Add ${registry} to the backend's allowed_registries, or use an image from one of: ${policy.allowedRegistries.join(', ')}.`
        : `An image without a registry means docker.io; add docker.io to allowed_registries, or set allow_local_images: true to run an image built on this engine.`,
    },
  );
}

export interface EnsureImageOptions {
  docker: Dockerode;
  image: string;
  pull: 'missing' | 'always' | 'never';
  /** Local images (no registry, allow_local_images) are never pulled. */
  local: boolean;
  progress(message: string): void;
  signal?: AbortSignal;
}

/** The local image id after making sure the image is present; throws daemon errors. */
export async function ensureImage(opts: EnsureImageOptions): Promise<{ id?: string; missing?: Diagnostic }> {
  const present = await inspectImageId(opts.docker, opts.image);
  const mayPull = !opts.local && opts.pull !== 'never';
  if (present && !(opts.pull === 'always' && mayPull)) return { id: present };
  if (!mayPull) {
    return {
      missing: error('docker.image-missing', `Image ${opts.image} is not on the Docker engine and is not pulled`, {
        detail: opts.local
          ? 'It names no registry, so it is treated as a local image: build or load it first (docker build / docker load).'
          : 'The source says pull: never; pull or build the image first, or set pull: missing.',
      }),
    };
  }
  opts.progress(`pulling image ${opts.image}`);
  forgetImage(opts.docker, opts.image);
  await pullImage(opts);
  forgetImage(opts.docker, opts.image);
  const id = await inspectImageId(opts.docker, opts.image);
  return { id };
}

async function inspectImageId(docker: Dockerode, image: string): Promise<string | undefined> {
  return (await inspectImage(docker, image))?.Id;
}

export interface ImageFacts {
  Id: string;
  RepoTags: string[];
}

/**
 * How long an image inspect is reused. Twenty runtimes of one image created in parallel (and
 * read back right after) then cost one inspect instead of forty; a few seconds is short enough
 * that a tag moved by hand is seen by the next apply, and a pull always inspects afresh.
 */
const IMAGE_FACTS_TTL_MS = 10_000;
const imageFacts = new WeakMap<Dockerode, Map<string, { at: number; facts: Promise<ImageFacts | undefined> }>>();

/** The image's id and tags, or undefined when the engine does not have it; throws other daemon errors. */
export function inspectImage(docker: Dockerode, image: string): Promise<ImageFacts | undefined> {
  let memo = imageFacts.get(docker);
  if (!memo) imageFacts.set(docker, (memo = new Map()));
  const hit = memo.get(image);
  if (hit && Date.now() - hit.at < IMAGE_FACTS_TTL_MS) return hit.facts;
  const facts = docker
    .getImage(image)
    .inspect()
    .then(
      (info) => ({ Id: info.Id, RepoTags: info.RepoTags ?? [] }),
      (err: unknown) => {
        if (isNotFound(err)) return undefined;
        throw err;
      },
    );
  memo.set(image, { at: Date.now(), facts });
  // Absence and failures are not remembered: the image may arrive (pull, build) any moment.
  facts.then(
    (f) => {
      if (!f) memo.delete(image);
    },
    () => memo.delete(image),
  );
  return facts;
}

/** Forgets what inspectImage remembered about the image (after a pull or build changed it). */
export function forgetImage(docker: Dockerode, image: string): void {
  imageFacts.get(docker)?.delete(image);
}

interface PullEvent {
  status?: string;
  id?: string;
  progress?: string;
  error?: string;
  errorDetail?: { message?: string };
}

async function pullImage(opts: EnsureImageOptions): Promise<void> {
  const stream = (await opts.docker.pull(opts.image, { abortSignal: opts.signal })) as NodeJS.ReadableStream;
  let lastReport = 0;
  await new Promise<void>((resolve, reject) => {
    opts.docker.modem.followProgress(
      stream,
      (err: Error | null, output: PullEvent[]) => {
        const failed = output?.find((e) => e.error);
        if (err) reject(err);
        else if (failed)
          reject(Object.assign(new Error(failed.errorDetail?.message ?? failed.error), { statusCode: 500 }));
        else resolve();
      },
      (event: PullEvent) => {
        // Layer progress arrives many times a second; one line every two seconds is enough.
        const now = Date.now();
        if (
          event.status &&
          (now - lastReport > 2000 || /Pull complete|Downloaded newer|up to date/i.test(event.status))
        ) {
          lastReport = now;
          opts.progress(
            `pull ${opts.image}: ${event.id ? `${event.id} ` : ''}${event.status}${event.progress ? ` ${event.progress}` : ''}`,
          );
        }
      },
    );
  });
}
