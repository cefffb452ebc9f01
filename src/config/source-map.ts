// LoadedConfig.sourceMap: `<file>#<pointer>` → source range, for every node of every loaded
// file. It is a Map whose entries are computed on demand from the parsers' offset tables, so
// that a config of thousands of runtimes does not build tens of thousands of ranges up front.

import type { SourceRange } from '../diag/diagnostic.js';
import type { ParsedYaml } from './yaml-source.js';

export class LazySourceMap extends Map<string, SourceRange> {
  private readonly byFile = new Map<string, ParsedYaml>();
  private materialized = false;

  constructor(files: readonly ParsedYaml[]) {
    super();
    for (const f of files) this.byFile.set(f.file, f);
  }

  private split(key: string): [ParsedYaml | undefined, string] {
    const i = key.indexOf('#');
    return i < 0 ? [undefined, ''] : [this.byFile.get(key.slice(0, i)), key.slice(i + 1)];
  }

  override get(key: string): SourceRange | undefined {
    const own = super.get(key);
    if (own || this.materialized) return own;
    const [file, pointer] = this.split(key);
    return file?.spans.get(pointer)?.value;
  }

  override has(key: string): boolean {
    if (super.has(key) || this.materialized) return super.has(key);
    const [file, pointer] = this.split(key);
    return file?.spans.has(pointer) ?? false;
  }

  /** Builds every entry (only iteration needs that). */
  private all(): void {
    if (this.materialized) return;
    this.materialized = true;
    for (const f of this.byFile.values()) {
      for (const p of f.spans.keys()) {
        const key = `${f.file}#${p}`;
        if (!super.has(key)) super.set(key, f.spans.get(p)!.value);
      }
    }
  }

  override get size(): number {
    this.all();
    return super.size;
  }

  override entries(): MapIterator<[string, SourceRange]> {
    this.all();
    return super.entries();
  }

  override keys(): MapIterator<string> {
    this.all();
    return super.keys();
  }

  override values(): MapIterator<SourceRange> {
    this.all();
    return super.values();
  }

  override forEach(
    cb: (value: SourceRange, key: string, map: Map<string, SourceRange>) => void,
    thisArg?: unknown,
  ): void {
    this.all();
    super.forEach(cb, thisArg);
  }

  override [Symbol.iterator](): MapIterator<[string, SourceRange]> {
    this.all();
    return super[Symbol.iterator]();
  }
}
