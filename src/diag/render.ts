// Renders diagnostics for people (rustc-style: header, location, source line with a caret
// under the span, help lines) and for machines (a stable JSON shape). Every string that leaves
// here passes through redact(); renderers must never print a sensitive value.

import { readFileSync } from 'node:fs';
import { relative, isAbsolute } from 'node:path';
import type { Diagnostic, Severity } from './diagnostic.js';
import { redact } from './redact.js';

export interface RenderOptions {
  /** ANSI colours; default: only when stderr is a TTY and NO_COLOR is unset. */
  color?: boolean;
  /** Values to redact from every line of output. */
  sensitive?: Iterable<string>;
  /** Source text of a file; default reads it from disk (cached). */
  readSource?: (file: string) => string | undefined;
  /** File paths are shown relative to this directory when below it; default process.cwd(). */
  cwd?: string;
}

/** The JSON shape of one diagnostic (`--json`); fields are always present, null when unknown. */
export interface DiagnosticJson {
  severity: Severity;
  code: string;
  summary: string;
  detail: string | null;
  suggestion: string | null;
  file: string | null;
  line: number | null;
  col: number | null;
  endLine: number | null;
  endCol: number | null;
  pointer: string | null;
}

const ANSI = { red: '\x1b[31m', yellow: '\x1b[33m', blue: '\x1b[34m', cyan: '\x1b[36m', bold: '\x1b[1m', reset: '\x1b[0m' };

export function defaultColor(stream: NodeJS.WriteStream = process.stderr): boolean {
  if (process.env.NO_COLOR) return false;
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== '0') return true;
  return Boolean(stream.isTTY);
}

function displayPath(file: string, cwd: string): string {
  if (!isAbsolute(file)) return file;
  const rel = relative(cwd, file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

function cachedReader(): (file: string) => string | undefined {
  const cache = new Map<string, string | undefined>();
  return (file) => {
    if (!cache.has(file)) {
      try {
        cache.set(file, readFileSync(file, 'utf8'));
      } catch {
        cache.set(file, undefined);
      }
    }
    return cache.get(file);
  };
}

/** Renders one diagnostic as human text (several lines, ending with a newline). */
export function renderDiagnostic(d: Diagnostic, options: RenderOptions = {}): string {
  const color = options.color ?? false;
  const paint = (code: string, s: string): string => (color ? `${code}${s}${ANSI.reset}` : s);
  const read = options.readSource ?? cachedReader();
  const cwd = options.cwd ?? process.cwd();
  const sevColor = d.severity === 'error' ? ANSI.red : d.severity === 'warning' ? ANSI.yellow : ANSI.cyan;
  const lines: string[] = [];
  lines.push(`${paint(ANSI.bold + sevColor, `${d.severity}[${d.code}]`)}${paint(ANSI.bold, `: ${d.summary}`)}`);
  const r = d.range;
  let gutter = '  ';
  if (r) {
    const width = String(r.end.line).length;
    gutter = ' '.repeat(width + 1);
    lines.push(`${gutter.slice(1)}${paint(ANSI.blue, '-->')} ${displayPath(r.file, cwd)}:${r.start.line}:${r.start.col}`);
    const text = read(r.file);
    const srcLine = text?.split(/\r?\n/)[r.start.line - 1];
    if (srcLine !== undefined) {
      const bar = paint(ANSI.blue, '|');
      const shown = srcLine.replace(/\t/g, ' ');
      // The caret covers the span on its first line; multi-line spans run to the line's end.
      const startCol = Math.max(1, r.start.col);
      const endCol = r.end.line === r.start.line ? Math.max(r.end.col, startCol + 1) : shown.trimEnd().length + 1;
      const caretLen = Math.max(1, Math.min(endCol, shown.length + 2) - startCol);
      lines.push(`${gutter}${bar}`);
      lines.push(`${paint(ANSI.blue, String(r.start.line).padStart(width))} ${bar} ${shown}`);
      lines.push(`${gutter}${bar} ${' '.repeat(startCol - 1)}${paint(sevColor, '^'.repeat(caretLen))}`);
    }
  } else if (d.address) {
    lines.push(`  ${paint(ANSI.blue, '-->')} ${d.address}`);
  }
  const eq = `${gutter}${paint(ANSI.blue, '=')}`;
  if (d.suggestion !== undefined) lines.push(`${eq} help: did you mean "${d.suggestion}"?`);
  if (d.detail) lines.push(`${eq} help: ${d.detail}`);
  return redact(lines.join('\n') + '\n', options.sensitive);
}

/** Renders diagnostics followed by a one-line tally ("2 errors, 1 warning"), or '' for none. */
export function renderDiagnostics(diags: readonly Diagnostic[], options: RenderOptions = {}): string {
  if (diags.length === 0) return '';
  const read = options.readSource ?? cachedReader();
  const parts = diags.map((d) => renderDiagnostic(d, { ...options, readSource: read }));
  return parts.join('\n') + '\n' + tally(diags) + '\n';
}

export function tally(diags: readonly Diagnostic[]): string {
  const n = (s: Severity): number => diags.filter((d) => d.severity === s).length;
  const plural = (k: number, w: string): string => `${k} ${w}${k === 1 ? '' : 's'}`;
  const parts = [plural(n('error'), 'error'), plural(n('warning'), 'warning')];
  if (n('info') > 0) parts.push(plural(n('info'), 'note'));
  return parts.join(', ');
}

/** The stable JSON object of one diagnostic, redacted. */
export function diagnosticToJson(d: Diagnostic, sensitive?: Iterable<string>): DiagnosticJson {
  const s = sensitive ? [...sensitive] : [];
  const red = (v: string | undefined): string | null => (v === undefined ? null : redact(v, s));
  return {
    severity: d.severity,
    code: d.code,
    summary: redact(d.summary, s),
    detail: red(d.detail),
    suggestion: red(d.suggestion),
    file: d.range?.file ?? null,
    line: d.range?.start.line ?? null,
    col: d.range?.start.col ?? null,
    endLine: d.range?.end.line ?? null,
    endCol: d.range?.end.col ?? null,
    pointer: d.pointer ?? null,
  };
}

/** `--json` output: `{ "ok": bool, "diagnostics": [...] }`, pretty-printed, newline-terminated. */
export function renderJson(diags: readonly Diagnostic[], sensitive?: Iterable<string>): string {
  const ok = !diags.some((d) => d.severity === 'error');
  return JSON.stringify({ ok, diagnostics: diags.map((d) => diagnosticToJson(d, sensitive)) }, null, 2) + '\n';
}
