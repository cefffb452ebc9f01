// Parses the config's CPU and memory quantities into numbers (cores, bytes) and durations
// into seconds. Pure; the schema has already checked the textual form.

const MEMORY_UNITS: Record<string, number> = {
  k: 1e3, kb: 1e3, ki: 1024,
  m: 1e6, mb: 1e6, mi: 1024 ** 2,
  g: 1e9, gb: 1e9, gi: 1024 ** 3,
};

/** Cores from `0.5`, `"2"`; undefined when unparseable. */
export function parseCpu(v: number | string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/** Bytes from `256m`, `1g`, `512Mi`, `4G`, `1GB`; undefined when unparseable. */
export function parseMemory(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const m = /^([0-9]+(?:\.[0-9]+)?)([kKmMgG][iIbB]?)$/.exec(v.trim());
  if (!m) return undefined;
  const unit = MEMORY_UNITS[m[2].toLowerCase()];
  return unit === undefined ? undefined : Number(m[1]) * unit;
}

/** Seconds from a duration (`30s`, `5m`, `500ms`, or a number of seconds). */
export function parseDuration(v: number | string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number') return v;
  const m = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)$/.exec(v);
  if (!m) return undefined;
  const f = { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * f;
}
