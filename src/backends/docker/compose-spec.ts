// Compose sources on Docker, the pure half: the per-service member specs a compose runtime
// compiles to (the runtime's guardrails on every service), their labels and hashes, grouping of
// listed containers into one observed runtime, and the diff that names changed services
// (`services.<name>.<field>`). No I/O; secret values only enter a member's container Env.

import { dirname, resolve } from 'node:path';
import type Dockerode from 'dockerode';
import { error, type Diagnostic } from '../../diag/diagnostic.js';
import { canonicalJson, hashOf } from '../../model/canonical.js';
import type {
  Change,
  DesiredResource,
  Endpoint,
  FieldChange,
  NormalizedSource,
  ObservedResource,
} from '../../model/resources.js';
import {
  type ComposeHealthcheck,
  type ComposeModel,
  type ComposePort,
  type ComposeVolumeMount,
  startOrder,
  parseCompose,
  positionsOf,
} from '../../config/index.js';
import { LABEL, stackLabels, type ManagedGuardrails } from './labels.js';
import { healthFromStatus, statusOf } from './observe.js';
import { egressFiltered } from './guardrails.js';

export type ComposeSource = Extract<NormalizedSource, { type: 'compose' }>;

export const COMPOSE_LABEL = {
  /** The compose service a container runs (present only on compose members). */
  service: 'dev.contextforge.compose-service',
  /**
   * The runtime's spec hash when the member was created. Members are replaced one by one, so the
   * newest member carries the hash of the last apply that changed anything.
   */
  runtimeHash: 'dev.contextforge.compose-runtime-hash',
} as const;

/** Everything that decides how one member container is created; its hash drives replacement. */
export interface MemberSpec {
  service: string;
  main: boolean;
  /** The MCP endpoint of the main service: what the gateway registers. */
  mcp?: { transport: 'streamable-http' | 'sse'; port: number; path: string };
  image: string;
  build?: { context: string; dockerfile?: string; args: Record<string, string> };
  entrypoint?: string[];
  cmd?: string[];
  env: Record<string, string>;
  /** Names of secret env (main service only); values come from DesiredResource.secretEnv. */
  secretNames: string[];
  ports: ComposePort[];
  healthcheck?: ComposeHealthcheck;
  volumes: ComposeVolumeMount[];
  networks: string[];
  dependsOn: Record<string, string>;
  guardrails: ManagedGuardrails;
  restart: string;
  labels: Record<string, string>;
}

export interface CompiledCompose {
  model: ComposeModel;
  order: string[];
  members: Record<string, { spec: MemberSpec; hash: string }>;
  /** `internal` when egress is off or filtered: members on internal networks behind an edge. */
  topology: 'open' | 'internal';
  /** The edge sidecar (internal topology): forwarded ports and the egress allow-list. */
  edge?: { spec: EdgeSpec; hash: string };
}

/** The edge of an internal compose runtime: it alone publishes ports and reaches out. */
export interface EdgeSpec {
  forwards: Array<{ service: string; listen: number; port: number; host?: number; hostIp?: string }>;
  /** Hosts its HTTP(S) proxy allows; absent when egress is off. */
  allowedHosts?: string[];
  networks: string[];
}

/** Network alias of the edge on the stack's own networks (members' HTTP(S)_PROXY host). */
export const EDGE_ALIAS = 'contextforge-edge';
export const EDGE_PROXY_PORT_COMPOSE = 3128;

export function composeTopology(g: { egressAllowed: boolean; allowedHosts: string[] }): 'open' | 'internal' {
  return !g.egressAllowed || egressFiltered(g) ? 'internal' : 'open';
}

/** The compose text of a source, as resolved at plan time (`content`) or inline. */
export function composeContent(s: ComposeSource): { text?: string; file: string } {
  if (s.content !== undefined) return { text: s.content, file: s.inline ? '(inline compose_file)' : s.composeFile };
  return s.inline ? { text: s.composeFile, file: '(inline compose_file)' } : { file: s.composeFile };
}

/** Parses the source and compiles one member per service; diagnostics when it cannot. */
export function compileCompose(d: DesiredResource): { value?: CompiledCompose; diags: Diagnostic[] } {
  const s = d.spec.source;
  if (s.type !== 'compose') return { diags: [] };
  const c = composeContent(s);
  if (c.text === undefined) {
    return {
      diags: [
        error('docker.compose-unresolved', `The compose file of ${d.address} was not read`, {
          address: d.address,
          detail: 'Plan again: the plan reads compose files before the diff.',
        }),
      ],
    };
  }
  const pos = positionsOf(c.text);
  const parsed = parseCompose(
    { text: c.text, file: c.file, toRange: (a, b) => ({ file: c.file, start: pos(a), end: pos(b) }) },
    s.mainService,
  );
  if (!parsed.value) return { diags: parsed.diags.map((x) => ({ ...x, address: d.address })) };
  const model = parsed.value;
  const { profile: _p, strict: _s, ...guardrails } = d.spec.guardrails;
  const members: CompiledCompose['members'] = {};
  const mainPort = d.spec.transport.type === 'stdio' ? undefined : d.spec.transport.port;
  const topology = composeTopology(d.spec.guardrails);
  const filtered = egressFiltered(d.spec.guardrails);
  const proxyEnv: Record<string, string> = {};
  if (filtered) {
    // Proxy-aware clients go through the edge's allow-list; services reach each other directly.
    const proxy = `http://${EDGE_ALIAS}:${EDGE_PROXY_PORT_COMPOSE}`;
    const noProxy = ['localhost', '127.0.0.1', ...Object.keys(model.services).sort()].join(',');
    Object.assign(proxyEnv, {
      HTTP_PROXY: proxy,
      HTTPS_PROXY: proxy,
      http_proxy: proxy,
      https_proxy: proxy,
      NO_PROXY: noProxy,
      no_proxy: noProxy,
    });
  }
  for (const [name, svc] of Object.entries(model.services)) {
    const main = name === s.mainService;
    const ports = [...svc.ports];
    // The MCP port of the main service is always published (loopback, Docker picks the port).
    if (main && mainPort !== undefined && !ports.some((p) => p.container === mainPort))
      ports.push({ container: mainPort, host: d.spec.hostPort });
    const spec: MemberSpec = {
      service: name,
      main,
      mcp:
        main && mainPort !== undefined
          ? {
              transport: d.spec.transport.type as 'streamable-http' | 'sse',
              port: mainPort,
              path: d.spec.transport.path ?? '/mcp',
            }
          : undefined,
      image: svc.image ?? builtMemberImage(d.runtime, name, s, svc.build!),
      build: svc.build,
      entrypoint: svc.entrypoint,
      cmd: svc.command,
      // The runtime's env (and secrets) go to the MCP server, the compose file's to each service.
      env: main ? { ...svc.environment, ...d.spec.env, ...proxyEnv } : { ...svc.environment, ...proxyEnv },
      secretNames: main ? Object.keys(d.secretEnv).sort() : [],
      ports: ports.sort((a, b) => a.container - b.container),
      healthcheck: svc.healthcheck,
      volumes: svc.volumes,
      networks: svc.networks,
      dependsOn: svc.dependsOn,
      guardrails,
      restart: d.spec.restart,
      labels: { ...d.spec.labels },
    };
    dropUndefined(spec as unknown as Record<string, unknown>);
    members[name] = { spec, hash: hashOf({ spec, secrets: main ? d.spec.secretDigests : {} }) };
  }
  let edge: CompiledCompose['edge'];
  if (topology === 'internal') {
    const used = new Set<number>();
    const forwards: EdgeSpec['forwards'] = [];
    for (const name of Object.keys(members).sort()) {
      for (const p of members[name].spec.ports) {
        // Two services may use one container port; the edge then listens on a free one.
        let listen = p.container;
        while (used.has(listen) || listen === EDGE_PROXY_PORT_COMPOSE) listen = listen >= 65000 ? 20000 : listen + 1;
        used.add(listen);
        forwards.push({ service: name, listen, port: p.container, host: p.host, hostIp: p.hostIp });
      }
    }
    const spec: EdgeSpec = { forwards, networks: ['default', ...model.networks] };
    if (filtered) spec.allowedHosts = [...d.spec.guardrails.allowedHosts];
    edge = { spec, hash: hashOf(spec) };
  }
  return {
    value: { model, order: startOrder(model) ?? Object.keys(model.services).sort(), members, topology, edge },
    diags: parsed.diags,
  };
}

/**
 * Tag of a member built from a build context: the context's absolute path, dockerfile and args
 * are in the tag, so two stacks (or two directories) never share one, and so is the digest of
 * the context's content (sources/build-context.ts): an edited Dockerfile or context file moves
 * the tag, so the plan replaces that member and apply builds the new image.
 */
function builtMemberImage(
  runtime: string,
  service: string,
  s: ComposeSource,
  build: { context: string; dockerfile?: string; args: Record<string, string> },
): string {
  const base = s.inline ? s.baseDir : dirname(resolve(s.baseDir, s.composeFile));
  const key = hashOf({
    context: resolve(base, build.context),
    dockerfile: build.dockerfile ?? 'Dockerfile',
    args: build.args,
    ...(s.buildDigests?.[service] ? { content: s.buildDigests[service] } : {}),
  })
    .replace(/^sha256:/, '')
    .slice(0, 12);
  return `cf-build-${runtime}-${service}:${key}`.toLowerCase();
}

function dropUndefined(o: Record<string, unknown>): void {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
}

export function composeNetworkName(stack: string, runtime: string, network = 'default', internal = false): string {
  const base =
    network === 'default' ? `contextforge-${stack}-${runtime}` : `contextforge-${stack}-${runtime}-${network}`;
  // Internal networks get their own names: a topology change is then a new network, not an edit.
  return internal ? `${base}-i` : base;
}

/** The edge of a compose runtime; `--` cannot come from a service name (they start with [a-z0-9]). */
export function composeEdgeName(stack: string, runtime: string): string {
  return `cf-${stack}-${runtime}--edge`;
}

export const EDGE_SERVICE = '~edge';

export function composeVolumeName(stack: string, runtime: string, volume: string): string {
  return `contextforge-${stack}-${runtime}-${volume}`;
}

export function memberContainerName(stack: string, runtime: string, service: string): string {
  return `cf-${stack}-${runtime}-${service}`;
}

/** Ownership labels of a compose runtime's networks and volumes (and, with a service, members). */
export function composeLabels(input: {
  stack: string;
  runtime: string;
  backend: string;
  service?: string;
}): Record<string, string> {
  return {
    ...stackLabels(input),
    [LABEL.address]: `runtime.${input.runtime}`,
    [LABEL.runtime]: input.runtime,
    [LABEL.role]: 'compose',
    [COMPOSE_LABEL.service]: input.service ?? '',
  };
}

export interface ObservedMember {
  id: string;
  name: string;
  state: string;
  status: string;
  hash?: string;
  runtimeHash?: string;
  created: number;
  spec?: MemberSpec;
  ports: Dockerode.Port[];
}

/** Whether a listed object belongs to a compose runtime (and so not to groupSnapshot). */
export function isComposeObject(labels: Record<string, string> | null | undefined): boolean {
  return labels?.[LABEL.role] === 'compose';
}

/** One observed resource per compose runtime of this backend, from list data only. */
export function groupCompose(input: {
  containers: Dockerode.ContainerInfo[];
  networks: Dockerode.NetworkInspectInfo[];
  volumes: Array<{ Name: string; Labels: Record<string, string> | null }>;
  backend: string;
  publishHost: string;
}): ObservedResource[] {
  const by = new Map<
    string,
    {
      members: Record<string, ObservedMember>;
      edge?: Dockerode.ContainerInfo;
      extra: string[];
      networks: string[];
      volumes: string[];
    }
  >();
  const slot = (rt: string) => {
    let s = by.get(rt);
    if (!s) by.set(rt, (s = { members: {}, extra: [], networks: [], volumes: [] }));
    return s;
  };
  const mine = (l: Record<string, string> | null | undefined): string | undefined =>
    isComposeObject(l) && l![LABEL.backend] === input.backend ? l![LABEL.runtime] : undefined;
  for (const c of input.containers) {
    const rt = mine(c.Labels);
    if (!rt) continue;
    const s = slot(rt);
    const svc = c.Labels[COMPOSE_LABEL.service];
    if (svc === EDGE_SERVICE) {
      if (s.edge) s.extra.push(c.Id);
      else s.edge = c;
      continue;
    }
    let spec: MemberSpec | undefined;
    try {
      spec = JSON.parse(c.Labels[LABEL.spec] ?? '') as MemberSpec;
    } catch {
      spec = undefined;
    }
    const m: ObservedMember = {
      id: c.Id,
      name: c.Names[0]?.replace(/^\//, '') ?? '',
      state: c.State,
      status: c.Status,
      hash: c.Labels[LABEL.specHash],
      runtimeHash: c.Labels[COMPOSE_LABEL.runtimeHash],
      created: c.Created,
      spec,
      ports: c.Ports,
    };
    const prev = s.members[svc];
    if (prev) {
      const keep = prev.state === 'running' || m.state !== 'running' ? prev : m;
      s.extra.push(keep === prev ? m.id : prev.id);
      s.members[svc] = keep;
    } else s.members[svc] = m;
  }
  for (const n of input.networks) {
    const rt = mine(n.Labels);
    if (rt) slot(rt).networks.push(n.Name);
  }
  for (const v of input.volumes) {
    const rt = mine(v.Labels);
    if (rt) slot(rt).volumes.push(v.Name);
  }
  const out: ObservedResource[] = [];
  for (const [runtime, s] of [...by.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const main = Object.values(s.members).find((m) => m.spec?.main);
    const endpoint = main ? memberEndpoint(main, s.edge, input.publishHost) : undefined;
    const states = Object.values(s.members).map((m) => statusOf(m.state, m.status));
    const status = !main
      ? Object.keys(s.members).length
        ? 'failed'
        : 'missing'
      : (states.find((x) => x !== 'running') ?? 'running');
    const newest = Object.values(s.members).sort((a, b) => b.created - a.created)[0];
    // Only named volumes left (a watching host's delete keeps them): not a runtime to delete again.
    const volumesOnly =
      Object.keys(s.members).length === 0 &&
      !s.edge &&
      s.extra.length === 0 &&
      s.networks.length === 0 &&
      s.volumes.length > 0;
    out.push({
      // Named volumes are data: the plan lists them and a delete keeps them unless it says otherwise.
      ...(s.volumes.length ? { volumes: [...s.volumes].sort() } : {}),
      ...(volumesOnly ? { volumesOnly } : {}),
      address: `runtime.${runtime}`,
      runtime,
      backend: input.backend,
      specHash: newest?.runtimeHash,
      live: {
        compose: Object.fromEntries(
          Object.entries(s.members).map(([k, m]) => [
            k,
            { hash: m.hash, spec: m.spec, state: m.state, health: healthFromStatus(m.status) },
          ]),
        ),
      },
      status: Object.keys(s.members).length === 0 ? 'missing' : status,
      endpoint,
      startedAt: undefined,
      native: {
        compose: true,
        containerId: main?.id,
        members: Object.fromEntries(
          Object.entries(s.members).map(([k, m]) => [k, { id: m.id, name: m.name, state: m.state }]),
        ),
        edgeContainerId: s.edge?.Id,
        edgeState: s.edge?.State,
        edgeHash: s.edge?.Labels[LABEL.specHash],
        extraContainers: s.extra,
        networks: s.networks.sort(),
        volumes: s.volumes.sort(),
      },
    });
  }
  return out;
}

function memberEndpoint(
  m: ObservedMember,
  edge: Dockerode.ContainerInfo | undefined,
  publishHost: string,
): Endpoint | undefined {
  const mcp = m.spec?.mcp;
  if (!mcp) return undefined;
  // Behind an edge, the edge publishes the port it forwards to the main service's MCP port.
  let forwards: EdgeSpec['forwards'] = [];
  try {
    forwards = edge ? ((JSON.parse(edge.Labels[LABEL.spec] ?? '{}') as EdgeSpec).forwards ?? []) : [];
  } catch {
    forwards = [];
  }
  const internal = m.spec ? composeTopology(m.spec.guardrails) === 'internal' : false;
  const holder = internal ? edge : undefined;
  const privatePort = internal
    ? forwards.find((f) => f.service === m.spec!.service && f.port === mcp.port)?.listen
    : mcp.port;
  const ports = holder ? holder.Ports : internal ? [] : m.ports;
  const binding = ports.find(
    (p) => p.PrivatePort === privatePort && p.PublicPort && (p.IP === publishHost || p.IP === '0.0.0.0'),
  );
  if (!binding) return undefined;
  const host = publishHost === '0.0.0.0' || publishHost === '' ? '127.0.0.1' : publishHost;
  return {
    transport: mcp.transport,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${binding.PublicPort}${mcp.path}`,
  };
}

function flat(
  prefix: string,
  before: Record<string, unknown> | undefined,
  after: Record<string, unknown> | undefined,
): FieldChange[] {
  const out: FieldChange[] = [];
  for (const k of [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])].sort()) {
    const b = before?.[k];
    const a = after?.[k];
    if (canonicalJson(b ?? null) !== canonicalJson(a ?? null)) {
      out.push({ path: `${prefix}.${k}`, before: b, after: a, forcesReplace: true });
    }
  }
  return out;
}

/** The pure diff of a compose runtime: fields name the services that change. */
export function diffCompose(input: {
  desired?: DesiredResource;
  observed?: ObservedResource;
  backend: string;
}): Change {
  const { desired: d, observed: o } = input;
  const base = (
    action: Change['action'],
    reason: Change['reason'],
    fields: FieldChange[],
    diags: Diagnostic[] = [],
  ): Change => ({
    address: d?.address ?? o?.address ?? 'runtime.unknown',
    action,
    reason,
    backend: d?.backend ?? o?.backend ?? input.backend,
    backendType: 'docker',
    fields,
    desired: d,
    observed: o,
    dependsOn: d?.dependsOn ?? [],
    diagnostics: [...(d?.diagnostics ?? []), ...diags],
    approval: d?.approval,
  });
  const live = (o?.live.compose ?? {}) as Record<string, { hash?: string; spec?: MemberSpec; state: string }>;
  if (!d)
    return base(
      'delete',
      'delete:not-in-config',
      Object.keys(live)
        .sort()
        .map((k) => ({ path: `services.${k}`, before: live[k].spec?.image ?? 'present' })),
    );
  const compiled = compileCompose(d);
  if (!compiled.value) return base('noop', 'noop:invalid-compose', [], compiled.diags);
  const want = compiled.value.members;
  const created = (): FieldChange[] =>
    compiled.value!.order.map((k) => ({ path: `services.${k}.image`, after: want[k].spec.image }));
  if (!o || o.status === 'missing' || Object.keys(live).length === 0)
    return base('create', o ? 'create:drift-missing' : 'create:new', created());
  const fields: FieldChange[] = [];
  let stoppedOnly = true;
  for (const k of compiled.value.order) {
    const l = live[k];
    if (!l) {
      fields.push({ path: `services.${k}`, before: undefined, after: want[k].spec.image, forcesReplace: true });
      stoppedOnly = false;
    } else if (l.hash !== want[k].hash) {
      const f = flat(
        `services.${k}`,
        l.spec as unknown as Record<string, unknown>,
        want[k].spec as unknown as Record<string, unknown>,
      );
      fields.push(
        ...(f.length
          ? f
          : [{ path: `services.${k}`, before: '(changed)', after: '(changed)', forcesReplace: true, sensitive: true }]),
      );
      stoppedOnly = false;
    } else if (l.state !== 'running') {
      fields.push({ path: `services.${k}.state`, before: l.state, after: 'running' });
    }
  }
  for (const k of Object.keys(live).sort()) {
    if (!want[k]) {
      fields.push({
        path: `services.${k}`,
        before: live[k].spec?.image ?? 'present',
        after: undefined,
        forcesReplace: true,
      });
      stoppedOnly = false;
    }
  }
  const extra = (o.native?.extraContainers as string[] | undefined) ?? [];
  if (extra.length) fields.push({ path: 'containers', before: extra.length, after: 0 });
  const edge = compiled.value.edge;
  const liveEdge = o.native?.edgeContainerId as string | undefined;
  if (edge && (!liveEdge || o.native?.edgeHash !== edge.hash)) {
    fields.push({
      path: 'edge',
      before: liveEdge ? '(other forwards)' : undefined,
      after: edge.spec.allowedHosts ? 'forwards + egress allow-list' : 'forwards, no egress',
      forcesReplace: Boolean(liveEdge),
    });
    stoppedOnly = false;
  } else if (edge && o.native?.edgeState !== 'running')
    fields.push({ path: 'edge.state', before: o.native?.edgeState, after: 'running' });
  else if (!edge && liveEdge) {
    fields.push({ path: 'edge', before: 'present', after: undefined, forcesReplace: true });
    stoppedOnly = false;
  }
  if (fields.length === 0) return base('noop', 'noop:up-to-date', []);
  return base('update', stoppedOnly ? 'update:drift-stopped' : 'update:compose-services-changed', fields);
}
