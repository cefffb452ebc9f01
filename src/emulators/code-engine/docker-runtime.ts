// Docker mode of the emulator: runs each app revision as a local container on its project's own
// Docker network, where `<app>.<subdomain>.svc.cluster.local` resolves as Code Engine's internal
// DNS does; apps that are not project-only also get their port published on 127.0.0.1. Derives
// revision status from the container, and turns build runs into real `docker build`s. Touches
// only containers and networks labelled with this emulator's id; removes them on close.

import Docker from 'dockerode';
import { request as httpRequest } from 'node:http';
import type { AppInstance } from './wire.js';
import { runDockerBuild } from './docker-build.js';
import { computedEnv, instanceObject, type AppRuntime, type RenderContext } from './render.js';
import { nowIso, type EmuApp, type EmuBuildRun, type EmuProject, type EmuRevision, type EmuState } from './state.js';
import { memoryBytes, parseQuantity } from './validate-app.js';

export const EMULATOR_LABEL = 'dev.contextforge.emulator';

export interface DockerRuntimeOptions {
  emulatorId: string;
  socketPath?: string;
  state: EmuState;
  region: string;
  log: (line: string) => void;
  /** Remove the images that build runs tagged when the emulator closes (default true). */
  removeBuiltImages?: boolean;
}

interface AppRecord {
  projectId: string;
  appName: string;
  containerId?: string;
  hostPort?: number;
  revision?: EmuRevision;
  chain: Promise<void>;
  removed: boolean;
}

const RESTART_RETRIES = 2;

export class DockerRuntime implements AppRuntime {
  private readonly docker: Docker;
  private readonly records = new Map<string, AppRecord>();
  private readonly tasks = new Set<Promise<unknown>>();
  private readonly builtImages = new Set<string>();
  private readonly abort = new AbortController();
  private timer?: NodeJS.Timeout;
  private ticking = false;
  private closed = false;
  private hostCpus = 1;
  private readonly networks = new Map<string, Promise<string>>();

  constructor(private readonly opts: DockerRuntimeOptions) {
    this.docker = new Docker(opts.socketPath ? { socketPath: opts.socketPath } : undefined);
  }

  /** Checks the engine answers, then starts the status loop. Call once before use. */
  async ping(): Promise<void> {
    try {
      await this.docker.ping();
    } catch (e) {
      throw new Error(
        `Docker mode needs a reachable Docker engine (${this.opts.socketPath ?? process.env.DOCKER_HOST ?? '/var/run/docker.sock'}): ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    const info = (await this.docker.info()) as { NCPU?: number };
    this.hostCpus = info.NCPU ?? 1;
    this.timer ??= setInterval(() => void this.tick(), 250);
    this.timer.unref();
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.tasks.add(p);
    void p.finally(() => this.tasks.delete(p)).catch(() => undefined);
    return p;
  }

  private enqueue(rec: AppRecord, step: () => Promise<void>): void {
    rec.chain = this.track(
      rec.chain
        .then(step)
        .catch((e: unknown) => this.opts.log(`docker: ${rec.appName}: ${e instanceof Error ? e.message : String(e)}`)),
    );
  }

  deploy(project: EmuProject, app: EmuApp, revision: EmuRevision): void {
    let rec = this.records.get(app.id);
    if (!rec) {
      rec = { projectId: project.id, appName: app.name, chain: Promise.resolve(), removed: false };
      this.records.set(app.id, rec);
    }
    const r = rec;
    this.enqueue(r, () => this.startRevision(project, app, revision, r));
  }

  remove(_project: EmuProject, app: EmuApp): void {
    const rec = this.records.get(app.id);
    if (!rec) return;
    rec.removed = true;
    this.enqueue(rec, async () => {
      await this.removeContainer(rec.containerId);
      rec.containerId = undefined;
      this.records.delete(app.id);
    });
  }

  endpoint(_project: EmuProject, app: EmuApp): string | undefined {
    const port = this.records.get(app.id)?.hostPort;
    return port ? `http://127.0.0.1:${port}` : undefined;
  }

  /**
   * The project-internal URL: the container listens on its image port (real Code Engine routes
   * port 80 of `<app>.<subdomain>.svc.cluster.local` to it), so the port is part of the URL.
   */
  internalEndpoint(project: EmuProject, app: EmuApp): string {
    return `http://${app.name}.${project.subdomain}.svc.cluster.local:${app.config.image_port}`;
  }

  /** The project's network (created once): its containers find each other by internal DNS. */
  private projectNetwork(project: EmuProject): Promise<string> {
    let net = this.networks.get(project.id);
    if (!net) {
      const name = `cfemu-${this.opts.emulatorId}-${project.id.slice(0, 8)}`;
      net = this.docker
        .createNetwork({
          Name: name,
          CheckDuplicate: true,
          Labels: { [EMULATOR_LABEL]: this.opts.emulatorId, [`${EMULATOR_LABEL}.project`]: project.id },
        })
        .then(() => name);
      net.catch(() => this.networks.delete(project.id));
      this.networks.set(project.id, net);
    }
    return net;
  }

  private fail(rev: EmuRevision, reason: string): void {
    rev.status = 'failed';
    rev.reason = reason;
  }

  /** Env for the container: CE-injected variables, PORT, then the app's own variables. */
  private resolveEnv(project: EmuProject, app: EmuApp, rev: EmuRevision): string[] | { missing: string } {
    const env = new Map<string, string>();
    for (const e of computedEnv({ baseUrl: '', region: this.opts.region }, project, app)) {
      if (e.name) env.set(e.name, e.value ?? '');
    }
    env.set('PORT', String(rev.config.image_port));
    for (const e of rev.config.run_env_variables) {
      const type = e.type ?? 'literal';
      if (type === 'literal') {
        env.set(e.name ?? '', e.value ?? '');
        continue;
      }
      if (type.startsWith('config_map')) return { missing: `config map ${e.reference}` };
      const secret = project.secrets.get(e.reference ?? '');
      if (!secret) return { missing: `secret ${e.reference}` };
      if (type === 'secret_key_reference') {
        if (!(e.key! in secret.data)) return { missing: `key ${e.key} in secret ${e.reference}` };
        env.set(e.name ?? e.key!, secret.data[e.key!]);
      } else {
        for (const [k, v] of Object.entries(secret.data)) env.set(`${e.prefix ?? ''}${k}`, v);
      }
    }
    return [...env].map(([k, v]) => `${k}=${v}`);
  }

  private async startRevision(project: EmuProject, app: EmuApp, rev: EmuRevision, rec: AppRecord): Promise<void> {
    if (rec.removed || this.closed || app.revisions[app.revisions.length - 1] !== rev) return;
    const env = this.resolveEnv(project, app, rev);
    if (!Array.isArray(env)) {
      // Emulator-specific reason: real Code Engine keeps such a revision pending.
      this.opts.log(`docker: ${app.name}: ${rev.name} cannot start: missing ${env.missing}`);
      return this.fail(rev, 'secret_not_found');
    }
    const cfg = rev.config;
    try {
      await this.docker.getImage(cfg.image_reference).inspect();
    } catch {
      return this.fail(rev, 'fetch_image_failed_unknown_manifest');
    }
    await this.removeContainer(rec.containerId);
    rec.containerId = undefined;
    const portKey = `${cfg.image_port}/tcp`;
    // Project-only apps (`local`) are reachable inside the project network only: no host port.
    const published = cfg.managed_domain_mappings !== 'local';
    const network = await this.projectNetwork(project);
    const aliases = [`${app.name}.${project.subdomain}.svc.cluster.local`, `${app.name}.${project.subdomain}`];
    const create = (hostPort: string): Promise<Docker.Container> =>
      this.docker.createContainer({
        name: `cfemu-${this.opts.emulatorId}-${app.id.slice(0, 8)}-${rev.name}`.slice(0, 128),
        Image: cfg.image_reference,
        Env: env,
        ...(cfg.run_commands.length ? { Entrypoint: cfg.run_commands } : {}),
        ...(cfg.run_arguments.length ? { Cmd: cfg.run_arguments } : {}),
        ...(cfg.run_as_user > 0 ? { User: String(cfg.run_as_user) } : {}),
        ExposedPorts: { [portKey]: {} },
        Labels: {
          [EMULATOR_LABEL]: this.opts.emulatorId,
          [`${EMULATOR_LABEL}.project`]: project.id,
          [`${EMULATOR_LABEL}.app`]: app.name,
          [`${EMULATOR_LABEL}.revision`]: rev.name,
        },
        NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: aliases } } },
        HostConfig: {
          NetworkMode: network,
          ...(published ? { PortBindings: { [portKey]: [{ HostIp: '127.0.0.1', HostPort: hostPort }] } } : {}),
          RestartPolicy: { Name: 'on-failure', MaximumRetryCount: RESTART_RETRIES },
          Memory: memoryBytes(cfg.scale_memory_limit),
          NanoCpus: Math.round(Math.min(parseQuantity(cfg.scale_cpu_limit) ?? 1, this.hostCpus) * 1e9),
        },
      });
    if (!published) rec.hostPort = undefined;
    let container = await create(rec.hostPort ? String(rec.hostPort) : '');
    try {
      await container.start();
    } catch (e) {
      // The previous host port may have been taken meanwhile: fall back to a fresh one.
      if (!rec.hostPort) throw e;
      await container.remove({ force: true }).catch(() => undefined);
      container = await create('');
      await container.start();
    }
    rec.containerId = container.id;
    const info = await container.inspect();
    const binding = info.NetworkSettings.Ports?.[portKey]?.[0];
    rec.hostPort = binding ? Number(binding.HostPort) : undefined;
    rec.revision = rev;
    if (rec.removed || this.closed) await this.removeContainer(container.id);
  }

  private async removeContainer(id: string | undefined): Promise<void> {
    if (!id) return;
    await this.docker
      .getContainer(id)
      .remove({ force: true, v: true })
      .catch((e: { statusCode?: number }) => {
        if (e.statusCode !== 404 && e.statusCode !== 409) throw e;
      });
  }

  /** Answers any HTTP response (or, for http probes, a 2xx/3xx on the probe path). */
  private probe(port: number, rev: EmuRevision): Promise<boolean> {
    const p = rev.config.probe_readiness;
    const http = p?.type === 'http';
    return new Promise((resolve) => {
      const req = httpRequest(
        { host: '127.0.0.1', port, path: http ? (p?.path ?? '/') : '/', method: 'GET', agent: false, timeout: 1000 },
        (res) => {
          res.resume();
          resolve(!http || ((res.statusCode ?? 500) >= 200 && (res.statusCode ?? 500) < 400));
        },
      );
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(false));
      req.end();
    });
  }

  /** Advances revision statuses from container states: one list call, plus inspect/probe for deploying ones. */
  private async tick(): Promise<void> {
    if (this.ticking || this.closed || this.records.size === 0) return;
    this.ticking = true;
    try {
      const list = await this.docker.listContainers({
        all: true,
        filters: JSON.stringify({ label: [`${EMULATOR_LABEL}=${this.opts.emulatorId}`] }),
      });
      const byId = new Map(list.map((c) => [c.Id, c]));
      for (const rec of this.records.values()) {
        const rev = rec.revision;
        if (!rev || !rec.containerId || rec.removed) continue;
        const c = byId.get(rec.containerId);
        if (!c) {
          if (rev.status !== 'failed') this.fail(rev, 'container_failed_exit_code_1');
          continue;
        }
        if (c.State === 'exited' || c.State === 'dead') {
          const inspect = await this.docker
            .getContainer(c.Id)
            .inspect()
            .catch(() => undefined);
          const code = inspect?.State.ExitCode ?? 1;
          if (code === 0 || (inspect?.RestartCount ?? 0) >= RESTART_RETRIES)
            this.fail(rev, `container_failed_exit_code_${code}`);
          continue;
        }
        // A project-only app has no host port, and the emulator sends no traffic into the
        // project network: it counts as ready once its container runs.
        const local = rev.config.managed_domain_mappings === 'local';
        if (
          rev.status === 'loading' &&
          c.State === 'running' &&
          (local ? !rec.hostPort : rec.hostPort && (await this.probe(rec.hostPort, rev)))
        ) {
          rev.status = 'ready';
          rev.reason = 'ready';
          rev.readyAt = Date.now();
        }
      }
    } catch (e) {
      this.opts.log(`docker: status refresh failed: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      this.ticking = false;
    }
  }

  async instances(project: EmuProject, app: EmuApp, ctx: RenderContext): Promise<AppInstance[]> {
    const rec = this.records.get(app.id);
    if (!rec?.containerId || !rec.revision) return [];
    let info;
    try {
      info = await this.docker.getContainer(rec.containerId).inspect();
    } catch {
      return [];
    }
    const s = info.State;
    const status: AppInstance['status'] =
      s.Running && !s.Restarting
        ? 'running'
        : s.Status === 'exited' || s.Status === 'dead'
          ? s.ExitCode === 0
            ? 'succeeded'
            : 'failed'
          : 'pending';
    const id = info.Id;
    return [
      instanceObject(ctx, project, app, rec.revision, {
        name: `${rec.revision.name}-deployment-${id.slice(0, 10)}-${id.slice(10, 15)}`,
        id: `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20, 32)}`,
        status,
        restarts: info.RestartCount ?? 0,
        startedAt: s.StartedAt || nowIso(),
        ...(status === 'failed' || status === 'succeeded' ? { exitCode: s.ExitCode, completedAt: s.FinishedAt } : {}),
      }),
    ];
  }

  runBuild(project: EmuProject, run: EmuBuildRun): void {
    this.track(
      runDockerBuild({ docker: this.docker, run, signal: this.abort.signal, log: this.opts.log })
        .then((image) => {
          if (image) this.builtImages.add(image);
        })
        .catch((e: unknown) => {
          run.status = 'failed';
          run.details.reason = 'failed';
          this.opts.log(
            `docker: build run ${run.name} in ${project.name}: ${e instanceof Error ? e.message : String(e)}`,
          );
        }),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.abort.abort();
    await Promise.allSettled([...this.tasks]);
    const list = await this.docker.listContainers({
      all: true,
      filters: JSON.stringify({ label: [`${EMULATOR_LABEL}=${this.opts.emulatorId}`] }),
    });
    await Promise.all(
      list.map((c) =>
        this.removeContainer(c.Id).catch((e: unknown) => this.opts.log(`docker: remove ${c.Id}: ${String(e)}`)),
      ),
    );
    this.records.clear();
    const nets = await this.docker.listNetworks({
      filters: JSON.stringify({ label: [`${EMULATOR_LABEL}=${this.opts.emulatorId}`] }),
    });
    for (const n of nets)
      await this.docker
        .getNetwork(n.Id)
        .remove()
        .catch((e: unknown) => this.opts.log(`docker: remove network ${n.Name}: ${String(e)}`));
    this.networks.clear();
    if (this.opts.removeBuiltImages ?? true) {
      for (const image of this.builtImages) {
        await this.docker
          .getImage(image)
          .remove()
          .catch(() => undefined);
      }
    }
  }
}
