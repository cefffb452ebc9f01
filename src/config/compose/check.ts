// validate-time check of a catalog entry's compose source: reads the named file (or takes the
// inline YAML) and runs the subset check with diagnostics pointing at the offending line, in
// the compose file or inside contextforge.yaml. Used by the config loader; reads files only.

import type { Diagnostic } from '../../diag/diagnostic.js';
import { parseCompose } from './parse.js';
import { composeFromFile, composeInline } from './text.js';

export interface ComposeEntryInput {
  composeFile: string;
  mainService: string;
  /** The declaring file's path and text, and the offset of the compose_file value in it. */
  declaringFile: string;
  declaringText: string;
  valueOffset: number;
  /** Absolute path of a compose file named by path (already known to exist). */
  path?: string;
}

export function checkComposeEntry(input: ComposeEntryInput): Diagnostic[] {
  const src = input.path
    ? composeFromFile(input.path)
    : composeInline(input.composeFile, {
        fileText: input.declaringText,
        file: input.declaringFile,
        valueOffset: input.valueOffset,
      });
  return parseCompose(src, input.mainService).diags;
}
