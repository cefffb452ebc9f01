// Docker-specific checks of desired runtimes, before anything touches the daemon: supported
// source types, the registry allow-list, ports against ingress_ports, mount paths, capability
// names, and host ports used twice. Pure (no I/O).

import { error, type Diagnostic } from '../../diag/diagnostic.js';
import type { DesiredResource } from '../../model/resources.js';
import type { DockerBackend } from '../../generated/config.js';
import { checkRegistry } from './images.js';
import { validateCompose } from './compose-validate.js';

const FORBIDDEN_MOUNT_ROOTS = ['/', '/proc', '/sys', '/dev', '/etc', '/bin', '/sbin', '/usr', '/lib', '/lib64'];

export function validateDesired(
  name: string,
  config: DockerBackend,
  desired: readonly DesiredResource[],
): Diagnostic[] {
  const diags: Diagnostic[] = [];
  const hostPorts = new Map<number, string>();
  for (const d of desired) {
    if (d.backend !== name) continue;
    const at = { address: d.address, range: d.range };
    const src = d.spec.source;
    if (src.type === 'compose') {
      diags.push(...validateCompose(d, config));
      continue;
    }
    if (src.type === 'command') {
      diags.push(
        error('docker.source-unsupported', `A command source cannot run on Docker backend ${name} (${d.address})`, {
          ...at,
          detail: 'Command sources run on a backend of type process; use a docker source to run on Docker.',
        }),
      );
      continue;
    }
    // The backend wrapper (backends/remote.ts) records remote runtimes; none reaches here.
    if (src.type === 'remote') continue;
    if (src.type === 'github') {
      // The plan resolves the commit before validate; an unresolved one means resolution failed.
      if (src.pushToRegistry && !src.registry) {
        diags.push(
          error('docker.push-registry-missing', `${d.address} sets push_to_registry but names no registry`, {
            ...at,
            detail: 'Add registry: (for example 127.0.0.1:5000/mcp) to the github source.',
          }),
        );
      } else if (src.pushToRegistry && src.registry) {
        const registry = checkRegistry(
          `${src.registry.replace(/\/+$/, '')}/x:latest`,
          { allowedRegistries: config.allowed_registries ?? [], allowLocalImages: true },
          d.address,
        );
        if (registry) diags.push({ ...registry, range: d.range });
      }
    } else if (src.type === 'package') {
      // The package image is built here; what must be allowed is the image it is built from.
      if (src.baseImage) {
        const registry = checkRegistry(
          src.baseImage,
          { allowedRegistries: config.allowed_registries ?? [], allowLocalImages: config.allow_local_images ?? false },
          d.address,
        );
        if (registry) diags.push({ ...registry, range: d.range });
      }
    } else {
      const registry = checkRegistry(
        src.image,
        { allowedRegistries: config.allowed_registries ?? [], allowLocalImages: config.allow_local_images ?? false },
        d.address,
      );
      if (registry) diags.push({ ...registry, range: d.range });
    }

    const t = d.spec.transport;
    const g = d.spec.guardrails;
    if (t.type !== 'stdio' && t.port === undefined) {
      diags.push(
        error('docker.port-missing', `${d.address} speaks ${t.type} but names no container port`, {
          ...at,
          detail: 'Set transport.port on the catalog entry.',
        }),
      );
    }
    if (t.type !== 'stdio' && t.port !== undefined && g.ingressPorts.length > 0 && !g.ingressPorts.includes(t.port)) {
      diags.push(
        error(
          'docker.port-not-allowed',
          `MCP port ${t.port} of ${d.address} is not in ingress_ports [${g.ingressPorts.join(', ')}] of profile ${g.profile}`,
          {
            ...at,
            detail: `Make the server listen on one of the allowed ports (transport.port), or add ${t.port} to the profile's network.ingress_ports.`,
          },
        ),
      );
    }
    for (const m of g.allowedMounts) {
      const norm = m.replace(/\/+$/, '') || '/';
      if (!m.startsWith('/') || FORBIDDEN_MOUNT_ROOTS.includes(norm)) {
        diags.push(
          error('docker.mount-not-allowed', `Mount path ${m} of profile ${g.profile} is not allowed (${d.address})`, {
            ...at,
            detail:
              'allowed_mounts lists absolute paths for data volumes, such as /data; system directories cannot be mounted over.',
          }),
        );
      }
    }
    for (const cap of g.capAdd) {
      if (!/^(CAP_)?[A-Z_]+$/.test(cap.toUpperCase())) {
        diags.push(
          error('docker.capability-invalid', `Capability ${cap} is not a Linux capability name (${d.address})`, {
            ...at,
            detail: 'Use names like NET_BIND_SERVICE.',
          }),
        );
      }
    }
    if (d.spec.hostPort !== undefined) {
      const other = hostPorts.get(d.spec.hostPort);
      if (other) {
        diags.push(
          error('docker.host-port-conflict', `Host port ${d.spec.hostPort} is used by both ${other} and ${d.address}`, {
            ...at,
            detail: 'Give each runtime its own host_port, or leave it out so Docker picks one.',
          }),
        );
      } else hostPorts.set(d.spec.hostPort, d.address);
    }
  }
  return diags;
}
