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
  private readonly gauges: GaugeSource[] = [];

  addGauge(source: GaugeSource): void {
    this.gauges.push(source);
  }

  /** Records one routed request: a call count, an error count unless ok, and its latency. */
  observeCall(o: { runtime: string; kind: CallKind; name: string; outcome: CallOutcome; seconds: number }): void {
    const base = { runtime: o.runtime, kind: o.kind, name: o.name };
    bump(this.calls, { ...base, outcome: o.outcome });
    if (o.outcome !== 'ok') bump(this.errors, { ...base, reason: o.outcome });
    const key = labelKey(base);
    let s = this.latency.get(key);
    if (!s) {
      s = { labels: base, count: 0, sum: 0, buckets: BUCKETS.map(() => 0) };
      this.latency.set(key, s);
    }
    s.count++;
    s.sum += o.seconds;
    for (let i = 0; i < BUCKETS.length; i++) if (o.seconds <= BUCKETS[i]) s.buckets[i]++;
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
