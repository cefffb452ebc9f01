// The container lifecycle of one plain (non-compose) runtime on a Docker engine: compile the
// desired spec to container options, create it with its networks, volumes and edge sidecar, wait
// for it to be healthy, remove it, and carry out one planned change (create, replace, update,
// delete) with those steps. backend.ts owns the Backend interface and maps what this throws to
// diagnostics; topologies and the replace strategy are described there.

import type Dockerode from 'dockerode';
import { error, type Diagnostic, type Result } from '../../diag/diagnostic.js';
import { DiagnosticError } from '../../diag/error.js';
import type { DockerBackend, GithubSettings } from '../../generated/config.js';
import { deletesVolumes, type Change, type DesiredResource, type ObservedResource } from '../../model/resources.js';
import type { ApplyContext, ApplyOutcome } from '../backend.js';
import {
  clearName,
  ensureVolume,
  type NetworkCache,
  removeContainer,
  removeNetworkIfOurs,
  removeVolumeIfOurs,
} from './containers.js';
import { ensureEdgeImage } from './edge-image.js';
import { isTaskLost, scrub } from './errors.js';
import { compileRuntime, type CompiledRuntime } from './guardrails.js';
import { seccompFor } from './seccomp.js';
import { waitHealthy } from './health.js';
import type { HostFacts } from './host-facts.js';
import { ensureImage, parseImageRef } from './images.js';
import {
  containerName,
  internalNetworkName,
  LABEL,
  managedSpec,
  runtimeLabels,
  stackFilter,
  stackLabels,
  stackNetworkName,
} from './labels.js';
import { containerLogs } from './logs.js';
import { groupSnapshot, snapshotStack } from './observe.js';
import { validateDesired } from './validate.js';
import { ownVolumesForImageUser } from './volume-owner.js';
import { ensureBuilt } from './github.js';
import { ensurePackageImage } from './package-image.js';

/** The part of backend.ts's DockerBackendOptions the lifecycle reads (same meanings). */
export interface LifecycleOptions {
  edgeImage?: string;
  configDir?: string;
  sensitiveValues?: ReadonlySet<string>;
  github?: GithubSettings;
}

/** What the lifecycle works with: one backend's client, config and shared state. */
export interface LifecycleEnv {
  readonly docker: Dockerode;
  /** The backend's name in the config. */
  readonly name: string;
  readonly config: DockerBackend;
  readonly opts: LifecycleOptions;
  /** Networks known to exist, shared with the backend (it forgets them all after a failure). */
  readonly networks: NetworkCache;
  /** AppArmor and the other facts of the engine's host. */
  readonly host: HostFacts;
  readonly publishHost: string;
  /** Default upper bound of a health wait, in ms. */
  readonly healthTimeoutMs: number;
}

/** How observe.ts groups a stack's plain containers into runtimes. */
export function groupOptsFor(env: Pick<LifecycleEnv, 'name' | 'config' | 'publishHost'>, stack: string) {
  return {
    backend: env.name,
    publishHost: env.publishHost,
    stackNetwork: stackNetworkName(stack, env.config.network),
    internalNetwork: (runtime: string) => internalNetworkName(stack, runtime),
  };
}

export class DockerLifecycle {
  constructor(private readonly env: LifecycleEnv) {}

  async observeRuntime(stack: string, runtime: string): Promise<ObservedResource | undefined> {
    const { docker } = this.env;
    const snap = await snapshotStack(docker, stack, runtime);
    return groupSnapshot(snap, groupOptsFor(this.env, stack)).find((o) => o.runtime === runtime);
  }

  async compileFor(d: DesiredResource, stack: string): Promise<Result<CompiledRuntime>> {
    const { name, config, opts, host, publishHost } = this.env;
    const spec = managedSpec(d);
    if (!spec && d.spec.source.type === 'github') {
      return {
        diags: [
          error('docker.source-unresolved', `The commit of the github source of ${d.address} is not resolved`, {
            address: d.address,
            detail: 'Plan again: the plan resolves the branch or tag to a commit before apply.',
          }),
        ],
      };
    }
    if (!spec) return { diags: validateDesired(name, config, [d]) };
    const v = validateDesired(name, config, [d]).filter((x) => x.severity === 'error');
    if (v.length) return { diags: v };
    await host.readInfo();
    const seccomp = await seccompFor(d, opts.configDir ?? process.cwd());
    if (!seccomp.value && seccomp.diags.length) return { diags: seccomp.diags };
    const seccompProfile = seccomp.value?.text;
    // A saved plan may be applied against another engine: refuse a strict profile here too.
    const hostGap = host.noAppArmorOn([d]).filter((x) => x.severity === 'error');
    if (hostGap.length) return { diags: hostGap };
    return {
      value: compileRuntime({
        desired: d,
        spec,
        stack,
        backendName: name,
        network: config.network,
        publishHost,
        seccompProfile,
        apparmorAvailable: host.apparmor,
      }),
      diags: [],
    };
  }

  async startUnit(d: DesiredResource, stack: string, ctx: ApplyContext, compiled: CompiledRuntime): Promise<void> {
    const { docker, name, config, opts, networks } = this.env;
    const spec = managedSpec(d)!;
    // A github build or package image is on this engine already (built before the old container went).
    const local =
      spec.build !== undefined ||
      spec.package !== undefined ||
      (!parseImageRef(spec.image).registry && (config.allow_local_images ?? false));
    const pull = d.spec.source.type === 'docker' ? d.spec.source.pull : 'missing';
    const img = await ensureImage({
      docker,
      image: spec.image,
      pull,
      local,
      progress: ctx.progress,
      signal: ctx.signal,
    });
    if (img.missing) throw new DiagnosticError(img.missing);
    const labelsOfStack = stackLabels({ stack, backend: name });
    const ensureNets = async (): Promise<void> => {
      if (compiled.topology !== 'none') {
        await networks.ensure({ name: compiled.stackNetwork, internal: false, labels: labelsOfStack, stack });
      }
      if (compiled.internalNetwork) {
        await networks.ensure({
          name: compiled.internalNetwork,
          internal: true,
          labels: runtimeLabels({ stack, runtime: d.runtime, backend: name, role: 'main' }),
          stack,
        });
      }
    };
    await ensureNets();
    for (const v of compiled.volumes)
      await ensureVolume(docker, v.name, runtimeLabels({ stack, runtime: d.runtime, backend: name, role: 'main' }));
    await ownVolumesForImageUser({
      docker,
      image: spec.image,
      volumes: compiled.volumes.map((v) => v.name),
      helperImage: () => ensureEdgeImage(docker, ctx.progress, opts.edgeImage),
      stack,
    });
    await clearName(docker, compiled.main.name!, stack);
    ctx.progress(`creating container ${compiled.main.name}`);
    await networks.createContainer(compiled.main, ensureNets, (c) => c.start());
    if (compiled.edge) await this.startEdge(compiled, stack, ctx);
  }

  async startEdge(compiled: CompiledRuntime, stack: string, ctx: ApplyContext): Promise<void> {
    const { docker, name, opts, networks } = this.env;
    const edgeOpts = compiled.edge!;
    edgeOpts.Image = await ensureEdgeImage(docker, ctx.progress, opts.edgeImage);
    const ensureNet = (): Promise<void> =>
      networks.ensure({
        name: compiled.stackNetwork,
        internal: false,
        labels: stackLabels({ stack, backend: name }),
        stack,
      });
    await ensureNet();
    await clearName(docker, edgeOpts.name!, stack);
    ctx.progress(`creating edge sidecar ${edgeOpts.name}`);
    await networks.createContainer(edgeOpts, ensureNet, async (edge) => {
      await docker.getNetwork(compiled.internalNetwork!).connect({ Container: edge.id });
      await edge.start();
    });
  }

  async removeUnit(observed: ObservedResource | undefined, stack: string, runtime: string): Promise<void> {
    const { docker } = this.env;
    const ids = [
      observed?.native?.containerId,
      observed?.native?.edgeContainerId,
      ...((observed?.native?.extraContainers as string[] | undefined) ?? []),
    ];
    for (const id of ids) if (typeof id === 'string') await removeContainer(docker, id);
    // By name too: the observation may predate a container an interrupted apply left behind.
    await clearName(docker, containerName(stack, runtime, 'main'), stack);
    await clearName(docker, containerName(stack, runtime, 'edge'), stack);
  }

  async healthAndObserve(
    d: DesiredResource,
    stack: string,
    ctx: ApplyContext,
  ): Promise<{ observed?: ObservedResource; diags: Diagnostic[] }> {
    const { docker, healthTimeoutMs } = this.env;
    const observed = await this.observeRuntime(stack, d.runtime);
    const containerId = observed?.native?.containerId as string | undefined;
    if (!observed || !containerId)
      return {
        diags: [
          error('docker.vanished', `The container of ${d.address} disappeared right after it was created`, {
            address: d.address,
          }),
        ],
      };
    ctx.progress(`waiting for ${d.address} to become healthy`);
    // The containers exist and run: from here on this action only waits for the server.
    ctx.releaseSlot?.();
    const health = await waitHealthy({
      docker,
      containerId,
      endpoint: observed.endpoint,
      timeoutMs: d.healthTimeoutMs ?? healthTimeoutMs,
      signal: ctx.signal,
      progress: ctx.progress,
    });
    const info = await docker.getContainer(containerId).inspect();
    observed.restarts = info.RestartCount;
    observed.startedAt = info.State.StartedAt;
    if (health.ok) {
      observed.status = 'running';
      return { observed, diags: [] };
    }
    observed.status = info.State.Running ? 'failed' : 'exited';
    const tail: string[] = [];
    for await (const line of containerLogs(docker, containerId, { tail: 5 }))
      tail.push(scrub(line, Object.values(d.secretEnv)));
    return {
      observed,
      diags: [
        error('docker.unhealthy', `${d.address} did not become healthy: ${health.why}`, {
          address: d.address,
          detail: `Last log lines:\n${tail.join('\n') || '(none)'}\nSee \`contextforge logs ${d.runtime}\`.`,
        }),
      ],
    };
  }

  async cleanupStack(stack: string): Promise<void> {
    const { docker, networks } = this.env;
    const left = await docker.listContainers({ all: true, filters: stackFilter(stack) });
    if (left.length > 0) return;
    const nets = await docker.listNetworks({ filters: stackFilter(stack) });
    for (const n of nets) {
      if (n.Labels?.[LABEL.runtime]) continue;
      networks.forget(n.Name);
      await removeNetworkIfOurs(docker, n.Name, stack);
    }
  }

  async apply(change: Change, ctx: ApplyContext): Promise<ApplyOutcome> {
    const { docker, name, opts, networks } = this.env;
    const stack = ctx.stack;
    const d = change.desired;
    const runtime = d?.runtime ?? change.observed?.runtime ?? change.address.replace(/^runtime\./, '');
    switch (change.action) {
      case 'noop':
        return { status: 'unchanged', observed: change.observed, diags: [] };
      case 'delete': {
        ctx.progress(`removing ${change.address}`);
        await this.removeUnit(change.observed, stack, runtime);
        const nets = (change.observed?.native?.networks as string[] | undefined) ?? [
          internalNetworkName(stack, runtime),
        ];
        for (const n of new Set([...nets, internalNetworkName(stack, runtime)])) {
          networks.forget(n);
          await removeNetworkIfOurs(docker, n, stack);
        }
        // Data volumes stay unless the plan says to delete them (destroy --delete-volumes); a
        // watching host's deletes keep them whatever the plan says.
        const volumes = change.observed?.volumes ?? [];
        if (deletesVolumes(change)) for (const v of volumes) await removeVolumeIfOurs(docker, v, stack);
        else if (volumes.length) ctx.progress(`keeping the data volume(s) ${volumes.join(', ')}`);
        await this.cleanupStack(stack);
        return { status: 'deleted', diags: [] };
      }
      case 'create':
      case 'replace': {
        if (!d)
          return {
            status: 'failed',
            diags: [error('docker.no-desired', `${change.action} of ${change.address} has no desired spec`)],
          };
        const compiled = await this.compileFor(d, stack);
        if (!compiled.value) return { status: 'failed', diags: compiled.diags };
        // Build before touching the old container: a failed build leaves it serving.
        const built = await ensureBuilt({
          docker,
          desired: d,
          stack,
          backend: name,
          configDir: opts.configDir ?? process.cwd(),
          github: opts.github,
          ctx,
          secrets: [...Object.values(d.secretEnv), ...(opts.sensitiveValues ?? [])],
        });
        if (built.length) return { status: 'failed', diags: built };
        const packaged = await ensurePackageImage({
          docker,
          desired: d,
          ctx,
          secrets: [...Object.values(d.secretEnv), ...(opts.sensitiveValues ?? [])],
        });
        if (packaged.length) return { status: 'failed', diags: packaged };
        if (change.action === 'replace' || change.observed) {
          ctx.progress(`removing the old container of ${change.address}`);
          await this.removeUnit(change.observed, stack, runtime);
          // A runtime that no longer needs its internal network (egress opened up) drops it.
          if (!compiled.value.internalNetwork) {
            const stale = internalNetworkName(stack, runtime);
            networks.forget(stale);
            await removeNetworkIfOurs(docker, stale, stack);
          }
        }
        await this.startUnit(d, stack, ctx, compiled.value);
        const r = await this.healthAndObserve(d, stack, ctx);
        return {
          status: r.diags.length ? 'failed' : change.action === 'create' ? 'created' : 'updated',
          observed: r.observed,
          diags: r.diags,
        };
      }
      case 'update': {
        if (!d)
          return {
            status: 'failed',
            diags: [error('docker.no-desired', `update of ${change.address} has no desired spec`)],
          };
        const compiled = await this.compileFor(d, stack);
        if (!compiled.value) return { status: 'failed', diags: compiled.diags };
        const current = await this.observeRuntime(stack, runtime);
        if (!current?.native?.containerId) {
          await this.startUnit(d, stack, ctx, compiled.value);
        } else {
          try {
            for (const id of (current.native.extraContainers as string[] | undefined) ?? [])
              await removeContainer(docker, id);
            if (current.native.state !== 'running') {
              ctx.progress(`starting ${containerName(stack, runtime)}`);
              await docker
                .getContainer(current.native.containerId as string)
                .start()
                .catch((err: unknown) => {
                  if ((err as { statusCode?: number }).statusCode !== 304) throw err;
                });
            }
            if (compiled.value.edge) {
              // A sidecar cut off from a network (half-created, or disconnected by hand) is made anew.
              if (current.native.edgeContainerId && ((current.live.edgeDrift as string[] | undefined) ?? []).length) {
                ctx.progress(`re-creating the edge sidecar of ${change.address}`);
                await removeContainer(docker, current.native.edgeContainerId as string);
                await this.startEdge(compiled.value, stack, ctx);
              } else if (!current.native.edgeContainerId) await this.startEdge(compiled.value, stack, ctx);
              else if (current.native.edgeState !== 'running')
                await docker.getContainer(current.native.edgeContainerId as string).start();
            }
          } catch (err) {
            // A daemon crash mid-start leaves a container that can never start again: replace it.
            if (!isTaskLost(err)) throw err;
            ctx.progress(`the engine lost the task of ${containerName(stack, runtime)} in a crash; replacing it`);
            await this.removeUnit(current, stack, runtime);
            await this.startUnit(d, stack, ctx, compiled.value);
          }
        }
        const r = await this.healthAndObserve(d, stack, ctx);
        return { status: r.diags.length ? 'failed' : 'updated', observed: r.observed, diags: r.diags };
      }
    }
  }
}
