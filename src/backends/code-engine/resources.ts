// cpu/memory of a Code Engine app: the compiled guardrail limits (cores, bytes) mapped onto a
// row of the valid combinations table (reference §10), and live values read back into the same
// canonical strings so that the two compare equal. Pure.

import { CE_DEFAULT_CPU, CE_DEFAULT_MEMORY_GB, fitCodeEngineLimits } from '../../config/index.js';

export { CE_DEFAULT_CPU, CE_DEFAULT_MEMORY_GB };

export type CeResources =
  { ok: true; cpu: string; memory: string } | { ok: false; requested: string; reason: string; fix: string };

/** Table memory sizes on the wire: `250M`, `4G` (what Code Engine itself returns). */
export function formatGb(gb: number): string {
  return gb < 1 ? `${Math.round(gb * 1000)}M` : `${Number(gb.toFixed(3))}G`;
}

export function formatCores(cores: number): string {
  return String(Number(cores.toFixed(3)));
}

/**
 * Maps compiled limits (cores, bytes) onto the table with the same function validation and
 * the compiler use: the compiler already fitted profile ceilings, so these are exact here.
 * Missing cpu means Code Engine's 1 vCPU, missing memory its 4G.
 */
export function ceResources(maxCpu: number | undefined, maxMemoryBytes: number | undefined): CeResources {
  const fit = fitCodeEngineLimits({ runtime: { cpu: maxCpu, memory: maxMemoryBytes } });
  if (fit.ok) return { ok: true, cpu: formatCores(fit.cpu), memory: formatGb(fit.memoryGb) };
  return { ok: false, requested: fit.requestedText, reason: fit.reason, fix: fit.fix };
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
