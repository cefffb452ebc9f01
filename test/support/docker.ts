// Test-side access to the real Docker engine: availability checks that fail under CI and skip
// elsewhere, unique names, host-port lookup, and clean-up of objects by label. It must only ever
// remove objects selected by a label the calling test put on them; never prune or sweep.
import Docker from 'dockerode';
import { randomBytes } from 'node:crypto';

/** Label key that tests put on every container, network and volume they create. */
export const TEST_LABEL = 'dev.contextforge.test';

let client: Docker | undefined;
let availability: Promise<boolean> | undefined;

/** One dockerode client per test process, talking to DOCKER_HOST or /var/run/docker.sock. */
export function docker(): Docker {
  client ??= new Docker();
  return client;
}

/** True when the daemon answers a ping within a few seconds (the answer is cached). */
export function dockerAvailable(): Promise<boolean> {
  availability ??= (async (): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), 5_000);
    });
    try {
      return await Promise.race([
        docker()
          .ping()
          .then(
            () => true,
            () => false,
          ),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  })();
  return availability;
}

/**
 * Gate for a suite that needs Docker. Resolves true when the daemon answers. Otherwise, under CI
 * (env CI set) it throws, because CI must not pass without the engine; on a developer machine it
 * prints why the suite is skipped and resolves false.
 */
export async function requireDocker(suiteName: string): Promise<boolean> {
  if (await dockerAvailable()) return true;
  const where = process.env.DOCKER_HOST ?? '/var/run/docker.sock';
  if (process.env.CI) {
    throw new Error(
      `${suiteName}: the Docker daemon at ${where} does not answer, and CI is set, so this ` +
        'suite fails instead of skipping. Start dockerd (.ci/run does so when none answers).',
    );
  }
  process.stdout.write(
    `- skipped ${suiteName}: the Docker daemon at ${where} does not answer ` + '(set CI=1 to make this a failure).\n',
  );
  return false;
}

/**
 * A name unique to this run, valid for Docker objects and compose projects:
 * lower case, `<prefix>-<base36 time>-<random hex>`.
 */
export function uniqueName(prefix: string): string {
  const clean = prefix
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '');
  const stamp = Date.now().toString(36);
  return `${clean || 'cf'}-${stamp}-${randomBytes(3).toString('hex')}`;
}

/** Labels a test puts on what it creates: `{ 'dev.contextforge.test': runId }`. */
export function testLabels(runId: string): Record<string, string> {
  return { [TEST_LABEL]: runId };
}

/** A label selector: `{ key: value }` matches key=value; a bare string matches `key=value` or `key`. */
export type LabelSelector = string | Record<string, string>;

export function labelFilters(selector: LabelSelector): string[] {
  if (typeof selector === 'string') return [selector];
  const parts = Object.entries(selector).map(([k, v]) => `${k}=${v}`);
  if (parts.length === 0) throw new Error('removeByLabel needs at least one label; refusing to match everything.');
  return parts;
}

export interface RemovedCounts {
  containers: number;
  networks: number;
  volumes: number;
}

function isNotFound(err: unknown): boolean {
  const status = (err as { statusCode?: number } | null)?.statusCode;
  return status === 404;
}

/**
 * Removes (force, with anonymous volumes) every container, then network, then volume that
 * carries all the given labels. Objects already gone are not errors; anything else is thrown.
 */
/** Container removals in flight at once in removeByLabel. */
export const REMOVE_CONCURRENCY = 8;

export async function removeByLabel(selector: LabelSelector): Promise<RemovedCounts> {
  const filters = JSON.stringify({ label: labelFilters(selector) });
  const d = docker();
  const counts: RemovedCounts = { containers: 0, networks: 0, volumes: 0 };
  const ignoreGone = (err: unknown): void => {
    if (!isNotFound(err)) throw err;
  };

  const containers = await d.listContainers({ all: true, filters });
  // At most REMOVE_CONCURRENCY removals in flight: a thousand at once drove the daemon into
  // 500/409 errors and left containerd shims behind.
  const queue = containers.map((c) => c.Id);
  const worker = async (): Promise<void> => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      await d
        .getContainer(id)
        .remove({ force: true, v: true })
        .then(() => counts.containers++, ignoreGone);
    }
  };
  await Promise.all(Array.from({ length: Math.min(REMOVE_CONCURRENCY, queue.length) }, worker));
  const networks = await d.listNetworks({ filters });
  for (const n of networks) {
    await d
      .getNetwork(n.Id)
      .remove()
      .then(() => counts.networks++, ignoreGone);
  }
  const { Volumes: volumes } = await d.listVolumes({ filters });
  for (const v of volumes ?? []) {
    await d
      .getVolume(v.Name)
      .remove()
      .then(() => counts.volumes++, ignoreGone);
  }
  return counts;
}

/**
 * The host port Docker chose for `containerPort` (e.g. 3001 or "3001/tcp") of a running
 * container published on 127.0.0.1. Throws when it is not published there.
 */
export async function publishedPort(containerId: string, containerPort: number | string): Promise<number> {
  const key = String(containerPort).includes('/') ? String(containerPort) : `${containerPort}/tcp`;
  const info = await docker().getContainer(containerId).inspect();
  const bindings = info.NetworkSettings.Ports?.[key] ?? [];
  const loopback = bindings.find((b) => b.HostIp === '127.0.0.1');
  if (!loopback) {
    throw new Error(`container ${containerId.slice(0, 12)} has no 127.0.0.1 binding for ${key}`);
  }
  return Number(loopback.HostPort);
}
