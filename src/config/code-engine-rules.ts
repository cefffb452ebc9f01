// Code Engine's static rules (reference/code-engine-v2.md §2, §10): app names, the valid
// vCPU/memory combinations, and the per-project app quota. Pure data and predicates, shared
// by the config validator and the Code Engine backend.

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

/**
 * True when `bytes` is the table's `gb` in decimal or binary units (so 0.25 GB accepts 250M,
 * 256m, 256Mi and 0.25G): Code Engine reads M/G as decimal, users often write binary sizes.
 */
function sameSize(bytes: number, gb: number): boolean {
  return bytes >= gb * 1e9 * 0.999 && bytes <= gb * 1024 ** 3 * 1.001;
}

export type ComboCheck = { ok: true } | { ok: false; reason: string; allowed: string };

/** Checks a cpu/memory pair against the table; both values as written in the config. */
export function checkCpuMemory(cpu: number | string, memory: string): ComboCheck {
  const cores = parseCpu(cpu);
  const bytes = parseMemory(memory);
  if (cores === undefined || bytes === undefined) return { ok: false, reason: 'unparseable', allowed: describeTable() };
  const row = CE_CPU_MEMORY.find(([c]) => Math.abs(c - cores) < 1e-9);
  if (!row) return { ok: false, reason: `${cores} vCPU is not a Code Engine size`, allowed: describeTable() };
  if (row[1].some((gb) => sameSize(bytes, gb))) return { ok: true };
  return { ok: false, reason: `${cores} vCPU allows ${row[1].map(fmtGb).join(', ')} of memory`, allowed: `${cores} vCPU with ${row[1].map(fmtGb).join(', ')}` };
}

function fmtGb(gb: number): string {
  return gb < 1 ? `${gb * 1000}M` : `${gb}G`;
}

export function describeTable(): string {
  return CE_CPU_MEMORY.map(([c, m]) => `${c}: ${m.map(fmtGb).join('/')}`).join('; ');
}
