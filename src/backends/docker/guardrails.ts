// Compiles a runtime's effective guardrails into Docker settings: HostConfig limits and security
// options, the network topology (open bridge, `none`, or a per-runtime internal network behind an
// edge sidecar), published ports, volumes for allowed_mounts, and the edge sidecar's own config.
// Pure: no daemon calls. Secret env values are placed only into the container Env it returns.

import type Dockerode from 'dockerode';
import type { DesiredResource } from '../../model/resources.js';
import { EDGE_PROGRAM_PATH } from './edge-image.js';
import {
  containerName,
  internalNetworkName,
  mainContainerLabels,
  runtimeLabels,
  stackNetworkName,
  volumeName,
  type DockerManagedSpec,
} from './labels.js';

/** How a runtime is wired: see docs in backend.ts. */
export type Topology = 'open' | 'none' | 'internal';

export const EDGE_PROXY_PORT = 3128;

export interface CompileInput {
  desired: DesiredResource;
  spec: DockerManagedSpec;
  stack: string;
  backendName: string;
  /** The backend's `network` setting. */
  network?: string;
  publishHost: string;
  /** Content of a seccomp profile file when guardrails.seccomp names one (read by the caller). */
  seccompProfile?: string;
  /** Whether the daemon reports AppArmor; AppArmor options are only set when it does. */
  apparmorAvailable: boolean;
  /** Container name override (used while replacing). */
  name?: string;
}

export interface CompiledRuntime {
  topology: Topology;
  /** Container ports published on the host (by the main container, or the edge when internal). */
  publishedPorts: number[];
  stackNetwork: string;
  internalNetwork?: string;
  volumes: Array<{ name: string; target: string }>;
  main: Dockerode.ContainerCreateOptions;
  /** The sidecar, for the internal topology (forwarders and/or egress proxy). */
  edge?: Dockerode.ContainerCreateOptions;
}

export function egressFiltered(g: { egressAllowed: boolean; allowedHosts: string[] }): boolean {
  return g.egressAllowed && g.allowedHosts.length > 0 && !g.allowedHosts.includes('*');
}

/** Container ports to publish: ingress_ports when the profile lists them, else the MCP port. */
export function portsToPublish(spec: DockerManagedSpec): number[] {
  // A stdio server with egress off publishes nothing: the gateway reaches it by docker exec, and
  // an edge sidecar publishing the profile's ingress_ports (restricted's 8080) would forward to
  // nothing. With egress on, ports listed for it are published as asked.
  if (spec.transport.type === 'stdio' && !spec.guardrails.egressAllowed) return [];
  const ports = new Set<number>(spec.guardrails.ingressPorts);
  if (spec.transport.type !== 'stdio' && spec.transport.port !== undefined) ports.add(spec.transport.port);
  return [...ports].sort((a, b) => a - b);
}

export function topologyOf(spec: DockerManagedSpec): Topology {
  const g = spec.guardrails;
  if (!g.egressAllowed) return portsToPublish(spec).length === 0 ? 'none' : 'internal';
  return egressFiltered(g) ? 'internal' : 'open';
}

function normalizeCap(cap: string): string {
  return cap.toUpperCase().replace(/^CAP_/, '');
}

/** SecurityOpt entries: no-new-privileges always, then seccomp and AppArmor as asked. */
export function securityOptions(input: {
  seccomp?: string;
  seccompProfile?: string;
  apparmor?: string;
  apparmorAvailable: boolean;
}): string[] {
  const out = ['no-new-privileges:true'];
  if (input.seccomp === 'unconfined') out.push('seccomp=unconfined');
  else if (input.seccomp && input.seccomp !== 'runtime/default' && input.seccompProfile)
    out.push(`seccomp=${input.seccompProfile}`);
  if (input.apparmor && input.apparmorAvailable) out.push(`apparmor=${input.apparmor}`);
  return out;
}

export function compileRuntime(input: CompileInput): CompiledRuntime {
  const { desired, spec, stack } = input;
  const g = spec.guardrails;
  const topology = topologyOf(spec);
  const publishedPorts = portsToPublish(spec);
  const stackNetwork = stackNetworkName(stack, input.network);
  const internalNetwork = topology === 'internal' ? internalNetworkName(stack, desired.runtime) : undefined;
  const mainName = input.name ?? containerName(stack, desired.runtime, 'main');
  const edgeName = containerName(stack, desired.runtime, 'edge');
  const volumes = g.allowedMounts.map((target) => ({ name: volumeName(stack, desired.runtime, target), target }));

  const env: string[] = [];
  for (const [k, v] of Object.entries(spec.env)) env.push(`${k}=${v}`);
  for (const [k, v] of Object.entries(desired.secretEnv)) env.push(`${k}=${v}`);
  if (topology === 'internal' && egressFiltered(g)) {
    // Proxy-aware clients go through the allow-list; everything else has no route at all.
    const proxy = `http://${edgeName}:${EDGE_PROXY_PORT}`;
    for (const k of ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy']) env.push(`${k}=${proxy}`);
    env.push('NO_PROXY=localhost,127.0.0.1', 'no_proxy=localhost,127.0.0.1');
  }

  const bindings = (port: number): Array<{ HostIp: string; HostPort: string }> => [
    {
      HostIp: input.publishHost,
      HostPort: port === spec.transport.port && spec.hostPort !== undefined ? String(spec.hostPort) : '',
    },
  ];
  const portBindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  const exposed: Record<string, Record<string, never>> = {};
  for (const p of publishedPorts) {
    portBindings[`${p}/tcp`] = bindings(p);
    exposed[`${p}/tcp`] = {};
  }

  const hostConfig: Dockerode.HostConfig = {
    NetworkMode: topology === 'none' ? 'none' : topology === 'internal' ? internalNetwork : stackNetwork,
    PortBindings: topology === 'open' ? portBindings : undefined,
    ReadonlyRootfs: g.readOnlyRoot,
    Tmpfs: g.readOnlyRoot ? { '/tmp': 'rw,nosuid,nodev,size=64m' } : undefined,
    Mounts: volumes.map((v) => ({ Type: 'volume' as const, Source: v.name, Target: v.target, ReadOnly: false })),
    CapDrop: g.dropAll ? ['ALL'] : undefined,
    CapAdd: g.capAdd.length > 0 ? g.capAdd.map(normalizeCap) : undefined,
    SecurityOpt: securityOptions({
      seccomp: g.seccomp,
      seccompProfile: input.seccompProfile,
      apparmor: g.apparmor,
      apparmorAvailable: input.apparmorAvailable,
    }),
    NanoCpus: g.maxCpu !== undefined ? Math.round(g.maxCpu * 1e9) : undefined,
    Memory: g.maxMemory,
    // Equal to Memory: no swap on top of the limit, so the limit is the limit.
    MemorySwap: g.maxMemory,
    PidsLimit: g.maxPids,
    RestartPolicy: { Name: spec.restart === 'no' ? '' : spec.restart, MaximumRetryCount: 0 },
  };

  const stdio = spec.transport.type === 'stdio';
  const main: Dockerode.ContainerCreateOptions = {
    name: mainName,
    Image: spec.image,
    Entrypoint: spec.entrypoint,
    Cmd: spec.cmd,
    Env: env,
    Labels: mainContainerLabels(desired, stack, spec),
    ExposedPorts: topology === 'open' ? exposed : undefined,
    // stdio servers: stdin stays open (no TTY) so the main process waits instead of reading EOF;
    // the gateway gives each of its sessions a server of its own with `docker exec -i`.
    OpenStdin: stdio,
    StdinOnce: false,
    AttachStdin: false,
    Tty: false,
    HostConfig: hostConfig,
  };

  let edge: Dockerode.ContainerCreateOptions | undefined;
  if (topology === 'internal') {
    const forwards = publishedPorts.map((p) => ({ listen: p, host: mainName, port: p }));
    const edgeEnv = [`CF_FORWARD=${JSON.stringify(forwards)}`];
    if (egressFiltered(g)) {
      edgeEnv.push(`CF_PROXY_PORT=${EDGE_PROXY_PORT}`, `CF_ALLOWED_HOSTS=${JSON.stringify(g.allowedHosts)}`);
    }
    edge = {
      name: edgeName,
      // The image is filled in by the caller once the edge image exists.
      Image: '',
      Entrypoint: ['/usr/bin/node', EDGE_PROGRAM_PATH],
      Env: edgeEnv,
      Labels: runtimeLabels({ stack, runtime: desired.runtime, backend: input.backendName, role: 'edge' }),
      ExposedPorts: exposed,
      User: '65534:65534',
      HostConfig: {
        ...edgeHostConfig(stackNetwork, portBindings),
        RestartPolicy: { Name: spec.restart === 'no' ? '' : spec.restart, MaximumRetryCount: 0 },
      },
    };
  }
  return { topology, publishedPorts, stackNetwork, internalNetwork, volumes, main, edge };
}

/**
 * The edge sidecar's hardened HostConfig, one definition for single runtimes and compose stacks:
 * read-only, no capabilities, no new privileges, small limits, and no routing.
 */
export function edgeHostConfig(
  network: string,
  portBindings: Record<string, Array<{ HostIp: string; HostPort: string }>>,
): Dockerode.HostConfig {
  return {
    NetworkMode: network,
    PortBindings: portBindings,
    ReadonlyRootfs: true,
    CapDrop: ['ALL'],
    SecurityOpt: ['no-new-privileges:true'],
    Memory: 128 * 1024 * 1024,
    MemorySwap: 128 * 1024 * 1024,
    PidsLimit: 64,
    // A new network namespace copies the host's ip_forward (1 on a Docker host). The edge sits
    // on both networks, so it must not route: a container able to send raw frames to it would
    // otherwise have a way out. It listens on the runtime's own port numbers as uid 65534 without
    // capabilities, so ports below 1024 must be bindable (Docker 20.10+ sets this too).
    Sysctls: { 'net.ipv4.ip_forward': '0', 'net.ipv4.ip_unprivileged_port_start': '0' },
  };
}
