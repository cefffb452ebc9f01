// Package sources on Docker: the image that runs one exact release of an npm or PyPI package,
// built FROM the backend's package_base_images and tagged by everything it is made of (so it is
// built once and found again). npm packages are installed on the host (sources/package) and
// copied in, so the build needs no network inside the engine; PyPI packages are installed by pip
// during the build. Never touches containers: a failed build leaves the running one alone.

import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { error, type Diagnostic } from '../../diag/diagnostic.js';
import type { DesiredResource } from '../../model/resources.js';
import { hashOf } from '../../model/canonical.js';
import { installPackage, packageCacheDir } from '../../sources/package/install.js';
import type { ApplyContext } from '../backend.js';
import { listFiles } from './build.js';
import { isNotFound, scrub } from './errors.js';
import { LABEL, MANAGED_BY, managedSpec, type PackageImageSpec } from './labels.js';

export const PACKAGE_LABEL = {
  name: 'dev.contextforge.package.name',
  version: 'dev.contextforge.package.version',
  registry: 'dev.contextforge.package.registry',
  hash: 'dev.contextforge.package-hash',
} as const;

/** Where the npm release lives in the image. */
const APP_DIR = '/opt/contextforge/package';

const DEFAULT_BUILD_TIMEOUT_MS = 10 * 60_000;

/** A JSON array is a valid exec-form instruction argument (Docker parses it as JSON). */
const execForm = (argv: string[]): string => JSON.stringify(argv);

/** The Dockerfile of a package image. npm: the host's install is COPYed; pypi: pip installs it. */
export function packageDockerfile(p: PackageImageSpec, npmEntry?: string): string {
  if (p.registry === 'npm')
    return [
      `FROM ${p.base}`,
      `COPY node_modules ${APP_DIR}/node_modules`,
      `WORKDIR ${APP_DIR}`,
      `ENTRYPOINT ${execForm(['node', `${APP_DIR}/${npmEntry}`])}`,
      'CMD []',
      '',
    ].join('\n');
  return [
    `FROM ${p.base}`,
    `RUN ${execForm(['pip', 'install', '--no-cache-dir', '--disable-pip-version-check', `${p.name}==${p.version}`])}`,
    `ENTRYPOINT ${execForm([p.bin ?? p.name])}`,
    'CMD []',
    '',
  ].join('\n');
}

interface BuildEvent {
  stream?: string;
  error?: string;
  errorDetail?: { message?: string };
}

export interface EnsurePackageImageInput {
  docker: Dockerode;
  desired: DesiredResource;
  ctx: ApplyContext;
  secrets: readonly string[];
}

/** Builds the package image of a runtime unless the engine has it from the same inputs. */
export async function ensurePackageImage(input: EnsurePackageImageInput): Promise<Diagnostic[]> {
  const d = input.desired;
  const spec = managedSpec(d);
  const p = spec?.package;
  if (!spec || !p) return [];
  const hash = hashOf(p);
  try {
    const info = await input.docker.getImage(spec.image).inspect();
    if (info.Config?.Labels?.[PACKAGE_LABEL.hash] === hash) {
      input.ctx.progress(`image ${spec.image} of ${p.name}@${p.version} is already built`);
      return [];
    }
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const fail = (summary: string, detail: string): Diagnostic[] => [
    error('docker.package-build-failed', summary, { address: d.address, detail }),
  ];
  const ctxDir = mkdtempSync(join(tmpdir(), 'cf-package-'));
  try {
    let entry: string | undefined;
    if (p.registry === 'npm') {
      // Installed on the host: the engine needs no registry access, only the base image.
      const installed = await installPackage(p, {
        cacheDir: packageCacheDir(),
        address: d.address,
        signal: input.ctx.signal,
        progress: input.ctx.progress,
      });
      if (!installed.value) return installed.diags.map((x) => ({ ...x, address: d.address }));
      entry = installed.value.entry;
      cpSync(join(installed.value.dir, 'node_modules'), join(ctxDir, 'node_modules'), {
        recursive: true,
        verbatimSymlinks: true,
      });
    }
    writeFileSync(join(ctxDir, 'Dockerfile'), packageDockerfile(p, entry));
    input.ctx.progress(`building ${spec.image} from ${p.base}`);
    const timeout = AbortSignal.timeout(DEFAULT_BUILD_TIMEOUT_MS);
    const signal = input.ctx.signal ? AbortSignal.any([input.ctx.signal, timeout]) : timeout;
    const stream = (await input.docker.buildImage({ context: ctxDir, src: await listFiles(ctxDir) }, {
      t: spec.image,
      labels: {
        [LABEL.managedBy]: MANAGED_BY,
        [PACKAGE_LABEL.registry]: p.registry,
        [PACKAGE_LABEL.name]: p.name,
        [PACKAGE_LABEL.version]: p.version,
        [PACKAGE_LABEL.hash]: hash,
      },
      rm: true,
      forcerm: true,
      abortSignal: signal,
    } as Dockerode.ImageBuildOptions)) as NodeJS.ReadableStream;
    const tail: string[] = [];
    let failure: string | undefined;
    await new Promise<void>((resolve) => {
      input.docker.modem.followProgress(
        stream,
        (err: Error | null) => {
          if (err) failure ??= signal.aborted ? (timeout.aborted ? 'the build timed out' : 'cancelled') : err.message;
          resolve();
        },
        (e: BuildEvent) => {
          if (e.stream) for (const l of e.stream.split('\n')) if (l.trim()) tail.push(scrub(l, [...input.secrets]));
          if (tail.length > 12) tail.splice(0, tail.length - 12);
          if (e.error) failure = e.errorDetail?.message ?? e.error;
        },
      );
    });
    if (failure)
      return fail(
        `The image of ${d.address} (${p.name}@${p.version} on ${p.base}) did not build: ${scrub(failure, [...input.secrets]).split('\n')[0]}`,
        `Check that the base image ${p.base} is on the engine or can be pulled (docker.package_base_images.${p.registry === 'npm' ? 'node' : 'python'}), and that it has ${p.registry === 'npm' ? 'node' : 'pip'} on its PATH. Last build lines:\n${tail.join('\n') || '(none)'}`,
      );
    input.ctx.progress(`built ${spec.image}`);
    return [];
  } finally {
    rmSync(ctxDir, { recursive: true, force: true });
  }
}
