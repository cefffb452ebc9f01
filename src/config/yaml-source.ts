// Parses one YAML file with the `yaml` library and records where every node came from: a span
// per JSON pointer (the key's range and the value's range). It turns YAML syntax errors and
// duplicate keys into diagnostics. No validation and no interpolation happen here.

import { LineCounter, parseDocument, isMap, isSeq, isScalar, isPair, Scalar, type Node } from 'yaml';
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

export interface ParsedYaml {
  file: string;
  text: string;
  value: unknown;
  spans: Map<string, NodeSpan>;
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
      diags.push(error('yaml.syntax', `invalid YAML: ${firstLine(e.message)}`, {
        range: range(start, Math.max(end, start + 1)),
        detail: 'Fix the YAML syntax at this position (check indentation, quoting and missing ":").',
      }));
    }
  }
  for (const w of doc.warnings) {
    diags.push(warning('yaml.warning', firstLine(w.message), { range: range(w.pos[0], w.pos[1]) }));
  }
  const spans = new Map<string, NodeSpan>();
  const hasErrors = diags.some((d) => d.severity === 'error');
  let value: unknown = undefined;
  if (!hasErrors) {
    value = doc.toJS({ maxAliasCount: 1000 });
    if (doc.contents) walk(doc.contents as Node, '', undefined, spans, range);
  }
  return { file, text, value, spans, diags, range };
}

function firstLine(message: string): string {
  const line = message.split('\n')[0].trim();
  return line.charAt(0).toLowerCase() + line.slice(1).replace(/\.$/, '');
}

function walk(
  node: Node,
  pointer: string,
  key: SourceRange | undefined,
  spans: Map<string, NodeSpan>,
  range: (s: number, e: number) => SourceRange,
): void {
  const r = node.range;
  if (!r) return;
  const span: NodeSpan = { value: range(r[0], r[1]) };
  if (key) span.key = key;
  if (isScalar(node) && node.type === Scalar.PLAIN) span.plain = true;
  spans.set(pointer, span);
  if (isMap(node)) {
    for (const item of node.items) {
      if (!isPair(item)) continue;
      const k = item.key as Node | null;
      const keyText = isScalar(k) ? String(k.value) : k ? String(k) : '';
      const p = joinPointer(pointer, keyText);
      const kr = k?.range ? range(k.range[0], k.range[1]) : undefined;
      const v = item.value as Node | null;
      if (v && v.range) walk(v, p, kr, spans, range);
      else if (kr) spans.set(p, { key: kr, value: kr });
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => {
      const v = item as Node | null;
      if (v && v.range) walk(v, joinPointer(pointer, i), undefined, spans, range);
    });
  }
}

/** Finds the span for a pointer, walking up to the nearest ancestor that has one. */
export function spanAt(spans: Map<string, NodeSpan>, pointer: string): NodeSpan | undefined {
  let p = pointer;
  for (;;) {
    const s = spans.get(p);
    if (s) return s;
    if (p === '') return undefined;
    p = parentPointer(p);
  }
}
