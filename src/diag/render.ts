// Renders diagnostics for people (rustc-style: header, location, source line with a caret
// under the span, help lines) and for machines (a stable JSON shape). Every string that leaves
// here passes through redact(); renderers must never print a sensitive value.

import { readFileSync } from 'node:fs';
import { relative, isAbsolute } from 'node:path';
import type { Diagnostic, Severity } from './diagnostic.js';
import { parse as parseYamlScalar } from '../vendor/yaml.js';
import { containsSecret, controlName, escapeControl, redact, REDACTED, secrets } from './redact.js';

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

const ANSI = {
  red: '\x1b[31m',
  yellow: '\x1b[33m',
  blue: '\x1b[34m',
  cyan: '\x1b[36m',
  bold: '\x1b[1m',
  reset: '\x1b[0m',
};

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

/**
 * A file's text with its line starts, built once per file per rendering (not per diagnostic),
 * and each source line as printed, built once per line: a line holding thousands of
 * diagnostics (a 30 KB flow mapping) is scanned for secrets and escaped once, not per caret.
 */
interface SourceIndex {
  text: string;
  starts: number[];
  shown: Map<number, ShownLine>;
}

function indexSource(text: string): SourceIndex {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return { text, starts, shown: new Map() };
}

function lineOf(src: SourceIndex, line: number): string | undefined {
  if (line < 1 || line > src.starts.length) return undefined;
  const end = line < src.starts.length ? src.starts[line] - 1 : src.text.length;
  const s = src.text.slice(src.starts[line - 1], end);
  return s.endsWith('\r') ? s.slice(0, -1) : s;
}

type Indexer = (file: string) => SourceIndex | undefined;

function cachedIndexer(read?: (file: string) => string | undefined): Indexer {
  const cache = new Map<string, SourceIndex | undefined>();
  return (file) => {
    if (!cache.has(file)) {
      let text: string | undefined;
      try {
        text = read ? read(file) : readFileSync(file, 'utf8');
      } catch {
        text = undefined;
      }
      cache.set(file, text === undefined ? undefined : indexSource(text));
    }
    return cache.get(file);
  };
}

/** At most this many characters of a source line are shown, in a window around the caret. */
export const EXCERPT_WIDTH = 120;

/** A source line as printed plus, per source column (0-based), the printed column. */
interface ShownLine {
  text: string;
  cols: number[];
}

/** True when a line holds a secret in any spelling, including inside an escaped quoted scalar. */
function lineLeaks(line: string, sensitive: Iterable<string> | undefined): boolean {
  if (containsSecret(line, sensitive)) return true;
  let n = 0;
  for (const m of line.matchAll(/"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'/g)) {
    if (++n > 200) break;
    if (!m[0].includes('\\') && !m[0].includes("''")) continue;
    let decoded: unknown;
    try {
      decoded = parseYamlScalar(m[0]);
    } catch {
      continue;
    }
    if (typeof decoded === 'string' && containsSecret(decoded, sensitive)) return true;
  }
  return false;
}

/**
 * Prints one source line: control characters escaped, tabs as one space, and a masked line cut
 * after its key (`api_key: (sensitive)`); `cols` keeps carets under the same source text.
 */
function showLine(line: string, masked: boolean): ShownLine {
  let cut = line.length;
  if (masked) {
    // Indentation, list dashes and the key stay; everything after the key goes.
    const key =
      /^\s*(?:-\s+)*(?:(?:export\s+)?(?:"[^"\\]{0,200}"|'[^']{0,200}'|[^\s:="'{}[\],#]{1,200})\s*(?::(?=\s|$)|=))?/.exec(
        line,
      )![0];
    cut = containsSecret(key) ? /^\s*/.exec(line)![0].length : key.length;
  }
  let text = '';
  const cols: number[] = [];
  for (let i = 0; i < cut; i++) {
    cols.push(text.length);
    const c = line[i];
    text +=
      c === '\t'
        ? ' '
        : /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/.test(c)
          ? controlName(c)
          : c;
  }
  if (masked) {
    text += `${text.endsWith(':') ? ' ' : ''}${REDACTED}`;
    const at = text.length - REDACTED.length;
    while (cols.length <= line.length) cols.push(at);
  }
  cols.push(text.length);
  return { text, cols };
}

/** Cuts a long printed line to EXCERPT_WIDTH around [start, end), marking cuts with "…". */
function elide(text: string, start: number, end: number): { text: string; start: number; end: number } {
  if (text.length <= EXCERPT_WIDTH) return { text, start, end };
  let from = Math.max(0, start - Math.floor(EXCERPT_WIDTH / 3));
  from = Math.min(from, Math.max(0, text.length - EXCERPT_WIDTH));
  const to = Math.min(text.length, from + EXCERPT_WIDTH);
  const lead = from > 0 ? '…' : '';
  const shown = `${lead}${text.slice(from, to)}${to < text.length ? '…' : ''}`;
  const s = Math.min(start, to) - from + lead.length;
  const e = Math.min(end, to) - from + lead.length;
  return { text: shown, start: s, end: e };
}

/** Longest summary, detail or path printed; longer ones (a 1 MB key) are cut in the middle. */
export const MESSAGE_WIDTH = 400;

/** Shortens a long message, keeping its start and end (redact first: a cut secret is unknown). */
export function clip(text: string, width = MESSAGE_WIDTH): string {
  if (text.length <= width) return text;
  const half = Math.floor((width - 1) / 2);
  return `${text.slice(0, half)}…${text.slice(text.length - half)}`;
}

/** Text for one line of the report: secrets redacted, control characters escaped, clipped. */
function clean(text: string, sensitive: Iterable<string> | undefined): string {
  return clip(escapeControl(redact(text, sensitive), true));
}

/** Renders one diagnostic as human text (several lines, ending with a newline). */
export function renderDiagnostic(d: Diagnostic, options: RenderOptions & { index?: Indexer } = {}): string {
  const color = options.color ?? false;
  const paint = (code: string, s: string): string => (color ? `${code}${s}${ANSI.reset}` : s);
  const index = options.index ?? cachedIndexer(options.readSource);
  const cwd = options.cwd ?? process.cwd();
  const sensitive = options.sensitive;
  const sevColor = d.severity === 'error' ? ANSI.red : d.severity === 'warning' ? ANSI.yellow : ANSI.cyan;
  const lines: string[] = [];
  lines.push(
    `${paint(ANSI.bold + sevColor, `${d.severity}[${clean(d.code, sensitive)}]`)}${paint(ANSI.bold, `: ${clean(d.summary, sensitive)}`)}`,
  );
  const r = d.range;
  let gutter = '  ';
  if (r) {
    const width = String(r.end.line).length;
    gutter = ' '.repeat(width + 1);
    lines.push(
      `${gutter.slice(1)}${paint(ANSI.blue, '-->')} ${clean(displayPath(r.file, cwd), sensitive)}:${r.start.line}:${r.start.col}`,
    );
    const src = d.showSource === false ? undefined : index(r.file);
    const srcLine = src ? lineOf(src, r.start.line) : undefined;
    if (srcLine !== undefined) {
      const bar = paint(ANSI.blue, '|');
      let shown = src!.shown.get(r.start.line);
      if (!shown) {
        const masked = secrets.isMasked(r.file, r.start.line) || lineLeaks(srcLine, sensitive);
        shown = showLine(srcLine, masked);
        src!.shown.set(r.start.line, shown);
      }
      // The caret covers the span on its first line; multi-line spans run to the line's end.
      const startCol = Math.min(Math.max(1, r.start.col), srcLine.length + 1);
      const endCol = r.end.line === r.start.line ? Math.max(r.end.col, startCol + 1) : srcLine.trimEnd().length + 1;
      const from = shown.cols[startCol - 1];
      const to = Math.max(
        from + 1,
        Math.min(shown.cols[Math.min(endCol - 1, srcLine.length)] ?? shown.text.length, shown.text.length + 1),
      );
      const cut = elide(shown.text, from, to);
      lines.push(`${gutter}${bar}`);
      lines.push(`${paint(ANSI.blue, String(r.start.line).padStart(width))} ${bar} ${cut.text}`);
      lines.push(
        `${gutter}${bar} ${' '.repeat(cut.start)}${paint(sevColor, '^'.repeat(Math.max(1, cut.end - cut.start)))}`,
      );
    }
  } else if (d.address) {
    lines.push(`  ${paint(ANSI.blue, '-->')} ${clean(d.address, sensitive)}`);
  }
  const eq = `${gutter}${paint(ANSI.blue, '=')}`;
  if (d.suggestion !== undefined) lines.push(`${eq} help: did you mean "${clean(d.suggestion, sensitive)}"?`);
  if (d.detail) lines.push(`${eq} help: ${clean(d.detail, sensitive)}`);
  return redact(lines.join('\n') + '\n', sensitive);
}

/** Renders diagnostics followed by a one-line tally ("2 errors, 1 warning"), or '' for none. */
export function renderDiagnostics(diags: readonly Diagnostic[], options: RenderOptions = {}): string {
  if (diags.length === 0) return '';
  const index = cachedIndexer(options.readSource);
  const parts = diags.map((d) => renderDiagnostic(d, { ...options, index }));
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
  const red = (v: string | undefined): string | null =>
    v === undefined ? null : clip(redact(v, sensitive), 4 * MESSAGE_WIDTH);
  return {
    severity: d.severity,
    code: red(d.code)!,
    summary: red(d.summary)!,
    detail: red(d.detail),
    suggestion: red(d.suggestion),
    file: red(d.range?.file),
    line: d.range?.start.line ?? null,
    col: d.range?.start.col ?? null,
    endLine: d.range?.end.line ?? null,
    endCol: d.range?.end.col ?? null,
    pointer: red(d.pointer),
  };
}

/** `--json` output: `{ "ok": bool, "diagnostics": [...] }`, pretty-printed, newline-terminated. */
export function renderJson(diags: readonly Diagnostic[], sensitive?: Iterable<string>): string {
  const ok = !diags.some((d) => d.severity === 'error');
  // JSON.stringify leaves C1 controls and line separators raw; a terminal would act on them.
  const json = JSON.stringify({ ok, diagnostics: diags.map((d) => diagnosticToJson(d, sensitive)) }, null, 2);
  return json.replace(/[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, controlName) + '\n';
}
