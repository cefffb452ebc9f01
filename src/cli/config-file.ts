// Shared by the config verbs: which contextforge.yaml a command reads (-f, else ./contextforge.yaml)
// and how diagnostics reach the terminal (human text on stderr, or JSON on stdout).

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Diagnostic } from '../diag/diagnostic.js';
import { defaultColor, renderDiagnostics, renderJson } from '../diag/render.js';
import { summarizeUnenforced } from '../config/index.js';

export const DEFAULT_CONFIG = 'contextforge.yaml';

/** The config path to use: the -f value, else ./contextforge.yaml when it exists (optional verbs). */
export function configPath(file: string | undefined, required: boolean): string | undefined {
  if (file) return resolve(file);
  const p = resolve(DEFAULT_CONFIG);
  return required || existsSync(p) ? p : undefined;
}

/** Prints diagnostics to stderr for people (with colour on a TTY). */
export function printDiagnostics(diags: readonly Diagnostic[], sensitive: Iterable<string>): void {
  // A runtime's unenforced controls read as one warning, not one per control.
  const text = renderDiagnostics(summarizeUnenforced(diags), { color: defaultColor(process.stderr), sensitive });
  if (text) process.stderr.write(text);
}

export function printJson(diags: readonly Diagnostic[], sensitive: Iterable<string>): void {
  process.stdout.write(renderJson(diags, sensitive));
}
