// Where a stack's runtimes on one Docker backend can be reached now, from ONE label-filtered
// container list: the gateway host asks when an upstream stops answering, because the state
// store is a record of the backend (a failed state write leaves it behind) and the backend is
// the truth for where to connect. It reuses observe's grouping (groupSnapshot), so the main
// container and its published port are chosen exactly as plan sees them; networks, volumes and
// images are not listed (an endpoint needs none of them). Compose runtimes are left out.

import type Dockerode from 'dockerode';
import type { DockerBackend } from '../../generated/config.js';
import type { Endpoint } from '../../model/resources.js';
import { stackFilter } from './labels.js';
import { groupOptsFor } from './lifecycle.js';
import { groupSnapshot } from './observe.js';
import { isComposeObject } from './compose-spec.js';

export interface LiveEndpoint {
  runtime: string;
  endpoint: Endpoint;
  /** The spec hash label of the running container. */
  specHash?: string;
}

/** The endpoint of every running (non-compose) runtime of `stack` on backend `name`. */
export async function liveEndpoints(
  docker: Dockerode,
  name: string,
  config: DockerBackend,
  stack: string,
): Promise<LiveEndpoint[]> {
  const containers = await docker.listContainers({ all: true, filters: stackFilter(stack) });
  const snap = {
    containers: containers.filter((c) => !isComposeObject(c.Labels)),
    networks: [],
    volumes: [],
    imageIds: new Map<string, string>(),
  };
  const publishHost = config.publish_host ?? '127.0.0.1';
  return groupSnapshot(snap, groupOptsFor({ name, config, publishHost }, stack)).flatMap((o) =>
    o.status === 'running' && o.endpoint ? [{ runtime: o.runtime, endpoint: o.endpoint, specHash: o.specHash }] : [],
  );
}
