// cpu/memory of a Code Engine app: the compiled guardrail limits (cores, bytes) mapped onto a
// row of the valid combinations table (reference §10), and live values read back into the same
// canonical strings so that the two compare equal. Pure.

import { CE_CPU_MEMORY } from '../../config/code-engine-rules.js';

export const CE_DEFAULT_CPU = 1;
export const CE_DEFAULT_MEMORY_GB = 4;

export type CeResources = { ok: true; cpu: string; memory: string } | { ok: false; cores: number; memoryText: string; allowed: string };

/** `bytes` is `gb` in decimal or binary units (0.25 GB accepts 250M, 256Mi and 0.25G). */
function sameSize(bytes: number, gb: number): boolean {
  return bytes >= gb * 1e9 * 0.999 && bytes <= gb * 1024 ** 3 * 1.001;
}

export function formatGb(gb: number): string {
  return gb < 1 ? `${Math.round(gb * 1000)}M` : `${Number(gb.toFixed(3))}G`;
}

export function formatCores(cores: number): string {
  return String(Number(cores.toFixed(3)));
}

function bytesText(bytes: number): string {
  return bytes >= 1e9 ? `${Number((bytes / 1e9).toFixed(2))}G` : `${Math.round(bytes / 1e6)}M`;
}

/**
 * Maps limits onto the table: missing cpu means Code Engine's 1 vCPU, missing memory its 4G.
 * Returns the canonical pair, or why the pair is not allowed.
 */
export function ceResources(maxCpu: number | undefined, maxMemoryBytes: number | undefined): CeResources {
  const cores = maxCpu ?? CE_DEFAULT_CPU;
  const bytes = maxMemoryBytes ?? CE_DEFAULT_MEMORY_GB * 1e9;
  const row = CE_CPU_MEMORY.find(([c]) => Math.abs(c - cores) < 1e-9);
  const gb = row?.[1].find((g) => sameSize(bytes, g));
  if (row && gb !== undefined) return { ok: true, cpu: formatCores(cores), memory: formatGb(gb) };
  const allowed = row
    ? `${formatCores(cores)} vCPU allows ${row[1].map(formatGb).join(', ')}`
    : `valid vCPU sizes are ${CE_CPU_MEMORY.map(([c]) => formatCores(c)).join(', ')}`;
  return { ok: false, cores, memoryText: bytesText(bytes), allowed };
}

const QUANTITY = /^([0-9.]+)([a-zA-Z]*)$/;

/** A live `scale_cpu_limit` as canonical cores text (`500m` → `0.5`); unknown forms verbatim. */
export function canonicalCpu(raw: string | undefined): string {
  if (raw === undefined) return formatCores(CE_DEFAULT_CPU);
  const m = QUANTITY.exec(raw.trim());
  if (!m) return raw;
  const n = Number(m[1]);
  if (m[2] === 'm') return formatCores(n / 1000);
  return m[2] === '' ? formatCores(n) : raw;
}

/** A live `scale_memory_limit` in canonical text (`1G`, `500M`; `1024M` → `1.024G`). */
export function canonicalMemory(raw: string | undefined): string {
  if (raw === undefined) return formatGb(CE_DEFAULT_MEMORY_GB);
  const m = QUANTITY.exec(raw.trim());
  if (!m) return raw;
  const n = Number(m[1]);
  const unit = m[2];
  // Code Engine reads binary units as their decimal namesakes when checking the table.
  if (['G', 'Gi', 'GB', 'g'].includes(unit)) return formatGb(n);
  if (['M', 'Mi', 'MB', 'm'].includes(unit)) return formatGb(n / 1000);
  return raw;
}
