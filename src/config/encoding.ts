// Decodes the bytes of a config file as UTF-8, strictly: UTF-16/UTF-32 (by byte order mark or
// by the NUL pattern of ASCII text), NUL bytes and invalid UTF-8 are diagnostics with the byte
// offset, never replaced silently. Pure: it gets the bytes, it does not read files.

import { error, type Diagnostic } from '../diag/diagnostic.js';

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function at(file: string, bytes: Uint8Array, offset: number): Diagnostic['range'] {
  // Line and column of the byte, counted over the valid prefix.
  const prefix = Buffer.from(bytes.subarray(0, offset)).toString('utf8');
  const line = prefix.split('\n').length;
  const col = prefix.length - prefix.lastIndexOf('\n');
  const pos = { line, col, offset: prefix.length };
  return { file, start: pos, end: { ...pos, col: col + 1, offset: pos.offset + 1 } };
}

/** The kind of wide encoding a byte order mark or NUL pattern reveals, if any. */
function wideEncoding(b: Uint8Array): string | undefined {
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xfe && b[2] === 0 && b[3] === 0) return 'UTF-32LE';
  if (b.length >= 4 && b[0] === 0 && b[1] === 0 && b[2] === 0xfe && b[3] === 0xff) return 'UTF-32BE';
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) return 'UTF-16LE';
  if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) return 'UTF-16BE';
  // ASCII text saved as UTF-16 without a mark has a NUL in every other byte.
  const n = Math.min(b.length, 64) & ~1;
  if (n < 4) return undefined;
  let even = 0;
  let odd = 0;
  for (let i = 0; i < n; i++) {
    if (b[i] !== 0) continue;
    if (i % 2 === 0) even++;
    else odd++;
  }
  if (odd >= n / 2 - 1 && even === 0) return 'UTF-16LE';
  if (even >= n / 2 - 1 && odd === 0) return 'UTF-16BE';
  return undefined;
}

/** The file's text, or an `encoding.*` diagnostic saying where the bytes stop being UTF-8. */
export function decodeUtf8(
  bytes: Uint8Array,
  file: string,
): { text: string; diag?: undefined } | { text?: undefined; diag: Diagnostic } {
  const wide = wideEncoding(bytes);
  if (wide) {
    return {
      diag: error('encoding.utf16', `the file is encoded as ${wide}, not UTF-8`, {
        range: at(file, bytes, 0),
        detail: 'Save the file as UTF-8 (most editors offer this under "Save with encoding").',
        showSource: false,
      }),
    };
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    return {
      diag: error('encoding.nul', `the file contains a NUL byte at byte ${nul}`, {
        range: at(file, bytes, nul),
        detail: 'A config is text: remove the NUL byte, or check that the path names a YAML file and not a binary one.',
        showSource: false,
      }),
    };
  }
  try {
    return { text: strict.decode(bytes) };
  } catch {
    const offset = firstInvalidByte(bytes);
    return {
      diag: error('encoding.invalid-utf8', `invalid UTF-8 at byte ${offset}`, {
        range: at(file, bytes, offset),
        detail: 'The file must be UTF-8: re-save it as UTF-8, or replace the character at this position.',
        showSource: false,
      }),
    };
  }
}

/**
 * Byte offset of the first invalid sequence. The lenient decoder marks it with U+FFFD; a real
 * U+FFFD in the file is told apart by its own bytes (EF BF BD) at the computed offset.
 */
function firstInvalidByte(bytes: Uint8Array): number {
  const text = Buffer.from(bytes).toString('utf8');
  let from = 0;
  for (;;) {
    const i = text.indexOf('\ufffd', from);
    if (i < 0) return 0;
    const offset = Buffer.byteLength(text.slice(0, i), 'utf8');
    if (!(bytes[offset] === 0xef && bytes[offset + 1] === 0xbf && bytes[offset + 2] === 0xbd)) return offset;
    from = i + 1;
  }
}
