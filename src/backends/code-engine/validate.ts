// Code Engine checks of desired runtimes that need no I/O: app names after our stack prefix,
// sources and transports Code Engine cannot run, cpu/memory pairs of the valid-combinations
// table, scale limits, build settings for github sources, the 40-apps-per-project quota, and
// public apps without protection (exposure.ts).

import { error, type Diagnostic } from '../../diag/diagnostic.js';
import type { CodeEngineBackend } from '../../generated/config.js';
import type { DesiredResource } from '../../model/resources.js';
import { CE_APPS_PER_PROJECT, CE_MAX_REQUEST_TIMEOUT_SECONDS } from '../../config/index.js';
import { APP_NAME_MAX, appName } from './names.js';
import { canonicalMemory, ceResources } from './resources.js';
import { exposureDiagnostics } from './exposure.js';

const APP_NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

export interface ValidateInput {
  backend: string;
  config: CodeEngineBackend;
  stack: string;
  desired: readonly DesiredResource[];
}

export function validateDesired(input: ValidateInput): Diagnostic[] {
  const { backend, config, stack } = input;
  const diags: Diagnostic[] = [];
  const mine = input.desired.filter((d) => d.backend === backend);
  if (mine.length > CE_APPS_PER_PROJECT) {
    diags.push(
      error(
        'ce.too-many-apps',
        `${mine.length} runtimes on Code Engine backend ${backend}, more than the ${CE_APPS_PER_PROJECT} apps a project holds`,
        {
          address: mine[CE_APPS_PER_PROJECT].address,
          range: mine[CE_APPS_PER_PROJECT].range,
          detail: `A Code Engine project holds at most ${CE_APPS_PER_PROJECT} apps: move some runtimes to another backend (another project).`,
        },
      ),
    );
  }
  for (const d of mine) {
    const at = { address: d.address, range: d.range };
    const s = d.spec;
    const name = appName(stack, d.runtime);
    if (!APP_NAME.test(name) || name.length > APP_NAME_MAX) {
      diags.push(
        error(
          'ce.invalid-app-name',
          `runtime ${d.runtime} would be Code Engine app ${name}, which breaks Code Engine's name rules`,
          {
            ...at,
            detail: `App names are <stack>-<hash>-<runtime>: lowercase letters, digits and '-', ending in a letter or digit, at most ${APP_NAME_MAX} characters (here ${name.length}). Rename the runtime${d.runtime.includes('_') ? " (replace '_' with '-')" : ''}${name.length > APP_NAME_MAX ? ` to at most ${APP_NAME_MAX - (name.length - d.runtime.length)} characters` : ''}.`,
          },
        ),
      );
    }
    if (
      s.source.type === 'compose' ||
      s.source.type === 'command' ||
      s.source.type === 'package' ||
      s.source.type === 'remote'
    ) {
      diags.push(
        error(
          'ce.source-unsupported',
          `runtime ${d.runtime} has a ${s.source.type} source, which Code Engine cannot run`,
          {
            ...at,
            detail:
              s.source.type === 'compose'
                ? 'Code Engine has no Compose: deploy each service as its own catalog entry (docker or github source), or use a Docker backend.'
                : s.source.type === 'command'
                  ? 'Commands run as local processes: use a process backend, or a docker/github source on Code Engine.'
                  : `A ${s.source.type} source runs on a process or docker backend: put the runtime there, or use a docker/github source on Code Engine.`,
          },
        ),
      );
      continue;
    }
    if (s.transport.type === 'stdio') {
      diags.push(
        error('ce.transport-unsupported', `runtime ${d.runtime} speaks stdio, which a Code Engine app cannot offer`, {
          ...at,
          detail: 'Use a catalog entry with the streamable-http or sse transport.',
        }),
      );
    }
    const res = ceResources(s.guardrails.maxCpu, s.guardrails.maxMemory);
    if (!res.ok) {
      diags.push(
        error(
          'ce.invalid-cpu-memory',
          `runtime ${d.runtime} asks for ${res.requested}, not a valid Code Engine pair: ${res.reason}`,
          {
            ...at,
            detail: `Code Engine only runs the cpu/memory pairs of its table. ${res.fix} Profile max_cpu/max_memory are fitted to the largest valid pair under them; runtime resources and per_deployment_limits are used as written.`,
          },
        ),
      );
    }
    const eph = config.per_deployment_limits?.ephemeral_storage;
    if (eph && res.ok) {
      const ephGb = Number(canonicalMemory(eph).replace(/[MG]$/, '')) / (canonicalMemory(eph).endsWith('M') ? 1000 : 1);
      const memGb = Number(res.memory.replace(/[MG]$/, '')) / (res.memory.endsWith('M') ? 1000 : 1);
      if (!Number.isFinite(ephGb) || ephGb > Math.max(memGb, 0.4) || ephGb > 48) {
        diags.push(
          error(
            'ce.invalid-ephemeral-storage',
            `runtime ${d.runtime}: ephemeral storage ${eph} is above what ${res.memory} of memory allows`,
            {
              ...at,
              detail: `Code Engine allows at most max(memory, 400M) of ephemeral storage (and 48G): lower per_deployment_limits.ephemeral_storage to ${res.memory} or less.`,
            },
          ),
        );
      }
    }
    const sc = s.scale ?? {};
    if (sc.min !== undefined && (sc.min < 0 || sc.min > 250))
      diags.push(error('ce.scale-out-of-range', `runtime ${d.runtime}: min scale ${sc.min} is outside 0-250`, at));
    if (sc.max !== undefined && (sc.max < 0 || sc.max > 250))
      diags.push(error('ce.scale-out-of-range', `runtime ${d.runtime}: max scale ${sc.max} is outside 0-250`, at));
    if (sc.min !== undefined && sc.max !== undefined && sc.max !== 0 && sc.min > sc.max) {
      diags.push(
        error('ce.scale-min-above-max', `runtime ${d.runtime}: min scale ${sc.min} is above max scale ${sc.max}`, {
          ...at,
          detail: 'Lower scale.min or raise scale.max (0 means no per-app cap).',
        }),
      );
    }
    if (sc.concurrency !== undefined && (sc.concurrency < 1 || sc.concurrency > 1000))
      diags.push(
        error('ce.scale-out-of-range', `runtime ${d.runtime}: concurrency ${sc.concurrency} is outside 1-1000`, at),
      );
    if (sc.requestTimeoutSeconds !== undefined && sc.requestTimeoutSeconds > CE_MAX_REQUEST_TIMEOUT_SECONDS) {
      diags.push(
        error(
          'ce.request-timeout',
          `runtime ${d.runtime}: request timeout ${sc.requestTimeoutSeconds}s is above Code Engine's ${CE_MAX_REQUEST_TIMEOUT_SECONDS}s`,
          at,
        ),
      );
    }
    if (s.source.type === 'github') {
      if (!config.build?.output_registry) {
        diags.push(
          error(
            'ce.build-registry-missing',
            `runtime ${d.runtime} is built from GitHub, but backend ${backend} sets no build.output_registry`,
            {
              ...at,
              detail:
                'Code Engine builds push their image to a registry: set build.output_registry (e.g. us.icr.io/my-namespace) and build.output_secret on the backend.',
            },
          ),
        );
      }
      if (!config.build?.output_secret) {
        diags.push(
          error(
            'ce.build-secret-missing',
            `runtime ${d.runtime} is built from GitHub, but backend ${backend} sets no build.output_secret`,
            {
              ...at,
              detail:
                'Set build.output_secret to a Code Engine registry secret with push rights to build.output_registry.',
            },
          ),
        );
      }
    }
  }
  diags.push(...exposureDiagnostics(backend, mine));
  return diags;
}
