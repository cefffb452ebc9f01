// Parses one YAML file with the `yaml` library and records where every node came from: a span
// per JSON pointer (the key's range and the value's range). It turns YAML syntax errors and
// duplicate keys into diagnostics. No validation and no interpolation happen here.

import { LineCounter, parseDocument, isAlias, isMap, isSeq, isScalar, isPair, Scalar, type Alias, type Node } from 'yaml';
import { error, warning, type Diagnostic, type SourceRange } from '../diag/diagnostic.js';
import { joinPointer, parentPointer } from './pointer.js';

export interface NodeSpan {
  /** Range of the mapping key, when the node is a mapping value. */
  key?: SourceRange;
  /** Range of the value node. */
  value: SourceRange;
  /** True for plain (unquoted, non-block) scalars: interpolation may re-type their result. */
  plain?: boolean;
}

/** [valueStart, valueEnd, keyStart (-1: none), keyEnd, plain (0/1)]: offsets only, to stay small. */
type RawSpan = [number, number, number, number, number];

/**
 * Spans by JSON pointer. Ranges are stored as offsets and turned into line/column ranges only
 * when asked for, because a large config has tens of thousands of nodes and few diagnostics.
 */
export class SpanTable {
  private readonly raw = new Map<string, RawSpan>();
  constructor(private readonly toRange: (start: number, end: number) => SourceRange) {}

  set(pointer: string, raw: RawSpan): void {
    this.raw.set(pointer, raw);
  }

  has(pointer: string): boolean {
    return this.raw.has(pointer);
  }

  get(pointer: string): NodeSpan | undefined {
    const r = this.raw.get(pointer);
    if (!r) return undefined;
    const span: NodeSpan = { value: this.toRange(r[0], r[1]) };
    if (r[2] >= 0) span.key = this.toRange(r[2], r[3]);
    if (r[4]) span.plain = true;
    return span;
  }

  /** The value offsets of a pointer without building a range. */
  offsets(pointer: string): { start: number; end: number; plain: boolean } | undefined {
    const r = this.raw.get(pointer);
    return r ? { start: r[0], end: r[1], plain: r[4] === 1 } : undefined;
  }

  keys(): IterableIterator<string> {
    return this.raw.keys();
  }

  get size(): number {
    return this.raw.size;
  }
}

export interface ParsedYaml {
  file: string;
  text: string;
  value: unknown;
  spans: SpanTable;
  diags: Diagnostic[];
  /** Converts a [start, end) character offset pair of this file to a SourceRange. */
  range(start: number, end: number): SourceRange;
}

export function parseYaml(text: string, file: string): ParsedYaml {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, keepSourceTokens: false, prettyErrors: false, uniqueKeys: true });
  const pos = (offset: number): { line: number; col: number; offset: number } => {
    const { line, col } = lc.linePos(offset);
    return { line, col, offset };
  };
  const range = (start: number, end: number): SourceRange => ({ file, start: pos(start), end: pos(Math.max(start, end)) });
  const diags: Diagnostic[] = [];
  for (const e of doc.errors) {
    const [start, end] = e.pos;
    if (e.code === 'DUPLICATE_KEY') {
      const m = /^("(?:[^"\\]|\\.)*"|'[^']*'|[^:\n#]+)/.exec(text.slice(start));
      const key = (m ? m[1] : text.slice(start, end)).trim().replace(/^["']|["']$/g, '');
      diags.push(error('yaml.duplicate-key', `duplicate key "${key}"`, {
        range: range(start, start + Math.max(1, m ? m[1].trim().length : end - start)),
        detail: 'Each key may appear once in a mapping; remove or rename one of them.',
      }));
    } else {
      // Point at the offending token, not at the indentation before it.
      let at = start;
      while (text[at] === ' ' || text[at] === '\t') at++;
      if (at >= text.length || text[at] === '\n') at = start;
      diags.push(error('yaml.syntax', `invalid YAML: ${firstLine(e.message)}`, {
        range: range(at, Math.max(end, at + 1)),
        detail: 'Fix the YAML syntax at this position (check indentation, quoting and missing ":").',
      }));
    }
  }
  for (const w of doc.warnings) {
    diags.push(warning('yaml.warning', firstLine(w.message), { range: range(w.pos[0], w.pos[1]) }));
  }
  const spans = new SpanTable(range);
  const hasErrors = diags.some((d) => d.severity === 'error');
  let value: unknown = undefined;
  if (!hasErrors && doc.contents) {
    const state: WalkState = { aliases: [] };
    value = walk(doc.contents as Node, '', -1, -1, spans, state);
    // Aliases are rare: let the library resolve those (it throws on unknown or runaway ones).
    if (state.aliases.length) {
      try {
        value = doc.toJS({ maxAliasCount: 1000 });
      } catch (err) {
        const a = state.aliases[0];
        const message = err instanceof Error ? err.message : String(err);
        const unresolved = /unresolved alias/i.test(message);
        diags.push(error('yaml.alias', unresolved ? `unresolved alias "*${a.source}"` : `invalid alias: ${firstLine(message)}`, {
          range: range(a.range?.[0] ?? 0, a.range?.[1] ?? 0),
          detail: unresolved ? `Define the anchor &${a.source} before this alias, or write the value out.` : 'Reduce the use of aliases; write the values out.',
        }));
        value = undefined;
      }
    }
  } else if (!hasErrors) {
    value = null;
  }
  return { file, text, value, spans, diags, range };
}

function firstLine(message: string): string {
  const line = message.split('\n')[0].trim();
  return line.charAt(0).toLowerCase() + line.slice(1).replace(/\.$/, '');
}

/** Records spans and builds the plain JS value in one pass over the document. */
interface WalkState {
  aliases: Alias[];
}

function walk(node: Node, pointer: string, k0: number, k1: number, spans: SpanTable, state: WalkState): unknown {
  const r = node.range;
  if (r) spans.set(pointer, [r[0], r[1], k0, k1, isScalar(node) && node.type === Scalar.PLAIN ? 1 : 0]);
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    for (const item of node.items) {
      if (!isPair(item)) continue;
      const k = item.key as Node | null;
      const keyText = isScalar(k) ? String(k.value) : k ? String(k) : '';
      const p = joinPointer(pointer, keyText);
      const kr = k?.range;
      const v = item.value as Node | null;
      if (v) out[keyText] = walk(v, p, kr ? kr[0] : -1, kr ? kr[1] : -1, spans, state);
      else {
        out[keyText] = null;
        if (kr) spans.set(p, [kr[0], kr[1], kr[0], kr[1], 0]);
      }
    }
    return out;
  }
  if (isSeq(node)) {
    return node.items.map((item, i) => (item ? walk(item as Node, joinPointer(pointer, i), -1, -1, spans, state) : null));
  }
  if (isScalar(node)) return node.value;
  if (isAlias(node)) state.aliases.push(node);
  return null;
}

/** Finds the span for a pointer, walking up to the nearest ancestor that has one. */
export function spanAt(spans: SpanTable, pointer: string): NodeSpan | undefined {
  let p = pointer;
  for (;;) {
    const s = spans.get(p);
    if (s) return s;
    if (p === '') return undefined;
    p = parentPointer(p);
  }
}
