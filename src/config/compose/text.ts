// Where a compose file's text comes from and how its offsets map back to a file position: a
// file of its own (positions in that file), or YAML inlined into contextforge.yaml under a
// block scalar (positions inside the config, shifted by the block's indentation).

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { SourcePos, SourceRange } from '../../diag/diagnostic.js';
import type { ComposeText } from './parse.js';

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return starts;
}

/** A position finder for `text` (1-based line/col, like the config loader's). */
export function positionsOf(text: string): (offset: number) => SourcePos {
  const starts = lineStarts(text);
  return (offset: number): SourcePos => {
    const o = Math.max(0, Math.min(offset, text.length));
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: o - starts[lo] + 1, offset: o };
  };
}

/** Compose text read from its own file. Throws when the file cannot be read (callers check). */
export function composeFromFile(path: string): ComposeText {
  const text = readFileSync(path, 'utf8');
  const pos = positionsOf(text);
  return { text, file: path, toRange: (s, e) => ({ file: path, start: pos(s), end: pos(Math.max(s, e)) }) };
}

export interface InlineLocation {
  /** Full text of the declaring file. */
  fileText: string;
  file: string;
  /** Offset of the compose_file value node (the `|` of a block scalar) in the declaring file. */
  valueOffset: number;
}

/** Compose text inlined as a block scalar; offsets map into the declaring file. */
export function composeInline(content: string, loc: InlineLocation): ComposeText {
  const pos = positionsOf(loc.fileText);
  const isBlock = /^[|>]/.test(loc.fileText.slice(loc.valueOffset, loc.valueOffset + 1));
  const firstLine = loc.fileText.indexOf('\n', loc.valueOffset) + 1;
  let indent = 0;
  const fileLineStarts: number[] = [];
  if (isBlock && firstLine > 0) {
    let p = firstLine;
    while (p < loc.fileText.length) {
      fileLineStarts.push(p);
      const nl = loc.fileText.indexOf('\n', p);
      if (nl < 0) break;
      p = nl + 1;
    }
    const firstNonEmpty = fileLineStarts.find(
      (s) =>
        loc.fileText.slice(s, loc.fileText.indexOf('\n', s) < 0 ? undefined : loc.fileText.indexOf('\n', s)).trim() !==
        '',
    );
    if (firstNonEmpty !== undefined) indent = /^ */.exec(loc.fileText.slice(firstNonEmpty))![0].length;
  }
  const contentStarts = lineStarts(content);
  const map = (offset: number): number => {
    if (!isBlock || fileLineStarts.length === 0) return loc.valueOffset;
    let k = 0;
    while (k + 1 < contentStarts.length && contentStarts[k + 1] <= offset) k++;
    const col = offset - contentStarts[k];
    const start = fileLineStarts[Math.min(k, fileLineStarts.length - 1)];
    return Math.min(start + indent + col, loc.fileText.length);
  };
  return {
    text: content,
    file: loc.file,
    toRange: (s, e): SourceRange => ({ file: loc.file, start: pos(map(s)), end: pos(Math.max(map(s), map(e))) }),
  };
}

/** The compose text of a source: inline YAML (contains a newline) or a path relative to baseDir. */
export function composeTextOf(source: { composeFile: string; inline: boolean; baseDir: string }): {
  text: string;
  path?: string;
} {
  if (source.inline) return { text: source.composeFile };
  const path = resolve(source.baseDir, source.composeFile);
  return { text: readFileSync(path, 'utf8'), path };
}
