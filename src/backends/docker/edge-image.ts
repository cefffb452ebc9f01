// The image the edge sidecars run: built once per engine from this machine's own node binary and
// the shared libraries it links (FROM scratch, no registry needed), plus the edge program. An
// image named by CONTEXTFORGE_EDGE_IMAGE (or the backend option) is used instead when set; it
// must have node at /usr/bin/node. Never removes images.

import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type Dockerode from 'dockerode';
import { sha256Hex } from '../../model/canonical.js';
import { EDGE_PROGRAM } from './egress-proxy.js';
import { isNotFound } from './errors.js';

const run = promisify(execFile);

export const EDGE_PROGRAM_PATH = '/edge/edge.cjs';

/** Shared libraries of a dynamically linked binary, as absolute paths (from `ldd`). */
export async function sharedLibraries(binary: string): Promise<string[]> {
  const { stdout } = await run('ldd', [binary]);
  const libs: string[] = [];
  for (const line of stdout.split('\n')) {
    const arrow = /=>\s+(\/\S+)/.exec(line);
    const direct = /^\s*(\/\S+)\s+\(/.exec(line);
    const path = arrow?.[1] ?? direct?.[1];
    if (path) libs.push(path);
  }
  return libs;
}

/** Tag of the locally built edge image: changes when node or the edge program changes. */
export function edgeImageTag(): string {
  const key = sha256Hex([process.version, process.execPath, process.arch, EDGE_PROGRAM].join('\0')).slice(0, 16);
  return `contextforge/edge:${key}`;
}

async function imageExists(docker: Dockerode, tag: string): Promise<boolean> {
  try {
    await docker.getImage(tag).inspect();
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

/** Builds in flight in this process, by engine client and tag: parallel creates share one. */
const inFlight = new WeakMap<Dockerode, Map<string, Promise<string>>>();

/** Makes sure the edge image exists on the engine and returns its name; throws on failure. */
export async function ensureEdgeImage(
  docker: Dockerode,
  progress: (m: string) => void,
  override?: string,
): Promise<string> {
  const configured = override ?? process.env.CONTEXTFORGE_EDGE_IMAGE;
  if (configured) return configured;
  const tag = edgeImageTag();
  let builds = inFlight.get(docker);
  if (!builds) inFlight.set(docker, (builds = new Map()));
  const running = builds.get(tag);
  if (running) return running;
  const p = buildEdgeImage(docker, tag, progress).finally(() => builds!.delete(tag));
  builds.set(tag, p);
  return p;
}

async function buildEdgeImage(docker: Dockerode, tag: string, progress: (m: string) => void): Promise<string> {
  if (await imageExists(docker, tag)) return tag;
  if (process.platform !== 'linux') {
    throw new Error(
      'The edge sidecar image can only be built from a Linux node binary; set CONTEXTFORGE_EDGE_IMAGE to an image with node at /usr/bin/node.',
    );
  }
  progress(`building edge sidecar image ${tag} from ${process.execPath}`);
  const ctx = await mkdtemp(join(tmpdir(), 'contextforge-edge-'));
  try {
    const files: string[] = ['Dockerfile'];
    const add = async (from: string, to: string): Promise<void> => {
      const dest = join(ctx, 'rootfs', to);
      await mkdir(dirname(dest), { recursive: true });
      await copyFile(from, dest);
      files.push(join('rootfs', to));
    };
    await add(process.execPath, '/usr/bin/node');
    for (const lib of await sharedLibraries(process.execPath)) await add(lib, lib);
    const programDest = join(ctx, 'rootfs', EDGE_PROGRAM_PATH);
    await mkdir(dirname(programDest), { recursive: true });
    await writeFile(programDest, EDGE_PROGRAM);
    files.push(join('rootfs', EDGE_PROGRAM_PATH));
    await writeFile(
      join(ctx, 'Dockerfile'),
      ['FROM scratch', 'COPY rootfs/ /', `ENTRYPOINT ["/usr/bin/node", "${EDGE_PROGRAM_PATH}"]`, ''].join('\n'),
    );
    const stream = await docker.buildImage(
      { context: ctx, src: files },
      // Not the ownership labels: Docker copies image labels onto every container run from the
      // image, and a container somebody else runs from it must never look like ours.
      { t: tag, labels: { 'dev.contextforge.edge-image': 'true' }, networkmode: 'none', forcerm: true },
    );
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(stream, (err: Error | null, out: Array<{ error?: string }>) => {
        const failed = out?.find((e) => e.error);
        if (err) reject(err);
        else if (failed) reject(new Error(`building ${tag} failed: ${failed.error}`));
        else resolve();
      });
    });
    return tag;
  } finally {
    await rm(ctx, { recursive: true, force: true });
  }
}
