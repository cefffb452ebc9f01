// Parses one YAML file with the `yaml` library and records where every node came from: a span
// per JSON pointer (the key's range and the value's range). It turns YAML syntax errors,
// duplicate and reserved keys, non-finite numbers and runaway aliases or nesting into
// diagnostics, and builds null-prototype mappings. No validation and no interpolation here.

import {
  LineCounter,
  parseDocument,
  isAlias,
  isMap,
  isSeq,
  isScalar,
  isPair,
  Scalar,
  type Alias,
  type Document,
  type Node,
} from '../vendor/yaml.js';
import { error, warning, type Diagnostic, type SourceRange } from '../diag/diagnostic.js';
import { joinPointer, parentPointer } from './pointer.js';
import { snapshotFor, type RawSpan, type RecordedScan } from './parse-snapshot.js';
import { yamlErrorDiagnostics } from './yaml-errors.js';

export interface NodeSpan {
  /** Range of the mapping key, when the node is a mapping value. */
  key?: SourceRange;
  /** Range of the value node. */
  value: SourceRange;
  /** True for plain (unquoted, non-block) scalars: interpolation may re-type their result. */
  plain?: boolean;
}

/** Offsets only, to stay small (defined beside the snapshot, which stores them). */
export type { RawSpan };

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

  /** Every pointer with its raw offsets, for the shipped-file snapshot (parse-snapshot.ts). */
  entries(): Array<[string, RawSpan]> {
    return [...this.raw];
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
  /** The secret scan of this text, when it came from the build's snapshot (parse-snapshot.ts). */
  secretScan?: RecordedScan;
}

/** Keys that would reach an object's prototype machinery if code ever used a plain object. */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Nodes an alias may add to the document, in total: large enough for shared env blocks. */
export const MAX_ALIAS_EXPANSION = 100_000;

/** Deepest nesting of mappings and lists accepted (real configs use under ten levels). */
export const MAX_NESTING = 100;

export function parseYaml(text: string, file: string): ParsedYaml {
  const lc = new LineCounter();
  const pos = (offset: number): { line: number; col: number; offset: number } => {
    const { line, col } = lc.linePos(offset);
    return { line, col, offset };
  };
  const range = (start: number, end: number): SourceRange => ({
    file,
    start: pos(start),
    end: pos(Math.max(start, end)),
  });
  const spans = new SpanTable(range);
  const snap = snapshotFor(text);
  if (snap) {
    // A file shipped with the package, parsed at build time: the same value and spans, without
    // running the parser (most of `validate`'s start-up otherwise). The parser would have
    // recorded these line starts: offset 0 and the one after every newline.
    lc.addNewLine(0);
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lc.addNewLine(i + 1);
    for (const [pointer, raw] of snap.spans) spans.set(pointer, raw);
    return { file, text, value: snap.value, spans, diags: [], range, secretScan: snap.scan };
  }
  // The library's duplicate-key check compares every key with every other key of a mapping
  // (quadratic in the keys); walk() detects duplicates in linear time instead.
  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, { lineCounter: lc, keepSourceTokens: false, prettyErrors: false, uniqueKeys: false });
  } catch (err) {
    // The library composes nested collections recursively: thousands of levels exhaust the stack.
    if (!(err instanceof RangeError)) throw err;
    const diags = [
      error('yaml.too-deep', 'the YAML nesting is too deep', {
        range: range(0, 0),
        detail: `Mappings and lists may be nested at most ${MAX_NESTING} levels deep; flatten the document.`,
      }),
    ];
    return { file, text, value: undefined, spans, diags, range };
  }
  const diags: Diagnostic[] = [];
  diags.push(...yamlErrorDiagnostics(doc.errors, text, range));
  for (const w of doc.warnings) {
    diags.push(warning('yaml.warning', firstLine(w.message), { range: range(w.pos[0], w.pos[1]) }));
  }
  let value: unknown = undefined;
  if (diags.some((d) => d.severity === 'error')) return { file, text, value, spans, diags, range };
  if (doc.contents) {
    const walker = new Walker(text, range, spans);
    value = walker.walk(doc.contents as Node, '', -1, -1);
    diags.push(...walker.diags);
    // A bad key or alias leaves no trustworthy value; a non-finite number is reported where it
    // is and the schema check goes on (its own error at that pointer is dropped as noise).
    if (walker.fatal) value = undefined;
  } else {
    value = null;
  }
  return { file, text, value, spans, diags, range };
}

function firstLine(message: string): string {
  const line = message.split('\n')[0].trim();
  return line.charAt(0).toLowerCase() + line.slice(1).replace(/\.$/, '');
}

/**
 * Builds the plain JS value and records spans in one pass over the document. Mappings become
 * null-prototype objects, so no key (whatever its spelling) can reach Object.prototype. Aliases
 * are expanded here, not by the library's toJS(): its maxAliasCount bounds aliases nested in
 * anchors but not one large anchor used many times, and its objects have ordinary prototypes.
 * Every expanded node counts against MAX_ALIAS_EXPANSION instead.
 */
class Walker {
  readonly diags: Diagnostic[] = [];
  /** True after an error that leaves the value untrustworthy (keys, aliases, nesting). */
  fatal = false;
  private expanded = 0;
  private overBudget = false;
  private readonly expanding = new Set<Node>();
  /**
   * Anchors seen so far in document order: an alias names the latest one before it. The
   * library's Alias.resolve() searches the whole document per alias instead.
   */
  private readonly anchors = new Map<string, Node>();

  constructor(
    private readonly text: string,
    private readonly range: (start: number, end: number) => SourceRange,
    private readonly spans: SpanTable,
  ) {}

  walk(node: Node, pointer: string, k0: number, k1: number, depth = 0, viaAlias = 0): unknown {
    const r = node.range;
    if (viaAlias > 0 && ++this.expanded > MAX_ALIAS_EXPANSION) {
      if (!this.overBudget) {
        this.overBudget = true;
        this.fatal = true;
        this.diags.push(
          error('yaml.alias-expansion', `aliases expand to more than ${MAX_ALIAS_EXPANSION} values`, {
            range: this.range(r ? r[0] : 0, r ? r[1] : 0),
            detail:
              'An anchor used many times (or anchors nested in anchors) multiplies the document; write the values out or use fewer aliases.',
          }),
        );
      }
      return null;
    }
    if (r && !viaAlias)
      this.spans.set(pointer, [r[0], r[1], k0, k1, isScalar(node) && node.type === Scalar.PLAIN ? 1 : 0]);
    // Inside a copy, anchors are old definitions: registering them again could shadow a newer one.
    const anchor = (node as { anchor?: string }).anchor;
    if (anchor && !viaAlias) this.anchors.set(anchor, node);
    if ((isMap(node) || isSeq(node)) && depth >= MAX_NESTING) {
      this.fatal = true;
      this.diags.push(
        error('yaml.too-deep', 'the YAML nesting is too deep', {
          range: this.range(r ? r[0] : 0, r ? r[0] + 1 : 0),
          detail: `Mappings and lists may be nested at most ${MAX_NESTING} levels deep; flatten the document.`,
        }),
      );
      return null;
    }
    if (isMap(node)) return this.map(node.items, pointer, depth, viaAlias);
    if (isSeq(node)) {
      const out: unknown[] = [];
      node.items.forEach((item, i) =>
        out.push(item ? this.walk(item as Node, joinPointer(pointer, i), -1, -1, depth + 1, viaAlias) : null),
      );
      return out;
    }
    if (isScalar(node)) return this.scalar(node, pointer);
    if (isAlias(node)) return this.alias(node, { pointer, k0, k1, depth, viaAlias });
    return null;
  }

  private map(items: unknown[], pointer: string, depth: number, viaAlias: number): Record<string, unknown> {
    const out = Object.create(null) as Record<string, unknown>;
    const seen = new Set<string>();
    for (const item of items) {
      if (!isPair(item)) continue;
      const k = item.key as Node | null;
      const keyText = isScalar(k) ? String(k.value) : k ? String(k) : '';
      const kr = k?.range;
      if (RESERVED_KEYS.has(keyText)) {
        this.fatal = true;
        if (!viaAlias) {
          this.diags.push(
            error('yaml.reserved-key', `key "${keyText}" is not allowed`, {
              range: this.range(kr ? kr[0] : 0, kr ? kr[1] : 0),
              detail: '`__proto__`, `constructor` and `prototype` are reserved in configs; rename the key.',
            }),
          );
        }
        continue;
      }
      if (seen.has(keyText)) {
        this.fatal = true;
        if (!viaAlias) {
          this.diags.push(
            error('yaml.duplicate-key', `duplicate key "${keyText}"`, {
              range: this.range(kr ? kr[0] : 0, kr ? kr[1] : 0),
              detail: 'Each key may appear once in a mapping; remove or rename one of them.',
            }),
          );
        }
        continue;
      }
      seen.add(keyText);
      const p = joinPointer(pointer, keyText);
      const v = item.value as Node | null;
      if (v) out[keyText] = this.walk(v, p, kr ? kr[0] : -1, kr ? kr[1] : -1, depth + 1, viaAlias);
      else {
        out[keyText] = null;
        if (kr && !viaAlias) this.spans.set(p, [kr[0], kr[1], kr[0], kr[1], 0]);
      }
    }
    return out;
  }

  private scalar(node: Scalar, pointer: string): unknown {
    const v = node.value;
    if (typeof v === 'number' && !Number.isFinite(v)) {
      const r = node.range;
      const raw = r ? this.text.slice(r[0], Math.min(r[1], r[0] + 40)) : String(v);
      this.diags.push(
        error('yaml.number-not-finite', `number ${raw} is not finite`, {
          range: this.range(r ? r[0] : 0, r ? r[1] : 0),
          pointer,
          detail: 'Numbers must be finite (.inf, .nan and values beyond 1.8e308 are not); write a bounded value.',
        }),
      );
    }
    return v;
  }

  private alias(
    node: Alias,
    at: { pointer: string; k0: number; k1: number; depth: number; viaAlias: number },
  ): unknown {
    const target = this.anchors.get(node.source);
    const r = node.range;
    if (!target) {
      this.fatal = true;
      this.diags.push(
        error('yaml.alias', `unresolved alias "*${node.source}"`, {
          range: this.range(r ? r[0] : 0, r ? r[1] : 0),
          detail: `Define the anchor &${node.source} before this alias, or write the value out.`,
        }),
      );
      return null;
    }
    if (this.expanding.has(target)) {
      this.fatal = true;
      this.diags.push(
        error('yaml.alias', `alias "*${node.source}" refers to a value that contains it`, {
          range: this.range(r ? r[0] : 0, r ? r[1] : 0),
          detail: 'A value cannot include itself; write the value out.',
        }),
      );
      return null;
    }
    // Diagnostics inside the copy point at the alias: the anchor's own spans stay with it.
    if (r && !at.viaAlias) this.spans.set(at.pointer, [r[0], r[1], at.k0, at.k1, 0]);
    this.expanding.add(target);
    try {
      return this.walk(target, at.pointer, at.k0, at.k1, at.depth, at.viaAlias + 1);
    } finally {
      this.expanding.delete(target);
    }
  }
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
