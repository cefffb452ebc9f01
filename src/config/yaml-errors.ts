// Turns the `yaml` library's syntax errors into diagnostics in the project's words: unclosed
// quotes and brackets at their opening character (the library notices them at the end of the
// file), tabs used as indentation, nesting too deep, and other errors at the offending token
// rather than at a blank line. Knows only YAML text, nothing of configs.

import { Parser, type YAMLError } from '../vendor/yaml.js';
import { error, type Diagnostic, type SourceRange } from '../diag/diagnostic.js';

type ToRange = (start: number, end: number) => SourceRange;

interface Unclosed {
  kind: '"' | "'" | '[' | '{';
  offset: number;
}

/** The first unclosed quoted scalar (else the first unclosed flow collection) in the text. */
export function findUnclosed(text: string): Unclosed | undefined {
  let quote: Unclosed | undefined;
  let bracket: Unclosed | undefined;
  try {
    for (const root of new Parser().parse(text)) {
      // An explicit stack: a hostile file may nest deeper than the call stack allows.
      const stack: unknown[] = [root];
      while (stack.length) {
        const t = stack.pop();
        if (Array.isArray(t)) {
          for (const x of t) stack.push(x);
          continue;
        }
        if (!t || typeof t !== 'object') continue;
        const tok = t as {
          type?: string;
          offset?: number;
          source?: string;
          start?: { source?: string };
          end?: { source?: string }[];
        };
        const at = tok.offset ?? 0;
        if (tok.type === 'double-quoted-scalar' && !closedDouble(tok.source ?? '')) {
          if (!quote || at < quote.offset) quote = { kind: '"', offset: at };
        } else if (tok.type === 'single-quoted-scalar' && !closedSingle(tok.source ?? '')) {
          if (!quote || at < quote.offset) quote = { kind: "'", offset: at };
        } else if (tok.type === 'flow-collection') {
          const open = tok.start?.source === '{' ? '{' : '[';
          const close = open === '{' ? '}' : ']';
          if (!(tok.end ?? []).some((e) => e.source === close) && (!bracket || at < bracket.offset))
            bracket = { kind: open, offset: at };
        }
        for (const v of Object.values(tok)) if (v && typeof v === 'object') stack.push(v);
      }
    }
  } catch {
    return undefined;
  }
  return quote ?? bracket;
}

function closedDouble(source: string): boolean {
  if (source.length < 2 || !source.endsWith('"')) return false;
  let slashes = 0;
  for (let i = source.length - 2; i > 0 && source[i] === '\\'; i--) slashes++;
  return slashes % 2 === 0;
}

function closedSingle(source: string): boolean {
  const rest = source.slice(1);
  let quotes = 0;
  for (let i = rest.length - 1; i >= 0 && rest[i] === "'"; i--) quotes++;
  return quotes % 2 === 1;
}

/** The library's message in sentence case, without the source text it quotes (it may be a secret). */
function firstLine(message: string): string {
  const line = message
    .split('\n')[0]
    .trim()
    .replace(/(?: in YAML stream)?:\s*["'].*$/s, '')
    .replace(/ in YAML stream$/, '');
  return line.charAt(0).toLowerCase() + line.slice(1).replace(/\.$/, '');
}

/** Start of the line holding `offset`. */
function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', Math.max(0, offset - 1)) + 1;
}

/** One diagnostic per distinct problem among the library's errors for a file. */
export function yamlErrorDiagnostics(errors: readonly YAMLError[], text: string, range: ToRange): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  const push = (d: Diagnostic): void => {
    const key = `${d.code}:${d.range?.start.offset}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(d);
    }
  };
  let unclosed: Unclosed | undefined | null = null;
  for (const e of errors) {
    const [start, end] = e.pos;
    if (e.code === 'RESOURCE_EXHAUSTION' || /call stack/i.test(e.message)) {
      push(
        error('yaml.too-deep', 'the YAML nesting is too deep', {
          range: range(lineStart(text, start), lineStart(text, start)),
          detail: 'Mappings and lists nest far deeper here than any config needs; flatten the document.',
          showSource: false,
        }),
      );
      continue;
    }
    // A tab in the indentation of the line at fault: YAML indents with spaces only.
    const ls = lineStart(text, Math.min(start, text.length));
    const indent = /^[ \t]*/.exec(text.slice(ls, ls + 1000))![0];
    if (e.code === 'TAB_AS_INDENT' || indent.includes('\t')) {
      const tab = ls + indent.indexOf('\t');
      push(
        error('yaml.tab', 'tab character used for indentation', {
          range: range(tab, tab + 1),
          detail: 'YAML indents with spaces only; replace the tab with spaces.',
        }),
      );
      continue;
    }
    if (unclosed === null) unclosed = findUnclosed(text);
    if (unclosed && unclosed.offset <= start) {
      const quote = unclosed.kind === '"' || unclosed.kind === "'";
      const close = { '"': '"', "'": "'", '[': ']', '{': '}' }[unclosed.kind];
      push(
        error(
          quote ? 'yaml.unclosed-quote' : 'yaml.unclosed-bracket',
          quote ? `unclosed ${unclosed.kind === '"' ? 'double' : 'single'} quote` : `unclosed "${unclosed.kind}"`,
          {
            range: range(unclosed.offset, unclosed.offset + 1),
            detail: quote
              ? `This string is never closed: add the closing ${close} (a quoted value may run over several lines, so the rest of the file was read as part of it).`
              : `This ${unclosed.kind === '[' ? 'list' : 'mapping'} has no matching "${close}": add it, or write the items as indented lines.`,
          },
        ),
      );
      continue;
    }
    // Point at the offending token: not at the indentation before it, and not at a blank line
    // or the end of the file (then at the last token before it).
    let at = Math.min(start, text.length);
    while (text[at] === ' ' || text[at] === '\t') at++;
    if (at >= text.length || text[at] === '\n' || text[at] === '\r') {
      at = Math.min(start, text.length) - 1;
      while (at > 0 && /\s/.test(text[at])) at--;
      at = Math.max(0, at);
    }
    push(
      error('yaml.syntax', `invalid YAML: ${firstLine(e.message)}`, {
        range: range(at, Math.max(at < start ? at + 1 : end, at + 1)),
        detail: 'Fix the YAML syntax at this position (check indentation, quoting and missing ":").',
      }),
    );
  }
  return out;
}
