// GitHub sources on Docker: check out the resolved commit into a temporary directory, build it
// with the engine's /build API (dockerode buildImage: build args, multi-stage, layer cache), tag
// it `<slug>:<sha12>` with labels naming repo, ref and commit, stream and store the build log,
// and optionally push. Never touches containers, so a failed build leaves the running one alone.

import { createWriteStream } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import type Dockerode from 'dockerode';
import { error, type Diagnostic } from '../../diag/diagnostic.js';
import type { NormalizedSource } from '../../model/resources.js';
import { checkoutCommit } from '../../sources/github/checkout.js';
import { scrubGit, type GitCredentials } from '../../sources/github/repo.js';
import { scrub } from './errors.js';

export { builtImageName } from './labels.js';

export type GithubSource = Extract<NormalizedSource, { type: 'github' }>;

export const BUILD_LABEL = {
  repo: 'dev.contextforge.source.repo',
  ref: 'dev.contextforge.source.ref',
  commit: 'dev.contextforge.source.commit',
  buildHash: 'dev.contextforge.build-hash',
} as const;

/** Where the log of one build is kept for `logs --build`. */
export function buildLogPath(configDir: string, stack: string, runtime: string, commit: string): string {
  return join(configDir, '.contextforge', 'builds', stack, runtime, `${commit}.log`);
}

export interface BuildInput {
  docker: Dockerode;
  url: string;
  source: GithubSource & { commit: string };
  image: string;
  /** Labels put on the image (ownership + source + build hash). */
  labels: Record<string, string>;
  credentials?: GitCredentials;
  /** Registry credentials for the push (never printed). */
  registryAuth?: { username: string; password: string; serveraddress: string };
  logFile: string;
  timeoutMs: number;
  signal?: AbortSignal;
  progress(line: string): void;
  /** Values scrubbed from every line (secrets of the runtime, tokens). */
  secrets?: readonly string[];
  address: string;
}

export type BuildResult = { ok: true; imageId?: string } | { ok: false; diags: Diagnostic[] };

interface BuildEvent {
  stream?: string;
  status?: string;
  id?: string;
  progress?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}

/** Every file under root (relative, `/`-separated), without the top-level .git. */
export async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (e.name === '.git' && dir === root) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(relative(root, p).split(sep).join('/'));
    }
  };
  await walk(root);
  return out.sort();
}

function follow(
  docker: Dockerode,
  stream: NodeJS.ReadableStream,
  onEvent: (e: BuildEvent) => void,
): Promise<BuildEvent[]> {
  return new Promise((resolveP, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null, out: BuildEvent[]) => (err ? reject(err) : resolveP(out ?? [])),
      onEvent,
    );
  });
}

export async function buildFromGit(input: BuildInput): Promise<BuildResult> {
  const { source, address } = input;
  const clean = (s: string): string => scrub(scrubGit(s, input.credentials), [...(input.secrets ?? [])]);
  const timeout = AbortSignal.timeout(input.timeoutMs);
  const signal = input.signal ? AbortSignal.any([input.signal, timeout]) : timeout;
  await mkdir(resolve(input.logFile, '..'), { recursive: true });
  const log = createWriteStream(input.logFile, { flags: 'w' });
  const tail: string[] = [];
  const emit = (line: string): void => {
    const l = clean(line);
    log.write(`${l}\n`);
    tail.push(l);
    if (tail.length > 20) tail.shift();
    input.progress(`build: ${l}`);
  };
  const fail = (summary: string, detail?: string): BuildResult => ({
    ok: false,
    diags: [
      error('docker.build-failed', summary, {
        address,
        detail: `${detail ? `${detail}\n` : ''}Last build log lines:\n${tail.join('\n') || '(none)'}\nFull log: ${input.logFile} (contextforge logs --build ${address.replace(/^runtime\./, '')}). The running version, if any, was left in place.`,
      }),
    ],
  });
  let checkout: Awaited<ReturnType<typeof checkoutCommit>> | undefined;
  try {
    emit(`cloning ${scrubGit(input.url)} at ${source.commit.slice(0, 12)} (${source.ref})`);
    try {
      checkout = await checkoutCommit({
        url: input.url,
        commit: source.commit,
        credentials: input.credentials,
        signal,
      });
    } catch (err) {
      if (timeout.aborted) return fail(`Cloning the repository of ${address} timed out`);
      if (signal.aborted) return fail(`The build of ${address} was cancelled`);
      emit(String((err as Error).message));
      return fail(`Cloning the repository of ${address} failed`);
    }
    const contextDir = resolve(checkout.dir, source.context);
    const dockerfile = relative(contextDir, resolve(checkout.dir, source.dockerfile)).split(sep).join('/');
    if (!contextDir.startsWith(checkout.dir) || dockerfile.startsWith('..')) {
      return fail(
        `The context or dockerfile of ${address} lies outside the repository or the context`,
        'context and dockerfile are paths inside the repository; the dockerfile must be inside the context.',
      );
    }
    if (!(await stat(contextDir).catch(() => undefined))?.isDirectory())
      return fail(`Context directory ${source.context} does not exist at ${source.commit.slice(0, 12)}`);
    const files = await listFiles(contextDir);
    if (!files.includes(dockerfile))
      return fail(
        `${source.dockerfile} does not exist at ${source.commit.slice(0, 12)} of the repository of ${address}`,
      );
    emit(`building ${input.image} (${files.length} files in context ${source.context})`);
    const stream = (await input.docker.buildImage({ context: contextDir, src: files }, {
      t: input.image,
      dockerfile,
      buildargs: source.buildArgs,
      labels: input.labels,
      rm: true,
      forcerm: true,
      abortSignal: signal,
    } as Dockerode.ImageBuildOptions)) as NodeJS.ReadableStream;
    let imageId: string | undefined;
    let failure: string | undefined;
    let partial = '';
    await follow(input.docker, stream, (e) => {
      if (e.stream) {
        const text = partial + e.stream;
        const lines = text.split('\n');
        partial = lines.pop() ?? '';
        for (const l of lines) if (l.trim()) emit(l.replace(/\r/g, ''));
      }
      if (e.aux?.ID) imageId = e.aux.ID;
      if (e.error) failure = e.errorDetail?.message ?? e.error;
    }).catch((err: Error) => {
      failure = signal.aborted
        ? timeout.aborted
          ? `timed out after ${Math.round(input.timeoutMs / 1000)}s`
          : 'cancelled'
        : err.message;
    });
    if (partial.trim()) emit(partial);
    if (failure) {
      emit(`error: ${failure}`);
      return fail(`The image of ${address} did not build: ${clean(failure).split('\n')[0]}`);
    }
    if (source.pushToRegistry) {
      const pushed = await push(input, emit, signal);
      if (pushed)
        return fail(
          `Pushing ${input.image} failed: ${clean(pushed)}`,
          'Check the registry address, that it is reachable, and CONTEXTFORGE_REGISTRY_USERNAME / CONTEXTFORGE_REGISTRY_PASSWORD.',
        );
    }
    emit(`built ${input.image}`);
    return { ok: true, imageId };
  } finally {
    await checkout?.cleanup();
    await new Promise<void>((r) => log.end(r));
  }
}

/** Pushes the built image; returns an error message or undefined. */
async function push(input: BuildInput, emit: (l: string) => void, signal: AbortSignal): Promise<string | undefined> {
  emit(`pushing ${input.image}`);
  try {
    const cut = input.image.lastIndexOf(':');
    const [repo, tag] =
      cut > input.image.lastIndexOf('/')
        ? [input.image.slice(0, cut), input.image.slice(cut + 1)]
        : [input.image, 'latest'];
    const stream = (await input.docker.getImage(repo).push({
      tag,
      authconfig: input.registryAuth ?? {},
      abortSignal: signal,
    } as unknown as Dockerode.ImagePushOptions)) as NodeJS.ReadableStream;
    let failure: string | undefined;
    await follow(input.docker, stream, (e) => {
      if (e.error) failure = e.errorDetail?.message ?? e.error;
      else if (e.status && /digest|Pushed|exists/i.test(e.status)) emit(`push: ${e.id ? `${e.id} ` : ''}${e.status}`);
    });
    return failure;
  } catch (err) {
    return (err as Error).message;
  }
}
