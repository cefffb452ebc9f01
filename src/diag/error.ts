// The one error that carries diagnostics: thrown where an expected failure must unwind several
// frames at once (a callback inside a client's retry loop, a lookup deep in a backend), and
// turned back into diagnostics by whoever catches it. Everything else returns `{ value, diags }`.

import type { Diagnostic } from './diagnostic.js';

export class DiagnosticError extends Error {
  readonly diags: Diagnostic[];

  constructor(diags: Diagnostic | readonly Diagnostic[]) {
    const list = Array.isArray(diags) ? [...(diags as readonly Diagnostic[])] : [diags as Diagnostic];
    super(list[0]?.summary ?? 'failed');
    this.name = 'DiagnosticError';
    this.diags = list;
  }
}

/** The diagnostics an error carries, or undefined for any other error (a bug, an I/O error). */
export function diagsOf(err: unknown): Diagnostic[] | undefined {
  return err instanceof DiagnosticError ? err.diags : undefined;
}

/** Errors of the filesystem (and other system calls) carry an errno code such as EACCES. */
export function systemErrorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}
