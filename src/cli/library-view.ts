// Shared by `catalog` and `profiles`: loads the library (a config's, or the shipped one),
// prints diagnostics on failure, and formats simple aligned tables.

import { loadLibrary, type Library } from '../config/index.js';
import { hasErrors } from '../diag/diagnostic.js';
import { redact } from '../diag/redact.js';
import { configPath, printDiagnostics } from './config-file.js';

let sensitive: Set<string> = new Set();

export function openLibrary(file: string | undefined, warn?: (code: string) => boolean): Library | undefined {
  const r = loadLibrary(configPath(file, false));
  sensitive = r.sensitiveValues;
  if (hasErrors(r.diags) || !r.value) {
    printDiagnostics(r.diags, r.sensitiveValues);
    return undefined;
  }
  // Warnings the verb asks for (e.g. a catalog source never synced) go to stderr.
  if (warn)
    printDiagnostics(
      r.diags.filter((d) => warn(d.code)),
      r.sensitiveValues,
    );
  return r.value;
}

/** Writes to stdout with the loaded config's sensitive values redacted (e.g. secret defaults). */
export function out(text: string): void {
  process.stdout.write(redact(text, sensitive));
}

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function table(rows: string[][]): string {
  if (rows.length === 0) return '';
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return (
    rows
      .map((r) =>
        r
          .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i])))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}
