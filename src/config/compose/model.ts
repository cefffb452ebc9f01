// The supported subset of the Compose file format, as contextforge normalizes it: what the
// Docker backend runs for a compose source. Pure data and small value parsers; no I/O.

export type DependsCondition = 'service_started' | 'service_healthy';

export interface ComposePort {
  container: number;
  /** Fixed host port; undefined lets Docker pick one. */
  host?: number;
  /** Host address; undefined means the backend's publish_host (127.0.0.1 by default). */
  hostIp?: string;
}

export interface ComposeHealthcheck {
  /** Docker's form: ["CMD", ...], ["CMD-SHELL", "..."] or ["NONE"]. */
  test: string[];
  intervalMs?: number;
  timeoutMs?: number;
  retries?: number;
  startPeriodMs?: number;
}

export interface ComposeVolumeMount {
  /** A named volume of the file's top-level `volumes:`. */
  source: string;
  target: string;
  readOnly: boolean;
}

export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string; args: Record<string, string> };
  command?: string[];
  entrypoint?: string[];
  environment: Record<string, string>;
  ports: ComposePort[];
  dependsOn: Record<string, DependsCondition>;
  healthcheck?: ComposeHealthcheck;
  volumes: ComposeVolumeMount[];
  /** Networks of the file the service joins (the stack network is always joined). */
  networks: string[];
}

export interface ComposeModel {
  services: Record<string, ComposeService>;
  volumes: string[];
  networks: string[];
}

/** Compose durations: `1m30s`, `10s`, `500ms`, `1h`; a bare number means seconds. */
export function parseComposeDuration(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v * 1000 : undefined;
  if (typeof v !== 'string' || !/^\s*(\d+(\.\d+)?(us|ms|s|m|h))+\s*$/.test(v)) return undefined;
  const unit: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  for (const m of v.matchAll(/(\d+(?:\.\d+)?)(us|ms|s|m|h)/g)) total += Number(m[1]) * unit[m[2]];
  return Math.round(total);
}

/** Splits a command string the way Compose does: whitespace-separated, with quotes kept together. */
export function splitCommand(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: '"' | "'" | undefined;
  let has = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < s.length) cur += s[++i];
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      has = true;
    } else if (/\s/.test(ch)) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else if (ch === '\\' && i + 1 < s.length) {
      cur += s[++i];
      has = true;
    } else {
      cur += ch;
      has = true;
    }
  }
  if (has || cur) out.push(cur);
  return out;
}

/** Services in start order: every service after what it depends on; undefined on a cycle. */
export function startOrder(model: ComposeModel): string[] | undefined {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string): boolean => {
    const s = state.get(name);
    if (s === 'done') return true;
    if (s === 'visiting') return false;
    state.set(name, 'visiting');
    for (const dep of Object.keys(model.services[name]?.dependsOn ?? {}).sort())
      if (model.services[dep] && !visit(dep)) return false;
    state.set(name, 'done');
    order.push(name);
    return true;
  };
  for (const name of Object.keys(model.services).sort()) if (!visit(name)) return undefined;
  return order;
}
