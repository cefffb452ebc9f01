// Docker-side checks of a compose runtime before anything runs: the file compiles, the MCP
// endpoint is an HTTP port of main_service, every image passes the registry allow-list, mounts
// stay within the profile. Egress limits are kept by the compose topology (compose-spec.ts). Pure.

import { error, type Diagnostic } from '../../diag/diagnostic.js';
import type { DockerBackend } from '../../generated/config.js';
import type { DesiredResource } from '../../model/resources.js';
import { compileCompose } from './compose-spec.js';
import { checkRegistry } from './images.js';

export function validateCompose(d: DesiredResource, config: DockerBackend): Diagnostic[] {
  const at = { address: d.address, range: d.range };
  const diags: Diagnostic[] = [];
  const g = d.spec.guardrails;
  if (d.spec.transport.type === 'stdio') {
    diags.push(
      error('docker.compose-stdio', `The main service of ${d.address} must speak HTTP`, {
        ...at,
        detail: 'Compose runtimes are reached through a published port; set transport.type to streamable-http or sse.',
      }),
    );
  }
  const compiled = compileCompose(d);
  // Unread path sources are resolved by the plan right before validate; nothing to check then.
  if (!compiled.value)
    return [
      ...diags,
      ...compiled.diags
        .filter((x) => x.code !== 'docker.compose-unresolved')
        .map((x) => ({ ...x, address: d.address })),
    ];
  for (const { spec } of Object.values(compiled.value.members)) {
    if (!spec.build) {
      const r = checkRegistry(
        spec.image,
        { allowedRegistries: config.allowed_registries ?? [], allowLocalImages: config.allow_local_images ?? false },
        d.address,
      );
      if (r) diags.push({ ...r, range: d.range, summary: `${r.summary} (service ${spec.service})` });
    }
    for (const v of spec.volumes) {
      const allowed = g.allowedMounts.some((m) => v.target === m || v.target.startsWith(`${m.replace(/\/+$/, '')}/`));
      if (g.allowedMounts.length > 0 && !allowed) {
        diags.push(
          error(
            'docker.mount-not-allowed',
            `Service ${spec.service} of ${d.address} mounts ${v.target}, which profile ${g.profile} does not list in allowed_mounts`,
            { ...at, detail: `Mount under one of: ${g.allowedMounts.join(', ')}.` },
          ),
        );
      }
      if (g.allowedMounts.length === 0 && g.readOnlyRoot) {
        diags.push(
          error(
            'docker.mount-not-allowed',
            `Service ${spec.service} of ${d.address} mounts ${v.target}, but profile ${g.profile} allows no mounts`,
            { ...at, detail: 'Remove the volume, or use a profile whose allowed_mounts lists the path.' },
          ),
        );
      }
    }
  }
  return diags;
}
