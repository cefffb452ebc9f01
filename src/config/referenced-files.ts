// Checks the files a validated config names beyond its includes: compose files given by path
// (confined, then the supported-subset check) and seccomp profiles given by path (confined,
// JSON). Each problem points at the key that names the file. Reads files only through confine.ts.

import { dirname, resolve } from 'node:path';
import { error, type Diagnostic } from '../diag/diagnostic.js';
import { checkComposeEntry } from './compose/check.js';
import { readConfined, type Confinement } from './confine.js';
import { rangeOf, type EntryRecord, type ProfileRecord } from './records.js';
import { decodeSource } from './source-file.js';

/** Seccomp values that name Docker's own settings rather than a file. */
const SECCOMP_KEYWORDS = new Set(['runtime/default', 'unconfined']);

export interface ReferencedFilesInput {
  entries: Iterable<EntryRecord>;
  profiles: Iterable<ProfileRecord>;
  /** The config's directory: seccomp paths are relative to it (as the Docker backend reads them). */
  dir: string;
  confinement: Confinement;
}

/** Diagnostics, and the files that were read (for `watch`). */
export function checkReferencedFiles(input: ReferencedFilesInput): { diags: Diagnostic[]; files: string[] } {
  const diags: Diagnostic[] = [];
  const files: string[] = [];
  for (const r of input.entries) {
    const s = r.entry.source;
    if (s.type !== 'compose') continue;
    const at = rangeOf(r, ['source', 'compose_file']);
    // Inline compose YAML is checked in place; it names no file.
    if (s.compose_file.includes('\n')) {
      if (!r.builtin)
        diags.push(
          ...checkComposeEntry({
            composeFile: s.compose_file,
            mainService: s.main_service,
            declaringFile: r.parsed.file,
            declaringText: r.parsed.text,
            valueOffset: at.start.offset,
          }),
        );
      continue;
    }
    const path = resolve(dirname(r.parsed.file), s.compose_file);
    // Shipped entries are ours and are not checked again on every load.
    if (r.builtin) {
      files.push(path);
      continue;
    }
    const read = readConfined(path, input.confinement, { what: 'compose file', at });
    if (read.ok) {
      files.push(path);
      diags.push(
        ...checkComposeEntry({
          composeFile: s.compose_file,
          mainService: s.main_service,
          declaringFile: r.parsed.file,
          declaringText: r.parsed.text,
          valueOffset: at.start.offset,
          path,
        }),
      );
    } else if (read.reason === 'missing') {
      diags.push(
        error('compose.file-not-found', `compose file not found: ${s.compose_file}`, {
          range: at,
          detail:
            'The path is relative to the file that declares the entry; fix it or inline the compose YAML with `|`.',
        }),
      );
    } else diags.push(read.diag);
  }
  for (const p of input.profiles) {
    const sc = p.profile.seccomp;
    if (p.builtin || sc === undefined || SECCOMP_KEYWORDS.has(sc)) continue;
    const at = rangeOf(p, ['seccomp']);
    const path = resolve(input.dir, sc);
    const read = readConfined(path, input.confinement, { what: 'seccomp profile', at });
    if (!read.ok) {
      diags.push(read.diag);
      continue;
    }
    files.push(path);
    try {
      JSON.parse(decodeSource(read.bytes));
    } catch {
      diags.push(
        error('seccomp.invalid-json', `seccomp profile ${sc} is not valid JSON`, {
          range: at,
          detail:
            "A seccomp profile is a JSON file (see Docker's default profile); fix the file or use runtime/default.",
        }),
      );
    }
  }
  return { diags, files };
}
