// Prometheus metrics for the gateway, written in the text exposition format (version 0.0.4).
// Owns counters and latency histograms per runtime and tool; gauges are read from live
// objects at scrape time. It must not record argument values or anything secret.

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export type CallKind = 'tool' | 'prompt' | 'resource';
export type CallOutcome = 'ok' | 'error' | 'timeout' | 'unavailable' | 'cancelled';
/** Why the HTTP gateway turned a request away before it reached MCP. */
export type RejectReason = 'origin' | 'host' | 'auth' | 'session-limit' | 'body-timeout';

interface Series {
  labels: Record<string, string>;
  count: number;
  sum: number;
  buckets: number[];
}

type Counter = { labels: Record<string, string>; value: number };

/** Cached references into the counter maps for one (runtime, kind, name). */
interface CallEntry {
  base: Record<string, string>;
  calls: Partial<Record<CallOutcome, Counter>>;
  errors: Partial<Record<CallOutcome, Counter>>;
  latency: Series;
}

export interface GaugeSample {
  labels: Record<string, string>;
  value: number;
}

export interface GaugeSource {
  name: string;
  help: string;
  collect(): GaugeSample[];
}

export class GatewayMetrics {
  private readonly calls = new Map<string, { labels: Record<string, string>; value: number }>();
  private readonly errors = new Map<string, { labels: Record<string, string>; value: number }>();
  private readonly rejected = new Map<string, { labels: Record<string, string>; value: number }>();
  private readonly latency = new Map<string, Series>();
  private readonly entries = new Map<string, Map<CallKind, Map<string, CallEntry>>>();
  private readonly gauges: GaugeSource[] = [];

  addGauge(source: GaugeSource): void {
    this.gauges.push(source);
  }

  /** Records one routed request: a call count, an error count unless ok, and its latency. */
  observeCall(o: { runtime: string; kind: CallKind; name: string; outcome: CallOutcome; seconds: number }): void {
    const e = this.entry(o.runtime, o.kind, o.name);
    (e.calls[o.outcome] ??= counter(this.calls, { ...e.base, outcome: o.outcome })).value++;
    if (o.outcome !== 'ok') (e.errors[o.outcome] ??= counter(this.errors, { ...e.base, reason: o.outcome })).value++;
    const s = e.latency;
    s.count++;
    s.sum += o.seconds;
    for (let i = 0; i < BUCKETS.length; i++) if (o.seconds <= BUCKETS[i]) s.buckets[i]++;
  }

  /**
   * The series of one (runtime, kind, name), found by nested lookups so that a call after the
   * first allocates nothing (no label objects, no keys built).
   */
  private entry(runtime: string, kind: CallKind, name: string): CallEntry {
    let byKind = this.entries.get(runtime);
    if (!byKind) this.entries.set(runtime, (byKind = new Map()));
    let byName = byKind.get(kind);
    if (!byName) byKind.set(kind, (byName = new Map()));
    let e = byName.get(name);
    if (!e) {
      const base = { runtime, kind, name };
      const key = labelKey(base);
      let latency = this.latency.get(key);
      if (!latency)
        this.latency.set(key, (latency = { labels: base, count: 0, sum: 0, buckets: BUCKETS.map(() => 0) }));
      e = { base, calls: {}, errors: {}, latency };
      byName.set(name, e);
    }
    return e;
  }

  /** Counts one request refused at the door (bad Origin or Host, no auth, session cap, stalled body). */
  observeRejection(reason: RejectReason): void {
    bump(this.rejected, { reason });
  }

  render(): string {
    const out: string[] = [];
    header(
      out,
      'contextforge_gateway_rejected_requests_total',
      'counter',
      'HTTP requests refused before reaching MCP, by reason.',
    );
    for (const c of this.rejected.values())
      out.push(`contextforge_gateway_rejected_requests_total${fmt(c.labels)} ${c.value}`);
    header(
      out,
      'contextforge_gateway_calls_total',
      'counter',
      'Requests routed to upstreams, by runtime, kind, name and outcome.',
    );
    for (const c of this.calls.values()) out.push(`contextforge_gateway_calls_total${fmt(c.labels)} ${c.value}`);
    header(
      out,
      'contextforge_gateway_call_errors_total',
      'counter',
      'Routed requests that did not succeed, by reason.',
    );
    for (const c of this.errors.values()) out.push(`contextforge_gateway_call_errors_total${fmt(c.labels)} ${c.value}`);
    const h = 'contextforge_gateway_call_duration_seconds';
    header(out, h, 'histogram', 'Latency of routed requests, including queue wait.');
    for (const s of this.latency.values()) {
      BUCKETS.forEach((le, i) => out.push(`${h}_bucket${fmt({ ...s.labels, le: String(le) })} ${s.buckets[i]}`));
      out.push(`${h}_bucket${fmt({ ...s.labels, le: '+Inf' })} ${s.count}`);
      out.push(`${h}_sum${fmt(s.labels)} ${s.sum}`);
      out.push(`${h}_count${fmt(s.labels)} ${s.count}`);
    }
    for (const g of this.gauges) {
      header(out, g.name, 'gauge', g.help);
      for (const sample of g.collect()) out.push(`${g.name}${fmt(sample.labels)} ${sample.value}`);
    }
    return `${out.join('\n')}\n`;
  }
}

function bump(
  map: Map<string, { labels: Record<string, string>; value: number }>,
  labels: Record<string, string>,
): void {
  const key = labelKey(labels);
  const cur = map.get(key);
  if (cur) cur.value++;
  else map.set(key, { labels, value: 1 });
}

/** The counter for `labels` in `map`, created at 0 when new. */
function counter(map: Map<string, Counter>, labels: Record<string, string>): Counter {
  const key = labelKey(labels);
  let c = map.get(key);
  if (!c) map.set(key, (c = { labels, value: 0 }));
  return c;
}

function labelKey(labels: Record<string, string>): string {
  return JSON.stringify(labels);
}

function header(out: string[], name: string, type: string, help: string): void {
  out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
}

function fmt(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}
