// Parses a `.env` file beside the config: KEY=VALUE lines, optional `export `, full-line and
// trailing comments, single quotes (literal), double quotes (\n \t \" \\ escapes). Malformed
// lines are warnings; the file never aborts loading. No variable expansion inside .env values.

import { warning, type Diagnostic } from '../diag/diagnostic.js';

export interface DotEnv {
  values: Record<string, string>;
  diags: Diagnostic[];
}

const LINE = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/;

export function parseDotEnv(text: string, file: string): DotEnv {
  const values: Record<string, string> = {};
  const diags: Diagnostic[] = [];
  const lines = text.split(/\r?\n/);
  let offset = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const lineOffset = offset;
    offset += raw.length + 1;
    if (/^\s*(#.*)?$/.test(raw)) continue;
    const m = LINE.exec(raw);
    const at = {
      file,
      start: { line: i + 1, col: 1, offset: lineOffset },
      end: { line: i + 1, col: raw.length + 1, offset: lineOffset + raw.length },
    };
    if (!m) {
      diags.push(
        warning('dotenv.syntax', 'line ignored: not KEY=VALUE', {
          range: at,
          detail: 'Write each variable as KEY=VALUE; lines starting with # are comments.',
        }),
      );
      continue;
    }
    const [, key, rest] = m;
    const value = parseValue(rest);
    if (value === undefined) {
      diags.push(
        warning('dotenv.unterminated-quote', `value of ${key} has an unterminated quote`, {
          range: at,
          detail: 'Close the quote on the same line.',
        }),
      );
      continue;
    }
    values[key] = value;
  }
  return { values, diags };
}

function parseValue(rest: string): string | undefined {
  const s = rest.trim();
  if (s.startsWith("'")) {
    const end = s.indexOf("'", 1);
    return end < 0 ? undefined : s.slice(1, end);
  }
  if (s.startsWith('"')) {
    let out = '';
    for (let i = 1; i < s.length; i++) {
      const c = s[i];
      if (c === '\\' && i + 1 < s.length) {
        const n = s[++i];
        out += n === 'n' ? '\n' : n === 't' ? '\t' : n === 'r' ? '\r' : n;
      } else if (c === '"') {
        return out;
      } else {
        out += c;
      }
    }
    return undefined;
  }
  // Unquoted: a `#` preceded by whitespace starts a comment.
  const hash = s.search(/\s#/);
  return (hash >= 0 ? s.slice(0, hash) : s).trim();
}
