// Reads every live object of one stack on one backend with a fixed number of label-filtered list
// calls (containers, networks, volumes, images) and groups them into one ObservedResource per
// runtime. Never inspects per container: everything plan needs is in list data and our labels.

import type Dockerode from 'dockerode';
import type { Endpoint, ObservedResource, ObservedStatus } from '../../model/resources.js';
import { LABEL, parseManagedSpec, stackFilter, type DockerManagedSpec } from './labels.js';
import { portsToPublish, topologyOf, type Topology } from './guardrails.js';
import { inspectImage, type ImageFacts } from './images.js';

export interface StackSnapshot {
  containers: Dockerode.ContainerInfo[];
  networks: Dockerode.NetworkInspectInfo[];
  volumes: Array<{ Name: string; Labels: Record<string, string> | null }>;
  /** `repo:tag` → image id, for every tagged image on the engine. */
  imageIds: Map<string, string>;
}

/**
 * Four list calls, however many runtimes the stack has. With `runtime`, only that runtime's
 * objects (apply reading back what it just made): label-filtered lists of its containers,
 * networks and volumes, and an inspect of the image its container names instead of listing
 * every image on the engine.
 */
export async function snapshotStack(docker: Dockerode, stack: string, runtime?: string): Promise<StackSnapshot> {
  const filters = runtime === undefined ? stackFilter(stack) : runtimeFilter(stack, runtime);
  const [containers, networks, volumes, images] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
    runtime === undefined ? docker.listImages() : Promise.resolve(undefined),
  ]);
  const imageIds = new Map<string, string>();
  for (const img of images ?? (await imagesOf(docker, containers)))
    for (const tag of img.RepoTags ?? []) imageIds.set(tag, img.Id);
  return {
    containers,
    networks,
    volumes: (volumes.Volumes ?? []).map((v) => ({
      Name: v.Name,
      Labels: (v.Labels as Record<string, string> | null) ?? null,
    })),
    imageIds,
  };
}

function runtimeFilter(stack: string, runtime: string): string {
  const f = JSON.parse(stackFilter(stack)) as { label: string[] };
  return JSON.stringify({ label: [...f.label, `${LABEL.runtime}=${runtime}`] });
}

/** Tags and ids of the images the containers' spec labels name (one inspect each, missing ones skipped). */
async function imagesOf(
  docker: Dockerode,
  containers: Dockerode.ContainerInfo[],
): Promise<Array<{ Id: string; RepoTags?: string[] }>> {
  const refs = new Set<string>();
  for (const c of containers) {
    const spec = parseManagedSpec(c.Labels?.[LABEL.spec]);
    if (spec) refs.add(spec.image);
  }
  const found = await Promise.all([...refs].map((r) => inspectImage(docker, r).catch(() => undefined)));
  return found.filter((i): i is ImageFacts => i !== undefined);
}

/** Health as `docker ps` reports it in Status: "Up 3 minutes (healthy)". */
export function healthFromStatus(status: string): 'healthy' | 'unhealthy' | 'starting' | undefined {
  if (/\(healthy\)/.test(status)) return 'healthy';
  if (/\(unhealthy\)/.test(status)) return 'unhealthy';
  if (/\(health: starting\)/.test(status)) return 'starting';
  return undefined;
}

export function statusOf(state: string, status: string): ObservedStatus {
  switch (state) {
    case 'running': {
      const h = healthFromStatus(status);
      return h === 'unhealthy' ? 'failed' : h === 'starting' ? 'starting' : 'running';
    }
    case 'restarting':
      return 'starting';
    case 'created':
    case 'paused':
      return 'stopped';
    case 'exited':
      return 'exited';
    case 'dead':
      return 'failed';
    case 'removing':
      return 'missing';
    default:
      return 'unknown';
  }
}

/** The image name as Docker resolves `repo` without a tag. */
function withTag(image: string): string {
  const lastSlash = image.lastIndexOf('/');
  return image.slice(lastSlash + 1).includes(':') || image.includes('@') ? image : `${image}:latest`;
}

function endpointOf(
  spec: DockerManagedSpec,
  main: Dockerode.ContainerInfo,
  edge: Dockerode.ContainerInfo | undefined,
  publishHost: string,
): Endpoint | undefined {
  const t = spec.transport;
  if (t.type === 'stdio') return { transport: 'stdio', attach: { kind: 'docker', containerId: main.Id } };
  const holder = topologyOf(spec) === 'internal' ? edge : main;
  const binding = holder?.Ports.find(
    (p) => p.PrivatePort === t.port && p.PublicPort && (p.IP === publishHost || p.IP === '0.0.0.0'),
  );
  if (!binding) return undefined;
  const host = publishHost === '0.0.0.0' || publishHost === '' ? '127.0.0.1' : publishHost;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return { transport: t.type, url: `http://${hostPart}:${binding.PublicPort}${t.path ?? '/mcp'}` };
}

/** Differences between what the labels say we created and what list data shows now. */
export function listDrift(spec: DockerManagedSpec, c: Dockerode.ContainerInfo, expectNetwork: string): string[] {
  const out: string[] = [];
  const topology: Topology = topologyOf(spec);
  if (c.HostConfig?.NetworkMode && c.HostConfig.NetworkMode !== expectNetwork)
    out.push(`network ${c.HostConfig.NetworkMode}`);
  // A network connected by hand (docker network connect) would be a way around the topology.
  const networks = Object.keys(c.NetworkSettings?.Networks ?? {});
  const attached = networks.filter((n) => n !== expectNetwork);
  if (attached.length > 0) out.push(`also attached to ${attached.sort().join(', ')}`);
  // Disconnected by hand (docker network disconnect): NetworkMode still names it, nothing routes.
  if (expectNetwork !== 'none' && !networks.includes(expectNetwork)) out.push(`not attached to ${expectNetwork}`);
  if (topology === 'open') {
    const want = portsToPublish(spec).join(',');
    const have = [...new Set(c.Ports.filter((p) => p.PublicPort).map((p) => p.PrivatePort))]
      .sort((a, b) => a - b)
      .join(',');
    if (c.State === 'running' && want !== have) out.push(`published ports [${have}] instead of [${want}]`);
  }
  const mounts = c.Mounts.filter((m) => m.Type === 'volume' || m.Type === 'bind')
    .map((m) => m.Destination)
    .sort()
    .join(',');
  const wantMounts = [...spec.guardrails.allowedMounts].sort().join(',');
  if (mounts !== wantMounts) out.push(`mounts [${mounts}] instead of [${wantMounts}]`);
  return out;
}

/**
 * What keeps an internal runtime's edge sidecar from carrying traffic, from list data: it must
 * sit on the stack network (where its port is published) and on the runtime's internal network
 * (where the server is), and once running it must publish the transport's port. A sidecar an
 * interrupted apply created but never connected, or one disconnected by hand, is drift.
 */
export function edgeDrift(
  spec: DockerManagedSpec,
  edge: Dockerode.ContainerInfo,
  nets: { stack: string; internal: string },
  publishHost: string,
): string[] {
  const out: string[] = [];
  const on = Object.keys(edge.NetworkSettings?.Networks ?? {});
  for (const n of [nets.stack, nets.internal]) if (!on.includes(n)) out.push(`edge sidecar not attached to ${n}`);
  const t = spec.transport;
  if (edge.State === 'running' && t.type !== 'stdio') {
    const published = edge.Ports.some(
      (p) => p.PrivatePort === t.port && p.PublicPort && (p.IP === publishHost || p.IP === '0.0.0.0'),
    );
    if (!published) out.push(`edge sidecar publishes no port for ${t.port} on ${publishHost}`);
  }
  return out;
}

export interface GroupOptions {
  backend: string;
  publishHost: string;
  /** The stack network name (for drift of NetworkMode). */
  stackNetwork: string;
  internalNetwork(runtime: string): string;
}

/** One observed resource per runtime that has any object of ours on this backend. */
export function groupSnapshot(snap: StackSnapshot, opts: GroupOptions): ObservedResource[] {
  const byRuntime = new Map<
    string,
    {
      main?: Dockerode.ContainerInfo;
      edge?: Dockerode.ContainerInfo;
      extra: Dockerode.ContainerInfo[];
      networks: string[];
      volumes: string[];
    }
  >();
  const slot = (runtime: string) => {
    let s = byRuntime.get(runtime);
    if (!s) byRuntime.set(runtime, (s = { extra: [], networks: [], volumes: [] }));
    return s;
  };
  const ours = (labels: Record<string, string> | null | undefined): string | undefined =>
    labels && labels[LABEL.backend] === opts.backend ? labels[LABEL.runtime] : undefined;

  for (const c of snap.containers) {
    const runtime = ours(c.Labels);
    if (!runtime) continue;
    const s = slot(runtime);
    const role = c.Labels[LABEL.role];
    if (role === 'edge') {
      if (s.edge) s.extra.push(c);
      else s.edge = c;
    } else if (s.main) {
      // Two main containers (an interrupted apply): keep a running one, else the newest, and
      // report the others for removal.
      const rank = (x: Dockerode.ContainerInfo): number => (x.State === 'running' ? 1e12 : 0) + x.Created;
      if (rank(c) > rank(s.main)) {
        s.extra.push(s.main);
        s.main = c;
      } else s.extra.push(c);
    } else s.main = c;
  }
  for (const n of snap.networks) {
    const runtime = ours(n.Labels);
    if (runtime) slot(runtime).networks.push(n.Name);
  }
  for (const v of snap.volumes) {
    const runtime = ours(v.Labels);
    if (runtime) slot(runtime).volumes.push(v.Name);
  }

  const out: ObservedResource[] = [];
  for (const [runtime, s] of [...byRuntime.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const address = `runtime.${runtime}`;
    const native: Record<string, unknown> = {
      networks: s.networks,
      volumes: s.volumes,
      extraContainers: s.extra.map((c) => c.Id),
    };
    if (!s.main) {
      if (s.edge) native.edgeContainerId = s.edge.Id;
      const volumesOnly = !s.edge && s.extra.length === 0 && s.networks.length === 0 && s.volumes.length > 0;
      out.push({
        address,
        runtime,
        backend: opts.backend,
        live: {},
        status: 'missing',
        native,
        ...(s.volumes.length ? { volumes: [...s.volumes].sort() } : {}),
        ...(volumesOnly ? { volumesOnly } : {}),
      });
      continue;
    }
    const c = s.main;
    const spec = parseManagedSpec(c.Labels[LABEL.spec]);
    native.containerId = c.Id;
    native.containerName = c.Names[0]?.replace(/^\//, '');
    native.state = c.State;
    if (s.edge) {
      native.edgeContainerId = s.edge.Id;
      native.edgeState = s.edge.State;
    }
    const live: ObservedResource['live'] = {
      imageId: c.ImageID,
      dockerHash: c.Labels[LABEL.dockerHash],
      // Without a Docker healthcheck, a stdio server is healthy by apply's own test (it has nothing
      // to probe from outside): its container runs. HTTP servers are probed by inspect (status).
      health:
        healthFromStatus(c.Status) ??
        (spec?.transport.type === 'stdio' && c.State === 'running' ? 'healthy' : undefined),
    };
    if (spec) {
      const topology = topologyOf(spec);
      const expectNetwork =
        topology === 'none' ? 'none' : topology === 'internal' ? opts.internalNetwork(runtime) : opts.stackNetwork;
      Object.assign(live, {
        docker: spec,
        source: { type: 'docker', image: spec.image, command: spec.entrypoint, args: spec.cmd, pull: 'missing' },
        env: spec.env,
        transport: spec.transport,
        restart: spec.restart as 'no',
        hostPort: spec.hostPort,
        labels: spec.labels,
        topology,
        imageCurrentId: snap.imageIds.get(withTag(spec.image)),
        listDrift: listDrift(spec, c, expectNetwork),
        edgeDrift:
          topology === 'internal' && s.edge
            ? edgeDrift(
                spec,
                s.edge,
                { stack: opts.stackNetwork, internal: opts.internalNetwork(runtime) },
                opts.publishHost,
              )
            : [],
        edgePresent: topology !== 'internal' || s.edge !== undefined,
        edgeRunning: topology !== 'internal' || s.edge?.State === 'running',
      });
    }
    const endpoint = spec ? endpointOf(spec, c, s.edge, opts.publishHost) : undefined;
    out.push({
      address,
      runtime,
      backend: opts.backend,
      specHash: c.Labels[LABEL.specHash],
      live,
      status: statusOf(c.State, c.Status),
      endpoint,
      // List data has no start time; the creation time is the closest it offers.
      startedAt: c.State === 'running' ? new Date(c.Created * 1000).toISOString() : undefined,
      native,
      ...(s.volumes.length ? { volumes: [...s.volumes].sort() } : {}),
    });
  }
  return out;
}
