// Daemon-side building blocks of apply: networks, volumes and containers of one stack, always
// labelled, always checked for our labels before anything is removed. A name held by an object
// without our labels is reported, never taken over. Throws daemon errors; backend.ts maps them.

import type Dockerode from 'dockerode';
import { daemonMessage, isConflict, isNotFound } from './errors.js';
import { LABEL, MANAGED_BY } from './labels.js';

export class NameTakenError extends Error {
  constructor(
    readonly kind: 'container' | 'network',
    readonly objectName: string,
  ) {
    super(`A ${kind} named ${objectName} exists but is not managed by this contextforge stack`);
  }
}

/** True when labels mark the object as ours, in this stack. */
export function ownedBy(labels: Record<string, string> | null | undefined, stack: string): boolean {
  return !!labels && labels[LABEL.managedBy] === MANAGED_BY && labels[LABEL.stack] === stack;
}

export interface NetworkSpec {
  name: string;
  internal: boolean;
  labels: Record<string, string>;
  stack: string;
}

/**
 * Creates the network unless it exists. An existing network we did not create is used as is
 * (the backend's `network` setting may name one) but never modified or removed later.
 */
export async function ensureNetwork(docker: Dockerode, spec: NetworkSpec): Promise<void> {
  const existing = (await docker.listNetworks({ filters: JSON.stringify({ name: [spec.name] }) })).find(
    (n) => n.Name === spec.name,
  );
  if (existing) {
    if (spec.internal && !ownedBy(existing.Labels, spec.stack)) throw new NameTakenError('network', spec.name);
    return;
  }
  try {
    await docker.createNetwork({
      Name: spec.name,
      Driver: 'bridge',
      CheckDuplicate: true,
      Internal: spec.internal,
      Labels: spec.labels,
      // An internal network still gets a gateway address on the host's bridge, through which
      // the host's own services would be reachable; inhibit_ipv4 leaves the bridge without one.
      Options: spec.internal ? { 'com.docker.network.bridge.inhibit_ipv4': 'true' } : {},
    });
  } catch (err) {
    // Another apply of the same stack created it in the meantime.
    if (!isConflict(err)) throw err;
  }
}

export async function ensureVolume(docker: Dockerode, name: string, labels: Record<string, string>): Promise<void> {
  // Creating a volume that exists returns the existing one, so this is idempotent.
  await docker.createVolume({ Name: name, Labels: labels });
}

export async function removeContainer(docker: Dockerode, id: string): Promise<void> {
  try {
    await docker.getContainer(id).remove({ force: true, v: true });
  } catch (err) {
    if (!isNotFound(err) && !(isConflict(err) && /already in progress/i.test(String((err as Error).message))))
      throw err;
  }
}

/**
 * Removes a container by name when it is ours (left behind by an interrupted apply); returns
 * quietly when there is none and throws NameTakenError when someone else's holds the name.
 */
export async function clearName(docker: Dockerode, name: string, stack: string): Promise<void> {
  let info: Dockerode.ContainerInspectInfo;
  try {
    info = await docker.getContainer(name).inspect();
  } catch (err) {
    if (isNotFound(err)) return;
    throw err;
  }
  if (!ownedBy(info.Config.Labels, stack)) throw new NameTakenError('container', name);
  await removeContainer(docker, info.Id);
}

export async function removeNetworkIfOurs(docker: Dockerode, name: string, stack: string): Promise<boolean> {
  let info: Dockerode.NetworkInspectInfo;
  try {
    info = (await docker.getNetwork(name).inspect()) as Dockerode.NetworkInspectInfo;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
  if (!ownedBy(info.Labels, stack)) return false;
  try {
    await docker.getNetwork(info.Id).remove();
    return true;
  } catch (err) {
    // Still in use (a container we do not own joined it): leave it.
    if (isNotFound(err) || isConflict(err) || (err as { statusCode?: number }).statusCode === 403) return false;
    throw err;
  }
}

export async function removeVolumeIfOurs(docker: Dockerode, name: string, stack: string): Promise<void> {
  try {
    const info = await docker.getVolume(name).inspect();
    if (!ownedBy(info.Labels as Record<string, string> | null, stack)) return;
    await docker.getVolume(name).remove();
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/**
 * Networks ensured by one backend instance: creation is serialised per name (parallel creates
 * share one), and a network once ensured is not checked again, so twenty creates make one check.
 * A network Docker later says is gone is forgotten and created again (createContainer).
 */
export class NetworkCache {
  private readonly locks = new Map<string, Promise<void>>();
  private readonly ready = new Set<string>();

  constructor(private readonly docker: Dockerode) {}

  ensure(spec: NetworkSpec): Promise<void> {
    if (this.ready.has(spec.name)) return Promise.resolve();
    const prev = this.locks.get(spec.name) ?? Promise.resolve();
    const next = prev
      .catch(() => undefined)
      .then(async () => {
        if (this.ready.has(spec.name)) return;
        await ensureNetwork(this.docker, spec);
        this.ready.add(spec.name);
      });
    this.locks.set(spec.name, next);
    return next;
  }

  forget(name: string): void {
    this.ready.delete(name);
  }

  forgetAll(): void {
    this.ready.clear();
  }

  /**
   * Creates a container and runs `then` on it (connect, start). If a remembered network vanished
   * meanwhile (Docker says so at create or at start), the container is removed, the networks are
   * ensured again, and it is tried once more.
   */
  async createContainer(
    options: Dockerode.ContainerCreateOptions,
    ensure: () => Promise<void>,
    then: (c: Dockerode.Container) => Promise<void>,
  ): Promise<Dockerode.Container> {
    let created: Dockerode.Container | undefined;
    try {
      created = await this.docker.createContainer(options);
      await then(created);
      return created;
    } catch (err) {
      if (!(isNotFound(err) && /network/i.test(daemonMessage(err)))) throw err;
      if (created) await removeContainer(this.docker, created.id);
      this.forgetAll();
      await ensure();
      const again = await this.docker.createContainer(options);
      await then(again);
      return again;
    }
  }
}
