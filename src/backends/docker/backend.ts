// The Docker backend: one container per runtime on a per-stack bridge network, ownership labels
// on everything, guardrails compiled to HostConfig (guardrails.ts), and for egress off/filtered
// runtimes a per-runtime internal network behind an edge sidecar (egress-proxy.ts). It touches
// only objects carrying this stack's labels and never prints or labels a secret value.
//
// Topologies (see guardrails.ts topologyOf):
//   open      egress allowed (any host): the container sits on contextforge-<stack> and
//             publishes its MCP port on publish_host (127.0.0.1).
//   none      egress off and nothing to publish (stdio): NetworkMode none, only `lo` exists.
//   internal  egress off with an HTTP port, or egress limited by allowed_hosts: the container is
//             alone on contextforge-<stack>-<runtime>-internal (Internal, and no IPv4 address on
//             the host bridge, so neither the outside nor the host is reachable). Its edge
//             sidecar joins that network and the stack network, publishes the ports on
//             publish_host and forwards them in; with allowed_hosts it also runs an allow-list
//             HTTP/CONNECT proxy that the container reaches through HTTP(S)_PROXY.
//
// Replace is delete-then-create: the host port of a fixed host_port could not be held twice,
// and Docker-chosen ports change anyway, so create-before-delete would buy little here.

import type Dockerode from 'dockerode';
import { error, type Diagnostic, type Result } from '../../diag/diagnostic.js';
import { DiagnosticError, diagsOf } from '../../diag/error.js';
import type { DockerBackend, GithubSettings } from '../../generated/config.js';
import type { Change, DesiredResource, ObservedResource } from '../../model/resources.js';
import type { ApplyContext, ApplyOutcome, Backend, BackendDescription, LogOptions } from '../backend.js';
import { DOCKER_CAPABILITIES } from '../../model/capabilities.js';
import { unenforcedDiagnostic } from '../../config/index.js';
import { clientFor, localAppArmor, whereOf } from './client.js';
import {
  clearName,
  ensureVolume,
  NameTakenError,
  NetworkCache,
  removeContainer,
  removeNetworkIfOurs,
  removeVolumeIfOurs,
} from './containers.js';
import { diffRuntime } from './diff.js';
import { ensureEdgeImage } from './edge-image.js';
import { daemonFailure, isUnreachable, scrub, unreachableDiagnostic } from './errors.js';
import { compileRuntime, type CompiledRuntime } from './guardrails.js';
import { seccompFor } from './seccomp.js';
import { mcpInitialize, waitHealthy } from './health.js';
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
import { containerLogs, FrameDecoder } from './logs.js';
import { containerUsage } from './usage.js';
import { groupSnapshot, snapshotStack } from './observe.js';
import { validateDesired } from './validate.js';
import { ownVolumesForImageUser } from './volume-owner.js';
import { buildLog, ensureBuilt, withBuildStep } from './github.js';
import { applyCompose, composeLogs, type ComposeEnv } from './compose.js';
import { diffCompose, groupCompose, isComposeObject } from './compose-spec.js';

export interface DockerBackendOptions {
  /** A client to use instead of one built from the config (tests pass a counting one). */
  docker?: Dockerode;
  /** Image for edge sidecars; default: built locally from this node (edge-image.ts). */
  edgeImage?: string;
  /** Directory relative seccomp profile paths resolve against (the config's directory). */
  configDir?: string;
  /** Values to scrub from any daemon message before it becomes a diagnostic. */
  sensitiveValues?: ReadonlySet<string>;
  /** Upper bound of a health wait, in ms (default 90 s; the engine's action timeout also applies). */
  healthTimeoutMs?: number;
  /** The config's `github:` settings (base_url, credentials) for github sources. */
  github?: GithubSettings;
}

export interface DockerBackendHandle extends Backend {
  /** The dockerode client (the gateway's stdio attach uses it). */
  readonly docker: Dockerode;
}

export function createDockerBackend(
  name: string,
  config: DockerBackend,
  opts: DockerBackendOptions = {},
): DockerBackendHandle {
  const built = opts.docker
    ? { docker: opts.docker, where: whereOf(opts.docker, 'the configured Docker engine') }
    : clientFor(config);
  const docker = built.docker;
  const target = { where: built.where };
  const publishHost = config.publish_host ?? '127.0.0.1';
  const healthTimeoutMs = opts.healthTimeoutMs ?? 90_000;
  let apparmor = config.host ? false : localAppArmor();
  let infoRead: Promise<void> | undefined;
  const networks = new NetworkCache(docker);
  /** The stack of the last observe (logs --build finds the build logs of that stack). */
  let lastStack = '';

  const readInfo = (): Promise<void> => {
    infoRead ??= docker.info().then(
      (info: { SecurityOptions?: string[] }) => {
        apparmor = (info.SecurityOptions ?? []).some((o) => o.includes('name=apparmor'));
      },
      () => {
        infoRead = undefined;
      },
    );
    return infoRead;
  };

  /**
   * AppArmor is a fact of the host the engine runs on, not of the backend kind (whose table says
   * Docker supports it): runtimes asking for a profile on an engine without AppArmor get the one
   * unenforced-control diagnostic, worded by config/compat.ts like every other.
   */
  function noAppArmorOn(desired: readonly DesiredResource[]): Diagnostic[] {
    if (apparmor) return [];
    return desired
      .filter((d) => d.backend === name && d.spec.guardrails.apparmor && d.spec.guardrails.apparmor !== 'unconfined')
      .map((d) =>
        unenforcedDiagnostic({
          control: 'apparmor',
          note: `the Docker engine at ${target.where} has no AppArmor`,
          profileName: d.spec.guardrails.profile,
          backendName: name,
          backendType: 'docker',
          strict: d.spec.guardrails.strict,
          address: d.address,
          range: d.range,
        }),
      );
  }

  const composeEnv = (stack: string): ComposeEnv => ({
    docker,
    backend: name,
    publishHost,
    configDir: opts.configDir ?? process.cwd(),
    allowLocalImages: config.allow_local_images ?? false,
    apparmorAvailable: apparmor,
    healthTimeoutMs,
    stackNetwork: stackNetworkName(stack, config.network),
    edgeImage: opts.edgeImage,
  });

  const groupOpts = (stack: string) => ({
    backend: name,
    publishHost,
    stackNetwork: stackNetworkName(stack, config.network),
    internalNetwork: (runtime: string) => internalNetworkName(stack, runtime),
  });

  async function observeRuntime(stack: string, runtime: string): Promise<ObservedResource | undefined> {
    const snap = await snapshotStack(docker, stack, runtime);
    return groupSnapshot(snap, groupOpts(stack)).find((o) => o.runtime === runtime);
  }

  async function compileFor(d: DesiredResource, stack: string): Promise<Result<CompiledRuntime>> {
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
    await readInfo();
    const seccomp = await seccompFor(d, opts.configDir ?? process.cwd());
    if (!seccomp.value && seccomp.diags.length) return { diags: seccomp.diags };
    const seccompProfile = seccomp.value?.text;
    // A saved plan may be applied against another engine: refuse a strict profile here too.
    const hostGap = noAppArmorOn([d]).filter((x) => x.severity === 'error');
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
        apparmorAvailable: apparmor,
      }),
      diags: [],
    };
  }

  async function startUnit(
    d: DesiredResource,
    stack: string,
    ctx: ApplyContext,
    compiled: CompiledRuntime,
  ): Promise<void> {
    const spec = managedSpec(d)!;
    // A github build is on this engine already (ensureBuilt ran before the old container went).
    const local =
      spec.build !== undefined || (!parseImageRef(spec.image).registry && (config.allow_local_images ?? false));
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
    if (compiled.edge) await startEdge(compiled, stack, ctx);
  }

  async function startEdge(compiled: CompiledRuntime, stack: string, ctx: ApplyContext): Promise<void> {
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

  async function removeUnit(observed: ObservedResource | undefined, stack: string, runtime: string): Promise<void> {
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

  async function healthAndObserve(
    d: DesiredResource,
    stack: string,
    ctx: ApplyContext,
  ): Promise<{ observed?: ObservedResource; diags: Diagnostic[] }> {
    const observed = await observeRuntime(stack, d.runtime);
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

  async function cleanupStack(stack: string): Promise<void> {
    const left = await docker.listContainers({ all: true, filters: stackFilter(stack) });
    if (left.length > 0) return;
    const nets = await docker.listNetworks({ filters: stackFilter(stack) });
    for (const n of nets) {
      if (n.Labels?.[LABEL.runtime]) continue;
      networks.forget(n.Name);
      await removeNetworkIfOurs(docker, n.Name, stack);
    }
  }

  async function doApply(change: Change, ctx: ApplyContext): Promise<ApplyOutcome> {
    const stack = ctx.stack;
    const d = change.desired;
    const runtime = d?.runtime ?? change.observed?.runtime ?? change.address.replace(/^runtime\./, '');
    switch (change.action) {
      case 'noop':
        return { status: 'unchanged', observed: change.observed, diags: [] };
      case 'delete': {
        ctx.progress(`removing ${change.address}`);
        await removeUnit(change.observed, stack, runtime);
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
        if (change.deleteVolumes && !change.keepVolumes)
          for (const v of volumes) await removeVolumeIfOurs(docker, v, stack);
        else if (volumes.length) ctx.progress(`keeping the data volume(s) ${volumes.join(', ')}`);
        await cleanupStack(stack);
        return { status: 'deleted', diags: [] };
      }
      case 'create':
      case 'replace': {
        if (!d)
          return {
            status: 'failed',
            diags: [error('docker.no-desired', `${change.action} of ${change.address} has no desired spec`)],
          };
        const compiled = await compileFor(d, stack);
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
        if (change.action === 'replace' || change.observed) {
          ctx.progress(`removing the old container of ${change.address}`);
          await removeUnit(change.observed, stack, runtime);
          // A runtime that no longer needs its internal network (egress opened up) drops it.
          if (!compiled.value.internalNetwork) {
            const stale = internalNetworkName(stack, runtime);
            networks.forget(stale);
            await removeNetworkIfOurs(docker, stale, stack);
          }
        }
        await startUnit(d, stack, ctx, compiled.value);
        const r = await healthAndObserve(d, stack, ctx);
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
        const compiled = await compileFor(d, stack);
        if (!compiled.value) return { status: 'failed', diags: compiled.diags };
        const current = await observeRuntime(stack, runtime);
        if (!current?.native?.containerId) {
          await startUnit(d, stack, ctx, compiled.value);
        } else {
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
              await startEdge(compiled.value, stack, ctx);
            } else if (!current.native.edgeContainerId) await startEdge(compiled.value, stack, ctx);
            else if (current.native.edgeState !== 'running')
              await docker.getContainer(current.native.edgeContainerId as string).start();
          }
        }
        const r = await healthAndObserve(d, stack, ctx);
        return { status: r.diags.length ? 'failed' : 'updated', observed: r.observed, diags: r.diags };
      }
    }
  }

  const backend: DockerBackendHandle = {
    docker,
    describe(): BackendDescription {
      // The kind's table, always: host facts (AppArmor) are reported by observe, not hidden here.
      return { name, kind: 'docker', capabilities: DOCKER_CAPABILITIES };
    },
    validate(desired: readonly DesiredResource[]): Diagnostic[] {
      return validateDesired(name, config, desired);
    },
    async observe(stack: string, desired: readonly DesiredResource[] = []): Promise<Result<ObservedResource[]>> {
      try {
        lastStack = stack;
        await readInfo();
        const hostDiags = noAppArmorOn(desired);
        const snap = await snapshotStack(docker, stack);
        // Compose members are grouped by compose-spec.ts; everything else as single containers.
        const plain = {
          ...snap,
          containers: snap.containers.filter((c) => !isComposeObject(c.Labels)),
          networks: snap.networks.filter((n) => !isComposeObject(n.Labels)),
          volumes: snap.volumes.filter((v) => !isComposeObject(v.Labels)),
        };
        const compose = groupCompose({ ...snap, backend: name, publishHost });
        return { value: [...groupSnapshot(plain, groupOpts(stack)), ...compose], diags: hostDiags };
      } catch (err) {
        if (isUnreachable(err)) return { diags: [unreachableDiagnostic(target, err)] };
        return { diags: [daemonFailure(err, { target, action: `listing the containers of stack ${stack}` }).diag] };
      }
    },
    plan(desired: DesiredResource | undefined, observed: ObservedResource | undefined): Change {
      if (desired?.spec.source.type === 'compose' || (!desired && observed?.native?.compose))
        return diffCompose({ desired, observed, backend: name });
      return withBuildStep(diffRuntime({ desired, observed, backend: name }));
    },
    async apply(change: Change, ctx: ApplyContext): Promise<ApplyOutcome> {
      const secrets = [...Object.values(change.desired?.secretEnv ?? {}), ...(opts.sensitiveValues ?? [])];
      try {
        if (change.desired?.spec.source.type === 'compose' || (!change.desired && change.observed?.native?.compose)) {
          await readInfo();
          return await applyCompose(composeEnv(ctx.stack), change, ctx, secrets);
        }
        return await doApply(change, ctx);
      } catch (err) {
        // Whatever failed, do not trust remembered networks on the next attempt.
        networks.forgetAll();
        const carried = diagsOf(err);
        if (carried) return { status: 'failed', diags: carried.map((d) => ({ ...d, address: change.address })) };
        if (err instanceof NameTakenError) {
          return {
            status: 'failed',
            diags: [
              error('docker.name-taken', err.message, {
                address: change.address,
                detail: `Rename or remove that ${err.kind} yourself; contextforge never touches objects without its labels.`,
              }),
            ],
          };
        }
        const f = daemonFailure(err, {
          target,
          action: `applying ${change.action} of ${change.address}`,
          address: change.address,
          secrets,
        });
        return { status: 'failed', retryable: f.retryable, diags: [f.diag] };
      }
    },
    /**
     * status only: an HTTP runtime without a Docker healthcheck is probed with one MCP initialize
     * (apply's own test), so HEALTH says whether it answers now.
     */
    async inspect(observed: readonly ObservedResource[]): Promise<ObservedResource[]> {
      return Promise.all(
        observed.map(async (o) => {
          if (o.live.health !== undefined || o.status !== 'running' || !o.endpoint?.url) return o;
          const ok = await mcpInitialize(o.endpoint, 5_000);
          return { ...o, live: { ...o.live, health: ok ? 'healthy' : 'unhealthy' } };
        }),
      );
    },
    async usage(observed: ObservedResource) {
      const id = observed.native?.containerId;
      if (typeof id !== 'string' || observed.status !== 'running') return undefined;
      return containerUsage(docker, id);
    },
    logs(observed: ObservedResource, options: LogOptions): AsyncIterable<string> {
      if (observed.native?.compose && !options.build) return composeLogs(docker, observed, options);
      if (options.build)
        return buildLog({
          configDir: opts.configDir ?? process.cwd(),
          stack: lastStack,
          runtime: observed.runtime,
          tail: options.tail,
        });
      const id = observed.native?.containerId;
      if (typeof id !== 'string') {
        return (async function* () {
          // Nothing to read: the runtime has no container.
        })();
      }
      return containerLogs(docker, id, options);
    },
    async close(): Promise<void> {
      // dockerode keeps no pooled sockets of its own; nothing to release.
    },
  };
  return backend;
}

export { FrameDecoder };
