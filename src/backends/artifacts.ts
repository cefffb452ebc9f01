// Pins each runtime's artifact for the lock: the image id the engine resolves a docker tag to
// (its registry digest when it has one), the commit a github ref resolved to, every compose
// member's image, the package@version of an npx/uvx command or a package source. Reads the engines (image inspect
// only); creates, pulls and changes nothing.

import Dockerode from 'dockerode';
import { parse } from '../vendor/yaml.js';
import type { Backend as BackendConfig } from '../generated/config.js';
import type { DesiredResource } from '../model/resources.js';
import type { ArtifactPin } from '../model/tool-surface.js';
import { clientFor } from './docker/client.js';

/** `image` → `image:latest` when it names no tag or digest (as Docker does). */
export function withDefaultTag(image: string): string {
  const lastSlash = image.lastIndexOf('/');
  return image.slice(lastSlash + 1).includes(':') || image.includes('@') ? image : `${image}:latest`;
}

type Inspect = (image: string) => Promise<string | undefined>;

function inspector(docker: Dockerode): Inspect {
  const cache = new Map<string, Promise<string | undefined>>();
  return (image) => {
    let p = cache.get(image);
    if (!p) {
      p = docker
        .getImage(image)
        .inspect()
        .then((i) => {
          // A registry digest names the content wherever it is pulled; a local build has only its id.
          const repo = image.split('@')[0].replace(/:[^/:]+$/, '');
          const digest = (i.RepoDigests ?? []).find((d) => d.startsWith(`${repo}@`));
          return digest ? digest.slice(repo.length + 1) : i.Id;
        })
        .catch(() => undefined);
      cache.set(image, p);
    }
    return p;
  };
}

/** `npx -y pkg@1.2.3` → `pkg@1.2.3`; undefined when no exact version is named. */
export function packageOfCommand(command: string, args: readonly string[]): string | undefined {
  const launcher = command.split('/').pop() ?? command;
  if (!['npx', 'uvx', 'pipx', 'bunx', 'pnpx'].includes(launcher)) return undefined;
  const pkg = args.find((a) => !a.startsWith('-'));
  if (!pkg) return undefined;
  const at = pkg.lastIndexOf('@');
  const version = at > 0 ? pkg.slice(at + 1) : '';
  if (/^\d+\.\d+\.\d+([-+][\w.-]+)?$/.test(version)) return pkg;
  const eq = /^(.+)==(\d+\.\d+\.\d+\S*)$/.exec(pkg);
  return eq ? pkg : undefined;
}

export interface ArtifactContext {
  backends: Readonly<Record<string, BackendConfig>>;
}

/** The artifact pin of every desired runtime, by runtime name. */
export async function resolveArtifacts(
  desired: readonly DesiredResource[],
  ctx: ArtifactContext,
): Promise<Record<string, ArtifactPin>> {
  const engines = new Map<string, Inspect>();
  let local: Inspect | undefined;
  const engineFor = (d: DesiredResource): Inspect => {
    const b = ctx.backends[d.backend];
    if (b?.type === 'docker') {
      let e = engines.get(d.backend);
      if (!e) engines.set(d.backend, (e = inspector(clientFor(b).docker)));
      return e;
    }
    // Code Engine pulls from a registry; the local engine knows the digest when the image is here.
    return (local ??= inspector(new Dockerode()));
  };
  const out: Record<string, ArtifactPin> = {};
  await Promise.all(
    desired.map(async (d) => {
      out[d.runtime] = await pinOf(d, engineFor(d));
    }),
  );
  return out;
}

async function pinOf(d: DesiredResource, inspect: Inspect): Promise<ArtifactPin> {
  const s = d.spec.source;
  const codeEngine = d.backendType === 'ibm_code_engine';
  switch (s.type) {
    case 'docker': {
      const ref = withDefaultTag(s.image);
      const digest = await inspect(ref);
      return {
        type: codeEngine ? 'code_engine' : 'docker',
        ref,
        ...(digest ? { digest } : { note: 'the image is not on the engine yet; apply or pull it to pin it' }),
      };
    }
    case 'github':
      return {
        type: 'github',
        ref: `${s.repo}@${s.ref}`,
        ...(s.commit ? { digest: s.commit } : { note: 'the ref was not resolved to a commit' }),
      };
    case 'compose': {
      const members: Record<string, string> = {};
      let services: Record<string, { image?: unknown }> = {};
      try {
        services = ((parse(s.content ?? '') as { services?: typeof services } | null)?.services ??
          {}) as typeof services;
      } catch {
        services = {};
      }
      for (const [name, svc] of Object.entries(services).sort(([a], [b]) => a.localeCompare(b))) {
        if (typeof svc?.image !== 'string') {
          members[name] = '(built)';
          continue;
        }
        members[name] = (await inspect(withDefaultTag(svc.image))) ?? `${svc.image} (not on the engine)`;
      }
      return { type: 'compose', ref: s.composeFile, members };
    }
    case 'command': {
      const pkg = packageOfCommand(s.command, s.args);
      return {
        type: 'command',
        ref: [s.command, ...s.args].join(' '),
        ...(pkg ? { digest: pkg } : { note: 'no exact package version in the command; the command line is pinned' }),
      };
    }
    case 'package':
      // The schema and validate allow exact versions only, so name + version is the pin.
      return { type: 'package', ref: `${s.registry}:${s.name}`, digest: packageSpec(s) };
    case 'remote':
      return { type: 'remote', ref: s.url, note: 'a hosted server has no artifact to pin; its tool surface is pinned' };
  }
}

/** `name@version` (npm) or `name==version` (pypi): how each registry's installer names one exact release. */
export function packageSpec(s: { registry: 'npm' | 'pypi'; name: string; version: string }): string {
  return s.registry === 'npm' ? `${s.name}@${s.version}` : `${s.name}==${s.version}`;
}
