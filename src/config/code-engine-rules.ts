// Code Engine's static rules (reference/code-engine-v2.md §2, §10): app names, the valid
// vCPU/memory combinations, the per-project app quota, and the one function that decides the
// cpu/memory pair an app gets. Pure data and predicates, shared by the config validator, the
// desired-state compiler and the Code Engine backend, so that all three agree.

import { warning, type Diagnostic, type SourceRange } from '../diag/diagnostic.js';
import { parseCpu, parseMemory } from './quantities.js';

/** App names: lowercase alphanumerics and '-', starting with a letter, at most 63 characters. */
export const CE_APP_NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
export const CE_APP_NAME_MAX = 63;
export const CE_APPS_PER_PROJECT = 40;
export const CE_MAX_REQUEST_TIMEOUT_SECONDS = 600;

/** vCPU → the memory sizes (GB) allowed with it. */
export const CE_CPU_MEMORY: ReadonlyArray<readonly [number, readonly number[]]> = [
  [0.125, [0.25, 0.5, 1]],
  [0.25, [0.5, 1, 2]],
  [0.5, [1, 2, 4]],
  [1, [2, 4, 8]],
  [2, [4, 8, 16]],
  [4, [8, 16, 32]],
  [6, [12, 24, 48]],
  [8, [16, 32]],
  [10, [20, 40]],
  [12, [24, 48]],
];

export function isValidAppName(name: string): boolean {
  return name.length <= CE_APP_NAME_MAX && CE_APP_NAME.test(name);
}

/** Code Engine's default pair (reference §10), used when nothing sets cpu or memory. */
export const CE_DEFAULT_CPU = 1;
export const CE_DEFAULT_MEMORY_GB = 4;

/**
 * True when `bytes` is the table's `gb` in decimal or binary units (so 0.25 GB accepts 250M,
 * 256m, 256Mi and 0.25G): Code Engine reads M/G as decimal, users often write binary sizes.
 */
export function sameSize(bytes: number, gb: number): boolean {
  return bytes >= gb * 1e9 * 0.999 && bytes <= gb * 1024 ** 3 * 1.001;
}

/** The table's memory sizes as the reference writes them: `0.25G`, `4G`. */
export function fmtGb(gb: number): string {
  return `${Number(gb.toFixed(3))}G`;
}

export function fmtCores(cores: number): string {
  return String(Number(cores.toFixed(3)));
}

export function describeTable(): string {
  return CE_CPU_MEMORY.map(([c, m]) => `${fmtCores(c)}: ${m.map(fmtGb).join('/')}`).join('; ');
}

function rowOf(cores: number): readonly [number, readonly number[]] | undefined {
  return CE_CPU_MEMORY.find(([c]) => Math.abs(c - cores) < 1e-9);
}

export type ComboCheck = { ok: true; cpu: number; memoryGb: number } | { ok: false; reason: string; allowed: string };

/** Checks an exact cpu/memory pair against the table (cores, bytes). */
export function checkPair(cores: number, bytes: number): ComboCheck {
  const row = rowOf(cores);
  if (!row)
    return {
      ok: false,
      reason: `${fmtCores(cores)} vCPU is not a Code Engine size`,
      allowed: `valid vCPU sizes are ${CE_CPU_MEMORY.map(([c]) => fmtCores(c)).join(', ')}`,
    };
  const gb = row[1].find((g) => sameSize(bytes, g));
  if (gb !== undefined) return { ok: true, cpu: row[0], memoryGb: gb };
  const sizes = row[1].map(fmtGb).join(', ');
  return {
    ok: false,
    reason: `${fmtCores(cores)} vCPU allows ${sizes} of memory`,
    allowed: `${fmtCores(cores)} vCPU with ${sizes}`,
  };
}

/** Checks a cpu/memory pair against the table; both values as written in the config. */
export function checkCpuMemory(cpu: number | string, memory: string): ComboCheck {
  const cores = parseCpu(cpu);
  const bytes = parseMemory(memory);
  if (cores === undefined || bytes === undefined) return { ok: false, reason: 'unparseable', allowed: describeTable() };
  return checkPair(cores, bytes);
}

/** Where a limit came from: exact values (runtime, backend) or a profile's ceiling. */
export type LimitSource = 'runtime' | 'backend' | 'profile' | 'default';

/** One side of the pair: cores or bytes, as written, and its source. */
export interface LimitValue {
  value: number;
  text: string;
  from: LimitSource;
}

export interface CeLimitsInput {
  /** The runtime's `resources` (exact). */
  runtime?: { cpu?: number | string; memory?: number | string };
  /** The backend's `per_deployment_limits` (exact). */
  backend?: { cpu?: number | string; memory?: number | string };
  /** The guardrail profile's `resources` (ceilings). */
  profile?: { max_cpu?: number | string; max_memory?: number | string };
}

export type CeLimits =
  | {
      ok: true;
      cpu: number;
      memoryGb: number;
      /** Bytes for the compiled spec: the value as written when exact, the table's size when fitted. */
      memoryBytes: number;
      /** True when profile ceilings were lowered to a smaller valid pair. */
      fitted: boolean;
      requested: { cpu?: LimitValue; memory?: LimitValue };
      /** E.g. "max_cpu 0.5 / max_memory 512m" (what the fitted pair replaces). */
      requestedText: string;
    }
  | {
      ok: false;
      /** `invalid-pair`: exact values not in the table; `no-fit`: no pair under the ceilings. */
      kind: 'invalid-pair' | 'no-fit' | 'unparseable';
      requested: { cpu?: LimitValue; memory?: LimitValue };
      requestedText: string;
      /** What is wrong, one sentence without a final period. */
      reason: string;
      /** How to fix it, full sentences. */
      fix: string;
    };

const LABEL: Record<LimitSource, Record<'cpu' | 'memory', string>> = {
  runtime: { cpu: 'cpu', memory: 'memory' },
  backend: { cpu: 'per_deployment_limits cpu', memory: 'per_deployment_limits memory' },
  profile: { cpu: 'max_cpu', memory: 'max_memory' },
  default: { cpu: 'cpu', memory: 'memory' },
};

/**
 * The cpu/memory pair a Code Engine app gets. For each of cpu and memory: the runtime's
 * resources, else the backend's per_deployment_limits (both exact: an invalid pair is an
 * error), else the profile's max_cpu/max_memory, which are ceilings: when they are not a
 * valid pair themselves, the largest valid pair under them is taken (more cpu first, then
 * more memory), and `fitted` says so. A side nothing sets is Code Engine's default when the
 * pair is exact and unconstrained when fitting. Values may be numbers already (cores, bytes).
 */
export function fitCodeEngineLimits(input: CeLimitsInput): CeLimits {
  const pick = (key: 'cpu' | 'memory'): LimitValue | undefined | null => {
    const cands: [unknown, LimitSource][] =
      key === 'cpu'
        ? [
            [input.runtime?.cpu, 'runtime'],
            [input.backend?.cpu, 'backend'],
            [input.profile?.max_cpu, 'profile'],
          ]
        : [
            [input.runtime?.memory, 'runtime'],
            [input.backend?.memory, 'backend'],
            [input.profile?.max_memory, 'profile'],
          ];
    for (const [raw, from] of cands) {
      if (raw === undefined || raw === null) continue;
      const value =
        key === 'cpu' ? parseCpu(raw as number | string) : typeof raw === 'number' ? raw : parseMemory(String(raw));
      // null: present but unreadable (the schema normally rejects it first).
      if (value === undefined) return null;
      const text = key === 'memory' && typeof raw === 'number' ? bytesText(raw) : String(raw);
      return { value, text, from };
    }
    return undefined;
  };
  const cpu = pick('cpu');
  const memory = pick('memory');
  const requested = { cpu: cpu ?? undefined, memory: memory ?? undefined };
  const parts = (['cpu', 'memory'] as const)
    .filter((k) => requested[k])
    .map((k) => `${LABEL[requested[k]!.from][k]} ${requested[k]!.text}`);
  const requestedText = parts.join(' / ') || `Code Engine's default ${CE_DEFAULT_CPU} vCPU / ${CE_DEFAULT_MEMORY_GB}G`;
  if (cpu === null || memory === null) {
    return {
      ok: false,
      kind: 'unparseable',
      requested,
      requestedText,
      reason: 'the values could not be read',
      fix: 'Write cpu as cores (e.g. "0.5") and memory with a unit (e.g. 1G).',
    };
  }
  const cores = cpu?.value ?? CE_DEFAULT_CPU;
  const bytes = memory?.value ?? CE_DEFAULT_MEMORY_GB * 1e9;
  const exact = checkPair(cores, bytes);
  if (exact.ok)
    return {
      ok: true,
      cpu: exact.cpu,
      memoryGb: exact.memoryGb,
      memoryBytes: Math.round(bytes),
      fitted: false,
      requested,
      requestedText,
    };
  const ceiling = cpu?.from === 'profile' || memory?.from === 'profile';
  if (!ceiling) {
    return {
      ok: false,
      kind: 'invalid-pair',
      requested,
      requestedText,
      reason: exact.reason,
      fix: `Set ${cpu?.from === 'runtime' || memory?.from === 'runtime' ? "the runtime's resources" : 'per_deployment_limits'} to a pair of the table. Valid pairs (vCPU: memory): ${describeTable()}.`,
    };
  }
  // Exact sides must match a row as they are; ceilings admit anything at or below them.
  const fits = (c: number, gb: number): boolean =>
    (cpu === undefined || (cpu.from === 'profile' ? c <= cpu.value + 1e-9 : Math.abs(c - cpu.value) < 1e-9)) &&
    (memory === undefined ||
      (memory.from === 'profile' ? gb * 1e9 <= memory.value * (1 + 1e-9) : sameSize(memory.value, gb)));
  let best: [number, number] | undefined;
  for (const [c, sizes] of CE_CPU_MEMORY) {
    for (const gb of sizes) {
      if (!fits(c, gb)) continue;
      if (!best || c > best[0] || (c === best[0] && gb > best[1])) best = [c, gb];
    }
  }
  if (best)
    return {
      ok: true,
      cpu: best[0],
      memoryGb: best[1],
      memoryBytes: Math.round(best[1] * 1e9),
      fitted: true,
      requested,
      requestedText,
    };
  const [minCpu, minSizes] = CE_CPU_MEMORY[0];
  const fixedCpu = cpu && cpu.from !== 'profile' ? checkPair(cpu.value, 0) : undefined;
  if (fixedCpu && !fixedCpu.ok) {
    // The exact cpu decides the row: say which memory it needs.
    return {
      ok: false,
      kind: 'no-fit',
      requested,
      requestedText,
      reason: `no Code Engine pair fits under ${requestedText}: ${fixedCpu.reason}`,
      fix: `Raise the profile's max_memory, or set cpu and memory together to a pair of the table. Valid pairs (vCPU: memory): ${describeTable()}.`,
    };
  }
  const raise = [
    cpu?.from === 'profile' && cpu.value < minCpu ? `max_cpu to at least ${fmtCores(minCpu)}` : undefined,
    memory?.from === 'profile' && memory.value < minSizes[0] * 1e9
      ? `max_memory to at least ${fmtGb(minSizes[0])}`
      : undefined,
  ].filter((x): x is string => x !== undefined);
  return {
    ok: false,
    kind: 'no-fit',
    requested,
    requestedText,
    reason: `no Code Engine cpu/memory pair fits under ${requestedText}; the smallest pair is ${fmtCores(minCpu)} vCPU / ${fmtGb(minSizes[0])}`,
    fix: `Raise the profile's ${raise.length ? raise.join(' and ') : 'max_cpu/max_memory'}, or set per_deployment_limits on the backend (exact values, e.g. cpu "${fmtCores(minCpu)}", memory ${fmtGb(minSizes[0])}). Valid pairs (vCPU: memory): ${describeTable()}.`,
  };
}

/** The warning for a fitted pair, worded once for validate and plan. */
export function limitsFitted(input: {
  fit: Extract<CeLimits, { ok: true }>;
  profileName?: string;
  backend: string;
  address: string;
  range?: SourceRange;
}): Diagnostic {
  const { fit } = input;
  const of = input.profileName ? ` of profile "${input.profileName}"` : '';
  return warning(
    'ce.limits-fitted',
    `${fit.requestedText}${of} fitted to Code Engine's ${fmtCores(fit.cpu)} vCPU / ${fmtGb(fit.memoryGb)}`,
    {
      address: input.address,
      range: input.range,
      detail: `Code Engine runs only the cpu/memory pairs of its table, and a profile's max_cpu/max_memory are ceilings: the app gets the largest valid pair under them (more cpu first, then more memory). To choose the pair yourself, set per_deployment_limits on backend "${input.backend}" or resources on the runtime. Valid pairs (vCPU: memory): ${describeTable()}.`,
    },
  );
}

function bytesText(bytes: number): string {
  return bytes >= 1e9 ? `${Number((bytes / 1e9).toFixed(2))}G` : `${Math.round(bytes / 1e6)}M`;
}
