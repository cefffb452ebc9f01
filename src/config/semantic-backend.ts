// Checks of runtimes against the backend they run on: source types and transports the backend
// supports, catalog supported_backends, image registries allowed on Docker, Code Engine names,
// cpu/memory pairs, quotas, and guardrails the backend cannot enforce. Pure; no I/O.

import { error, warning, type Diagnostic, type SourceRange } from '../diag/diagnostic.js';
import { CAPABILITIES_BY_KIND } from '../model/capabilities.js';
import type { CodeEngineBackend, ContextforgeConfig, DockerBackend } from '../generated/config.js';
import {
  describeTable,
  checkCpuMemory,
  fitCodeEngineLimits,
  isValidAppName,
  limitsFitted,
  CE_APPS_PER_PROJECT,
  CE_CPU_MEMORY,
  CE_MAX_REQUEST_TIMEOUT_SECONDS,
  CE_APP_NAME_MAX,
} from './code-engine-rules.js';
import { parseImageRef, registryAllowed } from './image-ref.js';
import { parseDuration, parseMemory } from './quantities.js';
import { rangeOf, type Located, type RuntimeLink } from './records.js';
import type { ParsedYaml } from './yaml-source.js';

export interface BackendRulesInput {
  doc: ContextforgeConfig;
  cfg: ParsedYaml;
  links: RuntimeLink[];
  strict: boolean;
}

const CE_DEFAULT = { cpu: '1', memory: '4G' };

export function checkBackendRules(input: BackendRulesInput): Diagnostic[] {
  const { doc, cfg, links } = input;
  const diags: Diagnostic[] = [];
  const root: Located = { parsed: cfg, pointer: '' };

  // Backend-level Code Engine checks.
  for (const [name, b] of Object.entries(doc.backends ?? {})) {
    if (b.type !== 'ibm_code_engine') continue;
    const lim = b.per_deployment_limits;
    // A full pair is checked here once; a partial one pairs with each runtime's profile or
    // Code Engine's default, so checkCeResources checks it per runtime.
    if (lim && lim.cpu !== undefined && lim.memory !== undefined) {
      const combo = checkCpuMemory(lim.cpu, lim.memory);
      if (!combo.ok) {
        const key = lim.cpu !== undefined ? 'cpu' : 'memory';
        diags.push(
          cpuMemoryError(
            `${String(lim.cpu ?? CE_DEFAULT.cpu)} vCPU / ${lim.memory ?? CE_DEFAULT.memory}`,
            combo,
            rangeOf(root, ['backends', name, 'per_deployment_limits', key]),
          ),
        );
      }
    }
    const eph = parseMemory(lim?.ephemeral_storage);
    if (lim?.ephemeral_storage !== undefined && eph !== undefined) {
      const mem = parseMemory(lim.memory ?? CE_DEFAULT.memory) ?? 0;
      const max = Math.min(48e9, Math.max(400e6, mem));
      if (eph > max * 1.001) {
        diags.push(
          error(
            'ce.ephemeral-storage',
            `ephemeral_storage ${lim.ephemeral_storage} is above the ${max >= 1e9 ? `${max / 1e9}G` : `${max / 1e6}M`} Code Engine allows here`,
            {
              range: rangeOf(root, ['backends', name, 'per_deployment_limits', 'ephemeral_storage']),
              detail:
                'Code Engine allows ephemeral storage up to the larger of 400M and the memory limit (at most 48G).',
            },
          ),
        );
      }
    }
    if (
      b.default_min_scale !== undefined &&
      b.default_max_scale !== undefined &&
      b.default_max_scale !== 0 &&
      b.default_min_scale > b.default_max_scale
    ) {
      diags.push(
        error(
          'scale.min-above-max',
          `default_min_scale (${b.default_min_scale}) is above default_max_scale (${b.default_max_scale})`,
          {
            range: rangeOf(root, ['backends', name, 'default_min_scale']),
            detail: 'Lower default_min_scale or raise default_max_scale.',
          },
        ),
      );
    }
  }

  const perBackend = new Map<string, number>();
  const hostPorts = new Map<string, string>();
  const imageReported = new Set<string>();
  const profilePairReported = new Set<string>();
  const guardrailGroups = new Map<string, { link: RuntimeLink; count: number }>();
  const parsedImages = new Map<string, ReturnType<typeof parseImageRef>>();

  for (const link of links) {
    const rt = doc.runtimes![link.index];
    const b = link.backend;
    if (!b) continue;
    const caps = CAPABILITIES_BY_KIND[b.type];
    const backendRange = (): SourceRange => rangeOf(link.loc, ['backend']);
    const count = (perBackend.get(link.backendName) ?? 0) + 1;
    perBackend.set(link.backendName, count);

    if (b.type === 'ibm_code_engine') {
      if (!isValidAppName(rt.name)) {
        diags.push(
          error('ce.invalid-app-name', `runtime name "${rt.name}" is not a valid Code Engine app name`, {
            range: rangeOf(link.loc, ['name']),
            detail: `Code Engine app names use lowercase letters, digits and '-', start with a letter, end with a letter or digit, and have at most ${CE_APP_NAME_MAX} characters${rt.name.includes('_') ? " (replace '_' with '-')" : ''}.`,
          }),
        );
      }
      if (count === CE_APPS_PER_PROJECT + 1) {
        diags.push(
          error(
            'ce.too-many-apps',
            `more than ${CE_APPS_PER_PROJECT} runtimes on Code Engine backend "${link.backendName}"`,
            {
              range: backendRange(),
              detail: `A Code Engine project holds at most ${CE_APPS_PER_PROJECT} apps; spread the runtimes over another backend (project).`,
            },
          ),
        );
      }
      const timeout = parseDuration(rt.scale?.request_timeout);
      if (timeout !== undefined && timeout > CE_MAX_REQUEST_TIMEOUT_SECONDS) {
        diags.push(
          error(
            'ce.request-timeout',
            `scale.request_timeout above Code Engine's ${CE_MAX_REQUEST_TIMEOUT_SECONDS} s maximum`,
            {
              range: rangeOf(link.loc, ['scale', 'request_timeout']),
              detail: `Use at most ${CE_MAX_REQUEST_TIMEOUT_SECONDS}s.`,
            },
          ),
        );
      }
      checkCeResources(link, rt.name, rt.resources, b, diags, profilePairReported);
    }

    if (
      rt.host_port !== undefined &&
      b.type === 'docker' &&
      doc.gateway?.enabled !== false &&
      rt.host_port === (doc.gateway?.port ?? 4444)
    ) {
      diags.push(
        error('runtime.host-port-gateway', `host port ${rt.host_port} is the gateway's port`, {
          range: rangeOf(link.loc, ['host_port']),
          detail: 'The gateway listens on this port; pick another host_port or change gateway.port.',
        }),
      );
    }
    if (rt.host_port !== undefined && b.type === 'docker') {
      const key = `${link.backendName}:${rt.host_port}`;
      const prev = hostPorts.get(key);
      if (prev) {
        diags.push(
          error('runtime.duplicate-host-port', `host port ${rt.host_port} is already used by runtime "${prev}"`, {
            range: rangeOf(link.loc, ['host_port']),
            detail: 'Each runtime on one Docker backend needs its own host_port; pick another or remove host_port.',
          }),
        );
      } else hostPorts.set(key, rt.name);
    }

    const entry = link.entry;
    if (!entry) continue;
    const e = entry.entry;
    const what = `catalog entry "${e.slug}"`;
    if (e.supported_backends && !e.supported_backends.includes(b.type)) {
      diags.push(
        error('catalog.unsupported-backend', `${what} does not support ${b.type} backends`, {
          range: backendRange(),
          detail: `It supports: ${e.supported_backends.join(', ')}. Choose a backend of one of those types.`,
        }),
      );
      continue;
    }
    const src = e.source.type;
    let sourceProblem: string | undefined;
    if (src === 'compose' && !caps.supports_compose)
      sourceProblem = `compose source of ${what} cannot run on ${b.type} backend "${link.backendName}"`;
    else if (src === 'command' && b.type !== 'process')
      sourceProblem = `command source of ${what} needs a process backend`;
    else if (src === 'package' && b.type === 'ibm_code_engine')
      sourceProblem = `package source of ${what} cannot run on Code Engine backend "${link.backendName}"`;
    else if (src !== 'command' && src !== 'package' && src !== 'remote' && b.type === 'process')
      sourceProblem = `${src} source of ${what} cannot run on process backend "${link.backendName}"`;
    if (sourceProblem) {
      diags.push(
        error('source.unsupported-backend', sourceProblem, {
          range: backendRange(),
          detail:
            src === 'compose'
              ? 'Compose stacks need a Docker backend; on Code Engine deploy each service as its own catalog entry.'
              : src === 'command'
                ? 'Commands run as local processes; use a process backend, or a docker/github source for containers.'
                : src === 'package'
                  ? 'Packages run as local processes or in an image built on Docker; use a process or docker backend.'
                  : 'The process backend runs local commands and packages only; use a docker backend, or a catalog entry with a command or package source.',
        }),
      );
      continue;
    }
    // A hosted server starts nothing on the backend: its transport is never attached there.
    if (src !== 'remote' && e.transport?.type === 'stdio' && !caps.supports_stdio_attach) {
      diags.push(
        error(
          'transport.stdio-unsupported',
          `stdio transport of ${what} is not available on ${b.type} backend "${link.backendName}"`,
          {
            range: backendRange(),
            detail:
              'Code Engine apps are reached over HTTP only; use an entry with the streamable-http or sse transport.',
          },
        ),
      );
    }
    if (e.source.type === 'docker') {
      let parsed = parsedImages.get(e.source.image);
      if (!parsed) parsedImages.set(e.source.image, (parsed = parseImageRef(e.source.image)));
      // Shipped entries are not the user's to edit: point at the runtime that uses them.
      const imageRange = (): SourceRange =>
        entry.builtin ? rangeOf(link.loc, ['catalog']) : rangeOf(entry, ['source', 'image']);
      if ('error' in parsed) {
        if (!imageReported.has(e.slug)) {
          imageReported.add(e.slug);
          diags.push(
            error('image.invalid-reference', `invalid image reference "${e.source.image}": ${parsed.error}`, {
              range: imageRange(),
              detail: 'Write the image as [registry/]repository[:tag][@digest], e.g. docker.io/mcp/filesystem:1.2.0.',
            }),
          );
        }
      } else if (b.type === 'docker') {
        const db = b as DockerBackend;
        const key = `${e.slug}@${link.backendName}`;
        if (
          !registryAllowed(parsed, db.allowed_registries, db.allow_local_images === true) &&
          !imageReported.has(key)
        ) {
          imageReported.add(key);
          const local = !parsed.registry;
          diags.push(
            error(
              'image.registry-not-allowed',
              `image registry ${parsed.effectiveRegistry} is not allowed on backend "${link.backendName}"`,
              {
                address: `runtime.${rt.name}`,
                range: imageRange(),
                detail: local
                  ? `The image ${e.source.image} names no registry, so it comes from docker.io. Add docker.io to allowed_registries, or set allow_local_images: true for locally built images. Allowed: ${(db.allowed_registries ?? []).join(', ')}.`
                  : `Image ${e.source.image}; allowed registries: ${(db.allowed_registries ?? []).join(', ')}. Use an image from one of them or extend allowed_registries.`,
              },
            ),
          );
        }
      }
    }

    // The seed's recommended_backends: using a profile elsewhere is allowed, with a warning.
    const rec = link.profile?.profile.recommended_backends;
    if (link.profile && rec && rec.length > 0 && !rec.includes(b.type)) {
      const key = `${link.profileName}|${link.backendName}|recommended`;
      if (!guardrailGroups.has(key)) {
        guardrailGroups.set(key, { link, count: 1 });
        diags.push(
          warning(
            'profile.not-recommended',
            `profile "${link.profileName}" is not recommended for ${b.type} backends`,
            {
              range: link.profileFrom === 'runtime' ? rangeOf(link.loc, ['guardrails_profile']) : backendRange(),
              address: `runtime.${rt.name}`,
              detail: `It recommends: ${rec.join(', ')}. Check that its guardrails mean what you expect on ${b.type}, or pick a profile made for it.`,
            },
          ),
        );
      }
    }
  }
  return diags;
}

function cpuMemoryError(
  pair: string,
  combo: { ok: false; reason: string; allowed: string },
  range: SourceRange,
  extra = '',
): Diagnostic {
  return error('ce.invalid-cpu-memory', `${pair} is not a valid Code Engine cpu/memory pair`, {
    range,
    detail: `${combo.reason === 'unparseable' ? 'The values could not be read' : combo.reason}.${extra} Valid pairs (vCPU: memory): ${describeTable()}.`,
  });
}

/**
 * The cpu/memory a Code Engine app gets, by the rule the compiler uses too
 * (fitCodeEngineLimits): runtime resources and per_deployment_limits are exact and must be a
 * pair of the table; profile max_cpu/max_memory are ceilings fitted to the largest valid pair
 * under them (a warning on the runtime), an error only when no pair fits.
 */
function checkCeResources(
  link: RuntimeLink,
  name: string,
  resources: { cpu?: number | string; memory?: string } | undefined,
  b: CodeEngineBackend,
  diags: Diagnostic[],
  reportedProfiles: Set<string>,
): void {
  const fit = fitCodeEngineLimits({
    runtime: resources,
    backend: b.per_deployment_limits,
    profile: link.profile?.profile.resources,
  });
  const runtimeRange = (): SourceRange =>
    rangeOf(link.loc, [link.profileFrom === 'runtime' ? 'guardrails_profile' : 'backend']);
  if (fit.ok) {
    if (fit.fitted)
      diags.push(
        limitsFitted({
          fit,
          profileName: link.profileName,
          backend: link.backendName,
          address: `runtime.${name}`,
          range: runtimeRange(),
        }),
      );
    return;
  }
  const { cpu, memory } = fit.requested;
  const fromProfile = cpu?.from === 'profile' || memory?.from === 'profile';
  if (fit.kind === 'no-fit' && fromProfile && link.profile) {
    const id = `${link.profileName}@${link.backendName}`;
    if (reportedProfiles.has(id)) return;
    reportedProfiles.add(id);
    // Point at the ceiling to raise: the one under the table's smallest size, else memory.
    const key =
      cpu?.from === 'profile' && cpu.value < CE_CPU_MEMORY[0][0] && memory?.from !== 'profile'
        ? 'max_cpu'
        : memory?.from === 'profile'
          ? 'max_memory'
          : 'max_cpu';
    const at = link.profile.builtin ? runtimeRange() : rangeOf(link.profile, ['resources', key]);
    diags.push(
      error(
        'ce.limits-no-fit',
        `${fit.requestedText} of profile "${link.profileName}" fits no Code Engine cpu/memory pair`,
        {
          range: at,
          address: `runtime.${name}`,
          detail: `Runtime "${name}" runs on Code Engine backend "${link.backendName}": ${fit.reason}. ${fit.fix}`,
        },
      ),
    );
    return;
  }
  // A full pair from the backend was reported at backend level; a partial one once per backend.
  if (cpu?.from === 'backend' && memory?.from === 'backend') return;
  const fromRuntime = cpu?.from === 'runtime' || memory?.from === 'runtime';
  if (!fromRuntime) {
    if (reportedProfiles.has(`@${link.backendName}`)) return;
    reportedProfiles.add(`@${link.backendName}`);
  }
  const key = fromRuntime ? (cpu?.from === 'runtime' ? 'cpu' : 'memory') : cpu?.from === 'backend' ? 'cpu' : 'memory';
  const pair = `${cpu?.text ?? CE_DEFAULT.cpu} vCPU / ${memory?.text ?? CE_DEFAULT.memory}`;
  diags.push(
    error('ce.invalid-cpu-memory', `${pair} is not a valid Code Engine cpu/memory pair`, {
      range: fromRuntime
        ? rangeOf(link.loc, ['resources', key])
        : rangeOf({ parsed: link.loc.parsed, pointer: '' }, [
            'backends',
            link.backendName,
            'per_deployment_limits',
            key,
          ]),
      address: `runtime.${name}`,
      detail: `${fit.reason.charAt(0).toUpperCase()}${fit.reason.slice(1)}. ${fit.fix}`,
    }),
  );
}
