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
//
// This module assembles the Backend interface: observe, plan, apply's error mapping, logs. The
// steps of one plain runtime's apply are lifecycle.ts; the host's AppArmor facts host-facts.ts;
// compose sources compose.ts.

import type Dockerode from 'dockerode';
import { error, type Diagnostic, type Result } from '../../diag/diagnostic.js';
import { diagsOf } from '../../diag/error.js';
import type { DockerBackend, GithubSettings } from '../../generated/config.js';
import type { Change, DesiredResource, ObservedResource } from '../../model/resources.js';
import type { ApplyContext, ApplyOutcome, Backend, BackendDescription, LogOptions } from '../backend.js';
import { DOCKER_CAPABILITIES } from '../../model/capabilities.js';
import { clientFor, localAppArmor, whereOf } from './client.js';
import { NameTakenError, NetworkCache } from './containers.js';
import { diffRuntime } from './diff.js';
import { daemonFailure, isUnreachable, unreachableDiagnostic } from './errors.js';
import { mcpInitialize } from './health.js';
import { HostFacts } from './host-facts.js';
import { stackNetworkName } from './labels.js';
import { DockerLifecycle, groupOptsFor } from './lifecycle.js';
import { containerLogs, FrameDecoder } from './logs.js';
import { containerUsage } from './usage.js';
import { groupSnapshot, snapshotStack } from './observe.js';
import { validateDesired } from './validate.js';
import { buildLog, withBuildStep } from './github.js';
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
  const host = new HostFacts(docker, name, target.where, config.host ? false : localAppArmor());
  const networks = new NetworkCache(docker);
  const lifecycle = new DockerLifecycle({ docker, name, config, opts, networks, host, publishHost, healthTimeoutMs });
  /** The stack of the last observe (logs --build finds the build logs of that stack). */
  let lastStack = '';

  const composeEnv = (stack: string): ComposeEnv => ({
    docker,
    backend: name,
    publishHost,
    configDir: opts.configDir ?? process.cwd(),
    allowLocalImages: config.allow_local_images ?? false,
    apparmorAvailable: host.apparmor,
    healthTimeoutMs,
    stackNetwork: stackNetworkName(stack, config.network),
    edgeImage: opts.edgeImage,
  });

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
        await host.readInfo();
        const hostDiags = host.noAppArmorOn(desired);
        const snap = await snapshotStack(docker, stack);
        // Compose members are grouped by compose-spec.ts; everything else as single containers.
        const plain = {
          ...snap,
          containers: snap.containers.filter((c) => !isComposeObject(c.Labels)),
          networks: snap.networks.filter((n) => !isComposeObject(n.Labels)),
          volumes: snap.volumes.filter((v) => !isComposeObject(v.Labels)),
        };
        const compose = groupCompose({ ...snap, backend: name, publishHost });
        return {
          value: [...groupSnapshot(plain, groupOptsFor({ name, config, publishHost }, stack)), ...compose],
          diags: hostDiags,
        };
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
          await host.readInfo();
          return await applyCompose(composeEnv(ctx.stack), change, ctx, secrets);
        }
        return await lifecycle.apply(change, ctx);
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
