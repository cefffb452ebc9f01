// Parsing of the quantities users write in contextforge.yaml: cpu (cores), memory (bytes) and
// durations (milliseconds). Pure functions; invalid input returns undefined so that callers
// turn it into a diagnostic with the right source range.

const MEMORY_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
};

/**
 * Memory to bytes. Every unit is binary, as Docker reads them: `256m` and `256M` and `256Mi`
 * and `256mb` are all 256 MiB; `1g` = `1G` = `1Gi` = 1 GiB. A bare number is bytes.
 */
export function parseMemory(input: string | number | undefined): number | undefined {
  if (input === undefined) return undefined;
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? Math.round(input) : undefined;
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([kmgtb]?)(i?)(b?)\s*$/i.exec(input);
  if (!m) return undefined;
  const unit = m[2].toLowerCase();
  const factor = MEMORY_UNITS[unit];
  if (factor === undefined) return undefined;
  if (unit === 'b' && (m[3] || m[4])) return undefined;
  return Math.round(Number(m[1]) * factor);
}

/** CPU to cores: `0.5`, `2`, `"1.5"`, or millicores `"500m"`. */
export function parseCpu(input: string | number | undefined): number | undefined {
  if (input === undefined) return undefined;
  if (typeof input === 'number') return Number.isFinite(input) && input > 0 ? input : undefined;
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*(m?)\s*$/.exec(input);
  if (!m) return undefined;
  const n = Number(m[1]);
  const cores = m[2] ? n / 1000 : n;
  return cores > 0 ? cores : undefined;
}

/** Duration to milliseconds: a number of seconds, or `500ms`, `30s`, `5m`, `2h`. */
export function parseDuration(input: string | number | undefined): number | undefined {
  if (input === undefined) return undefined;
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? input * 1000 : undefined;
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|h)?\s*$/.exec(input);
  if (!m) return undefined;
  const n = Number(m[1]);
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(n * factor);
}

/** Bytes as a short human string for plans: 268435456 → `256Mi`. */
export function formatBytes(bytes: number): string {
  const units: [string, number][] = [['Gi', 1024 ** 3], ['Mi', 1024 ** 2], ['Ki', 1024]];
  for (const [u, f] of units) if (bytes >= f && bytes % f === 0) return `${bytes / f}${u}`;
  for (const [u, f] of units) if (bytes >= f) return `${(bytes / f).toFixed(1)}${u}`;
  return `${bytes}`;
}
