// Diagnostic values: every expected failure in contextforge (bad config, unreachable daemon, API
// error) is one of these, never a thrown exception. This module owns the data shape only;
// rendering lives in render.ts and must never include secret values.

export type Severity = 'error' | 'warning' | 'info';

/** A 1-based line/column position plus the 0-based character offset in the file. */
export interface SourcePos {
  line: number;
  col: number;
  offset: number;
}

export interface SourceRange {
  file: string;
  start: SourcePos;
  end: SourcePos;
}

export interface Diagnostic {
  severity: Severity;
  /** Stable, dotted code, e.g. `schema.unknown-key`, `ref.unknown-backend`, `docker.unreachable`. */
  code: string;
  /** Short, sentence case, no trailing period. */
  summary: string;
  /** How to fix it, in a full sentence. */
  detail?: string;
  /** "did you mean …" suggestion (the suggested text only). */
  suggestion?: string;
  /** Where in the source the problem is. */
  range?: SourceRange;
  /** JSON pointer into the document the range came from, when known. */
  pointer?: string;
  /** The resource address the diagnostic is about, e.g. `runtime.search`. */
  address?: string;
  /** False when the source line must not be printed (binary or undecodable content). */
  showSource?: boolean;
}

/** The result of an operation that can fail with expected errors. */
export interface Result<T> {
  value?: T;
  diags: Diagnostic[];
}

export function hasErrors(diags: readonly Diagnostic[]): boolean {
  return diags.some((d) => d.severity === 'error');
}

export function error(code: string, summary: string, extra: Partial<Diagnostic> = {}): Diagnostic {
  return { severity: 'error', code, summary, ...extra };
}

export function warning(code: string, summary: string, extra: Partial<Diagnostic> = {}): Diagnostic {
  return { severity: 'warning', code, summary, ...extra };
}
