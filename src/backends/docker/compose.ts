// Compose sources on Docker, the I/O half: one isolated network per deployment (plus declared
// networks), named volumes, members started in dependency order (each waiting for the health of
// what it depends on), only changed members replaced, everything of the runtime removed on
// delete, and logs of all members with a service prefix. Touches only objects it labelled.

import { dirname, resolve } from 'node:path';
import type Dockerode from 'dockerode';
import { error } from '../../diag/diagnostic.js';
import { DiagnosticError } from '../../diag/error.js';
import { canonicalJson } from '../../model/canonical.js';
import { deletesVolumes, type Change, type DesiredResource, type ObservedResource } from '../../model/resources.js';
import type { ApplyContext, ApplyOutcome, LogOptions } from '../backend.js';
import { listFiles } from './build.js';
import { clearName, ensureNetwork, removeContainer, removeNetworkIfOurs, removeVolumeIfOurs } from './containers.js';
import {
  COMPOSE_LABEL,
  EDGE_ALIAS,
  EDGE_PROXY_PORT_COMPOSE,
  EDGE_SERVICE,
  composeEdgeName,
  compileCompose,
  composeLabels,
  composeNetworkName,
  composeVolumeName,
  groupCompose,
  memberContainerName,
  type CompiledCompose,
  type MemberSpec,
} from './compose-spec.js';
import { scrub } from './errors.js';
import { edgeHostConfig, securityOptions } from './guardrails.js';
import { seccompFor } from './seccomp.js';
import { waitHealthy } from './health.js';
import { ensureImage, parseImageRef } from './images.js';
import { LABEL, stackFilter, stackLabels } from './labels.js';
import { EDGE_PROGRAM_PATH, ensureEdgeImage } from './edge-image.js';
import { containerLogs } from './logs.js';

export interface ComposeEnv {
  docker: Dockerode;
  backend: string;
  publishHost: string;
  configDir: string;
  allowLocalImages: boolean;
  apparmorAvailable: boolean;
  healthTimeoutMs: number;
  /** The stack network edges of internal compose runtimes publish on. */
  stackNetwork: string;
  /** Edge image override (tests); default: built locally (edge-image.ts). */
  edgeImage?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The compose runtime as it is now (list calls filtered to the stack). */
export async function observeCompose(
  env: ComposeEnv,
  stack: string,
  runtime: string,
): Promise<ObservedResource | undefined> {
  const filters = stackFilter(stack);
  const [containers, networks, volumes] = await Promise.all([
    env.docker.listContainers({ all: true, filters }),
    env.docker.listNetworks({ filters }),
    env.docker.listVolumes({ filters }),
  ]);
  return groupCompose({
    containers,
    networks,
    volumes: (volumes.Volumes ?? []).map((v) => ({
      Name: v.Name,
      Labels: (v.Labels as Record<string, string> | null) ?? null,
    })),
    backend: env.backend,
    publishHost: env.publishHost,
  }).find((o) => o.runtime === runtime);
}

function nanos(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : Math.round(ms * 1e6);
}

function memberOptions(input: {
  env: ComposeEnv;
  d: DesiredResource;
  stack: string;
  spec: MemberSpec;
  hash: string;
  seccompProfile?: string;
  internal: boolean;
}): Dockerode.ContainerCreateOptions {
  const { env, d, stack, spec, internal } = input;
  const g = spec.guardrails;
  const envList = Object.entries(spec.env).map(([k, v]) => `${k}=${v}`);
  if (spec.main) for (const [k, v] of Object.entries(d.secretEnv)) envList.push(`${k}=${v}`);
  const portBindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  const exposed: Record<string, Record<string, never>> = {};
  for (const p of spec.ports) {
    const key = `${p.container}/tcp`;
    (portBindings[key] ??= []).push({
      HostIp: p.hostIp ?? env.publishHost,
      HostPort: p.host !== undefined ? String(p.host) : '',
    });
    exposed[key] = {};
  }
  const nets = spec.networks.length ? spec.networks : ['default'];
  const primary = composeNetworkName(stack, d.runtime, nets[0], internal);
  const h = spec.healthcheck;
  return {
    name: memberContainerName(stack, d.runtime, spec.service),
    Image: spec.image,
    Entrypoint: spec.entrypoint,
    Cmd: spec.cmd,
    Env: envList,
    Labels: {
      ...spec.labels,
      ...composeLabels({ stack, runtime: d.runtime, backend: env.backend, service: spec.service }),
      [LABEL.specHash]: input.hash,
      [COMPOSE_LABEL.runtimeHash]: d.specHash,
      [LABEL.spec]: canonicalJson(spec),
    },
    // Behind an edge (internal topology) nothing is published by the member itself.
    ExposedPorts: internal ? undefined : exposed,
    Healthcheck: h
      ? {
          Test: h.test,
          Interval: nanos(h.intervalMs),
          Timeout: nanos(h.timeoutMs),
          Retries: h.retries,
          StartPeriod: nanos(h.startPeriodMs),
        }
      : undefined,
    HostConfig: {
      NetworkMode: primary,
      PortBindings: internal ? undefined : portBindings,
      Mounts: spec.volumes.map((v) => ({
        Type: 'volume' as const,
        Source: composeVolumeName(stack, d.runtime, v.source),
        Target: v.target,
        ReadOnly: v.readOnly,
      })),
      // The runtime's guardrail profile, on every member of the stack.
      ReadonlyRootfs: g.readOnlyRoot,
      Tmpfs: g.readOnlyRoot ? { '/tmp': 'rw,nosuid,nodev,size=64m' } : undefined,
      CapDrop: g.dropAll ? ['ALL'] : undefined,
      CapAdd: g.capAdd.length ? g.capAdd.map((c) => c.replace(/^CAP_/, '')) : undefined,
      SecurityOpt: securityOptions({
        seccomp: g.seccomp,
        seccompProfile: input.seccompProfile,
        apparmor: g.apparmor,
        apparmorAvailable: env.apparmorAvailable,
      }),
      NanoCpus: g.maxCpu !== undefined ? Math.round(g.maxCpu * 1e9) : undefined,
      Memory: g.maxMemory,
      MemorySwap: g.maxMemory,
      PidsLimit: g.maxPids,
      RestartPolicy: { Name: spec.restart === 'no' ? '' : spec.restart, MaximumRetryCount: 0 },
    },
    NetworkingConfig: { EndpointsConfig: { [primary]: { Aliases: [spec.service] } } },
  };
}

/** Waits for a dependency: running, and healthy when asked and it has a healthcheck. */
async function waitDependency(input: {
  docker: Dockerode;
  id: string;
  service: string;
  healthy: boolean;
  timeoutMs: number;
  signal: AbortSignal;
  progress(m: string): void;
}): Promise<string | undefined> {
  const deadline = Date.now() + input.timeoutMs;
  let said = false;
  for (;;) {
    const info = await input.docker.getContainer(input.id).inspect();
    const health = info.State.Health?.Status;
    if (!info.State.Running && info.State.Status !== 'created')
      return `service ${input.service} is ${info.State.Status}`;
    if (info.State.Running && (!input.healthy || !health || health === 'healthy')) {
      if (input.healthy) input.progress(`service ${input.service} is ${health ?? 'running (no healthcheck)'}`);
      return undefined;
    }
    if (health === 'unhealthy') return `service ${input.service} is unhealthy`;
    if (input.signal.aborted) return `waiting for ${input.service} was interrupted`;
    if (Date.now() > deadline)
      return `service ${input.service} did not become healthy within ${Math.round(input.timeoutMs / 1000)}s`;
    if (!said) {
      input.progress(`waiting for service ${input.service} to become ${input.healthy ? 'healthy' : 'running'}`);
      said = true;
    }
    await sleep(250);
  }
}

async function buildMember(
  env: ComposeEnv,
  d: DesiredResource,
  spec: MemberSpec,
  ctx: ApplyContext,
): Promise<string | undefined> {
  const s = d.spec.source;
  if (!spec.build || s.type !== 'compose') return undefined;
  const base = s.inline ? s.baseDir : dirname(resolve(s.baseDir, s.composeFile));
  const context = resolve(base, spec.build.context);
  ctx.progress(`building ${spec.image} for service ${spec.service}`);
  const stream = (await env.docker.buildImage({ context, src: await listFiles(context) }, {
    t: spec.image,
    dockerfile: spec.build.dockerfile ?? 'Dockerfile',
    buildargs: spec.build.args,
    rm: true,
    abortSignal: ctx.signal,
  } as Dockerode.ImageBuildOptions)) as NodeJS.ReadableStream;
  const out: Array<{ error?: string; stream?: string }> = await new Promise((res, rej) =>
    env.docker.modem.followProgress(stream, (e: Error | null, o: Array<{ error?: string }>) =>
      e ? rej(e) : res(o ?? []),
    ),
  );
  const failed = out.find((e) => e.error);
  if (!failed) return undefined;
  const tail = out
    .map((e) => e.stream ?? '')
    .join('')
    .split('\n')
    .filter(Boolean)
    .slice(-8)
    .join('\n');
  return `${failed.error}\n${tail}`;
}

export async function applyCompose(
  env: ComposeEnv,
  change: Change,
  ctx: ApplyContext,
  secrets: readonly string[],
): Promise<ApplyOutcome> {
  const stack = ctx.stack;
  const runtime = change.desired?.runtime ?? change.observed?.runtime ?? change.address.replace(/^runtime\./, '');
  if (change.action === 'noop') return { status: 'unchanged', observed: change.observed, diags: [] };
  if (change.action === 'delete') {
    // Named volumes hold data: like `docker compose down`, a delete keeps them unless the plan says
    // to delete them (destroy --delete-volumes); a watching host's deletes keep them regardless.
    const keepVolumes = !deletesVolumes(change);
    await deleteCompose(env, stack, runtime, ctx, { keepVolumes });
    const volumes = change.observed?.volumes ?? [];
    if (keepVolumes && volumes.length) ctx.progress(`keeping the data volume(s) ${volumes.join(', ')}`);
    return { status: 'deleted', diags: [] };
  }
  const d = change.desired!;
  const compiled = compileCompose(d);
  if (!compiled.value) return { status: 'failed', diags: compiled.diags };
  const fail = (summary: string, detail?: string): ApplyOutcome => ({
    status: 'failed',
    diags: [error('docker.compose-failed', summary, { address: d.address, detail })],
  });
  const c: CompiledCompose = compiled.value;
  const ownLabels = composeLabels({ stack, runtime, backend: env.backend });

  const seccomp = await seccompFor(d, env.configDir);
  if (!seccomp.value && seccomp.diags.length) throw new DiagnosticError(seccomp.diags[0]);
  const seccompProfile = seccomp.value?.text;

  const internal = c.topology === 'internal';
  const wantedNets = ['default', ...c.model.networks].map((n) => composeNetworkName(stack, runtime, n, internal));
  for (const n of wantedNets) await ensureNetwork(env.docker, { name: n, internal, labels: ownLabels, stack });
  for (const v of c.model.volumes)
    await env.docker.createVolume({ Name: composeVolumeName(stack, runtime, v), Labels: ownLabels });

  const current = await observeCompose(env, stack, runtime);
  const live = (current?.live.compose ?? {}) as Record<string, { hash?: string; state: string }>;
  const ids = { ...((current?.native?.members ?? {}) as Record<string, { id: string }>) };
  for (const id of (current?.native?.extraContainers as string[] | undefined) ?? [])
    await removeContainer(env.docker, id);
  // Services no longer in the file go first.
  for (const [svc, m] of Object.entries(ids)) {
    if (!c.members[svc]) {
      ctx.progress(`removing service ${svc}`);
      await removeContainer(env.docker, m.id);
      delete ids[svc];
    }
  }

  // Containers of new or changed members are created all at once; each then starts as soon as
  // what it depends on is up (and healthy where asked), so independent services start in
  // parallel, as docker-compose does.
  const prepare = async (svc: string): Promise<{ id?: string; failed?: ApplyOutcome }> => {
    const { spec, hash } = c.members[svc];
    const l = live[svc];
    if (l && l.hash === hash && ids[svc]) return {};
    const built = await buildMember(env, d, spec, ctx);
    if (built) return { failed: fail(`The image of service ${svc} of ${d.address} did not build`, built) };
    const local = Boolean(spec.build) || (!parseImageRef(spec.image).registry && env.allowLocalImages);
    const img = await ensureImage({
      docker: env.docker,
      image: spec.image,
      pull: 'missing',
      local,
      progress: ctx.progress,
      signal: ctx.signal,
    });
    if (img.missing)
      return {
        failed: {
          status: 'failed',
          diags: [{ ...img.missing, address: d.address, summary: `${img.missing.summary} (service ${svc})` }],
        },
      };
    if (ids[svc]) {
      ctx.progress(`replacing service ${svc}`);
      await removeContainer(env.docker, ids[svc].id);
    } else ctx.progress(`creating service ${svc}`);
    const opts = memberOptions({ env, d, stack, spec, hash, seccompProfile, internal });
    await clearName(env.docker, opts.name!, stack);
    const created = await env.docker.createContainer(opts);
    const nets = spec.networks.length ? spec.networks : ['default'];
    for (const n of nets.slice(1))
      await env.docker
        .getNetwork(composeNetworkName(stack, runtime, n, internal))
        .connect({ Container: created.id, EndpointConfig: { Aliases: [svc] } });
    return { id: created.id };
  };
  const prepared = new Map(c.order.map((svc) => [svc, prepare(svc)] as const));
  const startMember = async (svc: string): Promise<ApplyOutcome | undefined> => {
    const { spec } = c.members[svc];
    const p = await prepared.get(svc)!;
    if (p.failed) return p.failed;
    for (const [dep, cond] of Object.entries(spec.dependsOn)) {
      const depFailed = await started.get(dep);
      if (depFailed || !ids[dep]) return fail(`Service ${svc} of ${d.address} depends on ${dep}, which did not start`);
      // service_started is met once the dependency's start returned; health needs polling.
      if (cond !== 'service_healthy') continue;
      const why = await waitDependency({
        docker: env.docker,
        id: ids[dep].id,
        service: dep,
        healthy: true,
        timeoutMs: env.healthTimeoutMs,
        signal: ctx.signal,
        progress: ctx.progress,
      });
      if (why) {
        const tail: string[] = [];
        for await (const l of containerLogs(env.docker, ids[dep].id, { tail: 5 })) tail.push(scrub(l, secrets));
        return fail(
          `Service ${svc} of ${d.address} cannot start: ${why}`,
          `Last log lines of ${dep}:\n${tail.join('\n') || '(none)'}`,
        );
      }
    }
    if (p.id) {
      ctx.progress(`starting service ${svc}`);
      await env.docker.getContainer(p.id).start();
      ids[svc] = { id: p.id };
    } else if (live[svc]?.state !== 'running') {
      ctx.progress(`starting service ${svc}`);
      await env.docker
        .getContainer(ids[svc].id)
        .start()
        .catch((err: unknown) => {
          if ((err as { statusCode?: number }).statusCode !== 304) throw err;
        });
    }
    return undefined;
  };
  const edgeDone = ensureEdge({ env, d, stack, runtime, c, current, ctx, labels: ownLabels });
  const started = new Map<string, Promise<ApplyOutcome | undefined>>();
  // c.order is topological: a member's dependencies are in the map before it.
  for (const svc of c.order) started.set(svc, startMember(svc));
  const settled = await Promise.allSettled([
    ...c.order.map((svc) => started.get(svc)!),
    ...prepared.values(),
    edgeDone,
  ]);
  const thrown = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (thrown) throw thrown.reason;
  const failed = settled
    .slice(0, c.order.length)
    .map((r) => (r.status === 'fulfilled' ? (r.value as ApplyOutcome | undefined) : undefined))
    .find((x) => x !== undefined);
  if (failed) return failed;

  // Networks of a previous topology (or removed from the file) go once nothing uses them.
  const filters = JSON.stringify({
    label: [
      `${LABEL.stack}=${stack}`,
      `${LABEL.runtime}=${runtime}`,
      `${LABEL.role}=compose`,
      `${LABEL.backend}=${env.backend}`,
    ],
  });
  for (const n of await env.docker.listNetworks({ filters }))
    if (!wantedNets.includes(n.Name)) await removeNetworkIfOurs(env.docker, n.Name, stack);

  const observed = await observeCompose(env, stack, runtime);
  const mainId = observed?.native?.containerId as string | undefined;
  if (!observed || !mainId) return fail(`The main service of ${d.address} disappeared right after it was created`);
  ctx.progress(`waiting for ${d.address} to become healthy`);
  const health = await waitHealthy({
    docker: env.docker,
    containerId: mainId,
    endpoint: observed.endpoint,
    timeoutMs: env.healthTimeoutMs,
    signal: ctx.signal,
    progress: ctx.progress,
  });
  if (!health.ok) {
    const tail: string[] = [];
    for await (const l of containerLogs(env.docker, mainId, { tail: 5 })) tail.push(scrub(l, secrets));
    return {
      status: 'failed',
      observed,
      diags: [
        error('docker.unhealthy', `${d.address} did not become healthy: ${health.why}`, {
          address: d.address,
          detail: `Last log lines:\n${tail.join('\n') || '(none)'}`,
        }),
      ],
    };
  }
  observed.status = 'running';
  return { status: change.action === 'create' ? 'created' : 'updated', observed, diags: [] };
}

/** The edge of an internal runtime: created or replaced when its spec changed, removed when not needed. */
async function ensureEdge(input: {
  env: ComposeEnv;
  d: DesiredResource;
  stack: string;
  runtime: string;
  c: CompiledCompose;
  current?: ObservedResource;
  ctx: ApplyContext;
  labels: Record<string, string>;
}): Promise<void> {
  const { env, stack, runtime, c, current, ctx } = input;
  const liveId = current?.native?.edgeContainerId as string | undefined;
  const want = c.edge;
  if (!want) {
    if (liveId) await removeContainer(env.docker, liveId);
    return;
  }
  if (liveId && current?.native?.edgeHash === want.hash) {
    if (current.native.edgeState !== 'running')
      await env.docker
        .getContainer(liveId)
        .start()
        .catch((err: unknown) => {
          if ((err as { statusCode?: number }).statusCode !== 304) throw err;
        });
    return;
  }
  if (liveId) await removeContainer(env.docker, liveId);
  const image = await ensureEdgeImage(env.docker, ctx.progress, env.edgeImage);
  await ensureNetwork(env.docker, {
    name: env.stackNetwork,
    internal: false,
    labels: stackLabels({ stack, backend: env.backend }),
    stack,
  });
  const portBindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  const exposed: Record<string, Record<string, never>> = {};
  for (const f of want.spec.forwards) {
    portBindings[`${f.listen}/tcp`] = [
      { HostIp: f.hostIp ?? env.publishHost, HostPort: f.host !== undefined ? String(f.host) : '' },
    ];
    exposed[`${f.listen}/tcp`] = {};
  }
  const edgeEnv = [
    `CF_FORWARD=${JSON.stringify(want.spec.forwards.map((f) => ({ listen: f.listen, host: f.service, port: f.port })))}`,
  ];
  if (want.spec.allowedHosts)
    edgeEnv.push(
      `CF_PROXY_PORT=${EDGE_PROXY_PORT_COMPOSE}`,
      `CF_ALLOWED_HOSTS=${JSON.stringify(want.spec.allowedHosts)}`,
    );
  const name = composeEdgeName(stack, runtime);
  await clearName(env.docker, name, stack);
  ctx.progress(`creating edge ${name} (${want.spec.allowedHosts ? 'egress allow-list' : 'no egress'})`);
  const edge = await env.docker.createContainer({
    name,
    Image: image,
    Entrypoint: ['/usr/bin/node', EDGE_PROGRAM_PATH],
    Env: edgeEnv,
    Labels: {
      ...composeLabels({ stack, runtime, backend: env.backend, service: EDGE_SERVICE }),
      [LABEL.specHash]: want.hash,
      [LABEL.spec]: canonicalJson(want.spec),
    },
    ExposedPorts: exposed,
    User: '65534:65534',
    HostConfig: edgeHostConfig(env.stackNetwork, portBindings),
  });
  for (const n of want.spec.networks)
    await env.docker
      .getNetwork(composeNetworkName(stack, runtime, n, true))
      .connect({ Container: edge.id, EndpointConfig: { Aliases: [EDGE_ALIAS] } });
  await edge.start();
}

/** Removes every container, network and (unless keepVolumes) volume of one compose runtime (ours only). */
export async function deleteCompose(
  env: ComposeEnv,
  stack: string,
  runtime: string,
  ctx: ApplyContext,
  opts: { keepVolumes?: boolean } = {},
): Promise<void> {
  const filters = JSON.stringify({
    label: [
      `${LABEL.stack}=${stack}`,
      `${LABEL.runtime}=${runtime}`,
      `${LABEL.role}=compose`,
      `${LABEL.backend}=${env.backend}`,
    ],
  });
  const containers = await env.docker.listContainers({ all: true, filters });
  ctx.progress(`removing ${containers.length} service container(s) of runtime.${runtime}`);
  await Promise.all(containers.map((c) => removeContainer(env.docker, c.Id)));
  for (const n of await env.docker.listNetworks({ filters })) await removeNetworkIfOurs(env.docker, n.Name, stack);
  const vols = await env.docker.listVolumes({ filters });
  if (!opts.keepVolumes) for (const v of vols.Volumes ?? []) await removeVolumeIfOurs(env.docker, v.Name, stack);
  // The stack network (used by edges) goes with the last container of the stack.
  if ((await env.docker.listContainers({ all: true, filters: stackFilter(stack) })).length === 0)
    await removeNetworkIfOurs(env.docker, env.stackNetwork, stack);
}

/** Log lines of every member, each prefixed with its service name. */
export async function* composeLogs(
  docker: Dockerode,
  observed: ObservedResource,
  options: LogOptions,
): AsyncIterable<string> {
  const members = Object.entries((observed.native?.members ?? {}) as Record<string, { id: string }>).sort(([a], [b]) =>
    a.localeCompare(b),
  );
  const width = Math.max(0, ...members.map(([s]) => s.length));
  const prefix = (svc: string, line: string): string => `${svc.padEnd(width)} | ${line}`;
  if (!options.follow) {
    for (const [svc, m] of members)
      for await (const line of containerLogs(docker, m.id, options)) yield prefix(svc, line);
    return;
  }
  // Following: interleave the members' streams as lines arrive.
  const queue: string[] = [];
  let wake: (() => void) | undefined;
  let open = members.length;
  for (const [svc, m] of members) {
    void (async () => {
      try {
        for await (const line of containerLogs(docker, m.id, options)) {
          queue.push(prefix(svc, line));
          wake?.();
        }
      } finally {
        open -= 1;
        wake?.();
      }
    })();
  }
  while (open > 0 || queue.length > 0) {
    if (queue.length === 0) await new Promise<void>((r) => (wake = r));
    wake = undefined;
    while (queue.length) yield queue.shift()!;
  }
}
