// The one parser of the quantities users write in contextforge.yaml: cpu (cores), memory
// (bytes) and durations. Every layer (validation, the desired-state compiler, backends) reads
// them here so that one value means one thing everywhere. Pure; invalid input is undefined.

/**
 * Memory units. Lowercase k/m/g (and kb/mb/gb) are binary, as Docker reads `512m`; Ki/Mi/Gi
 * are binary; uppercase K/M/G and KB/MB/GB are decimal, as Code Engine and Kubernetes read
 * them. Mixed or other spellings (`mi`, `kB`, `Mb`) are not accepted: they would be ambiguous.
 */
const MEMORY_UNITS: Readonly<Record<string, number>> = {
  k: 1024,
  kb: 1024,
  Ki: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  Mi: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  Gi: 1024 ** 3,
  K: 1e3,
  KB: 1e3,
  M: 1e6,
  MB: 1e6,
  G: 1e9,
  GB: 1e9,
};

/** Cores from `0.5`, `"2"`, or millicores `"500m"`; undefined when unparseable or not positive. */
export function parseCpu(v: number | string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number') return Number.isFinite(v) && v > 0 ? v : undefined;
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*(m?)\s*$/.exec(v);
  if (!m) return undefined;
  const cores = m[2] ? Number(m[1]) / 1000 : Number(m[1]);
  return cores > 0 ? cores : undefined;
}

/**
 * Bytes from a memory quantity: `256m` = `256mb` = `256Mi` = 256 × 1024², `256M` = `256MB` =
 * 256 × 10⁶ (units above). Whole bytes; undefined when unparseable.
 */
export function parseMemory(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]+)\s*$/.exec(v);
  if (!m) return undefined;
  const unit = MEMORY_UNITS[m[2]];
  return unit === undefined ? undefined : Math.round(Number(m[1]) * unit);
}

/** Seconds from a duration (`30s`, `5m`, `500ms`, `2h`, or a number of seconds). */
export function parseDuration(v: number | string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v : undefined;
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|h)?\s*$/.exec(v);
  if (!m) return undefined;
  const f = { ms: 0.001, s: 1, m: 60, h: 3600 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * f;
}

/** Milliseconds from a duration, for timers (`500ms` → 500, `30s` → 30000, `2` → 2000). */
export function parseDurationMs(v: number | string | undefined): number | undefined {
  const s = parseDuration(v);
  return s === undefined ? undefined : Math.round(s * 1000);
}

/** Bytes as a short human string for plans: 268435456 → `256Mi`, 500000000 → `500M`. */
export function formatBytes(bytes: number): string {
  const units: [string, number][] = [
    ['Gi', 1024 ** 3],
    ['G', 1e9],
    ['Mi', 1024 ** 2],
    ['M', 1e6],
    ['Ki', 1024],
    ['K', 1e3],
  ];
  for (const [u, f] of units) if (bytes >= f && bytes % f === 0) return `${bytes / f}${u}`;
  for (const [u, f] of units.filter(([u]) => u.endsWith('i'))) if (bytes >= f) return `${(bytes / f).toFixed(1)}${u}`;
  return `${bytes}`;
}
