// The architecture, enforced: reads every `import`/`export … from`/`import('…')` of src/**/*.ts,
// checks each import between top-level folders against the layer table below, and fails on any
// import circle between files. docs/architecture.md explains the layers; this table is the rule.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('../..', import.meta.url));
const srcDir = join(root, 'src');

/**
 * Which top-level folders of src/ each folder may import (besides itself). The flow is
 * cli → watch → host → reconcile → apply/approvals/plan → backends/state → sources → config →
 * model → diag/generated; gateway sits beside the pipeline and uses only config, state, model
 * and diag; emulators stand in for a remote cloud and import nothing of the product.
 */
const BASE = ['model', 'diag', 'generated', 'vendor'];
const LAYERS: Record<string, readonly string[]> = {
  generated: [],
  // Third-party code as src/ loads it (the yaml library through its build-time bundle).
  vendor: [],
  diag: ['vendor'],
  model: ['diag', 'generated', 'vendor'],
  config: [...BASE],
  sources: ['config', ...BASE],
  // contextforge.lock (issue 13): the file format and the staleness check. Pure data over model/;
  // the pipeline (plan, apply, host, cli) reads and writes it, the gateway gets it translated.
  lock: ['config', ...BASE],
  state: ['config', ...BASE],
  backends: ['sources', 'config', ...BASE],
  gateway: ['config', 'state', ...BASE],
  plan: ['backends', 'state', 'sources', 'lock', 'config', ...BASE],
  approvals: ['plan', 'state', 'config', ...BASE],
  apply: ['plan', 'backends', 'state', 'sources', 'lock', 'config', ...BASE],
  reconcile: ['apply', 'approvals', 'plan', 'backends', 'state', 'sources', 'lock', 'config', ...BASE],
  // The operator console reads what the pipeline reads (live status, plan, library, state) and
  // decides approvals; it plugs into the gateway's listener as an extension, and host wires it.
  console: ['apply', 'approvals', 'plan', 'backends', 'state', 'sources', 'lock', 'gateway', 'config', ...BASE],
  host: [
    'console',
    'reconcile',
    'apply',
    'approvals',
    'plan',
    'backends',
    'state',
    'sources',
    'lock',
    'gateway',
    'config',
    ...BASE,
  ],
  watch: [
    'host',
    'console',
    'reconcile',
    'apply',
    'approvals',
    'plan',
    'backends',
    'state',
    'sources',
    'lock',
    'gateway',
    'config',
    ...BASE,
  ],
  cli: [
    'watch',
    'console',
    'host',
    'reconcile',
    'apply',
    'approvals',
    'plan',
    'backends',
    'state',
    'sources',
    'lock',
    'gateway',
    'emulators',
    'config',
    ...BASE,
  ],
  emulators: [],
};

/**
 * Import circles tolerated for now, each with the issue that removes it (none at present: the
 * circle of src/cli/ verbs through main.ts and plan.ts went with issue 21).
 */
const KNOWN_CIRCLES: { issue: number; within: string }[] = [];

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out.sort();
}

// TypeScript's own pre-processor lists every module specifier of a file: static imports and
// re-exports (type-only included: a type import couples layers just as much) and dynamic imports
// of a literal path. It is the compiler's scanner, so comments and strings cannot fool it.
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return info.importedFiles
    .map((f) => f.fileName)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => resolve(dirname(file), spec).replace(/\.js$/, '.ts'));
}

const files = sourceFiles(srcDir);
const graph = new Map(files.map((f) => [f, importsOf(f)]));
const rel = (f: string): string => relative(root, f);
const folderOf = (f: string): string => relative(srcDir, f).split(/[\\/]/)[0];

test('the parser sees the imports it should (a check that cannot fail is no check)', () => {
  const desired = graph.get(join(srcDir, 'plan', 'desired.ts')) ?? [];
  assert.ok(desired.includes(join(srcDir, 'model', 'resources.ts')), 'plan/desired.ts imports model/resources.ts');
  assert.ok(files.length > 100, `found ${files.length} source files`);
  const dev = graph.get(join(srcDir, 'cli', 'dev.ts')) ?? [];
  assert.ok(
    dev.some((t) => t.includes(join('src', 'emulators'))),
    'dynamic imports are read too',
  );
});

test('every top-level folder of src/ has a row in the layer table', () => {
  const unknown = [...new Set(files.map(folderOf))].filter((f) => !(f in LAYERS) && !f.endsWith('.ts'));
  assert.equal(
    unknown,
    [],
    `add these folders to LAYERS in ${rel(fileURLToPath(import.meta.url))} and to docs/architecture.md`,
  );
});

test('the layer table itself has no circle', () => {
  const seen = new Set<string>();
  const visit = (f: string, path: string[]): void => {
    if (path.includes(f)) assert.unreachable(`layer circle: ${[...path, f].join(' → ')}`);
    if (seen.has(f)) return;
    for (const to of LAYERS[f] ?? []) visit(to, [...path, f]);
    seen.add(f);
  };
  for (const f of Object.keys(LAYERS)) visit(f, []);
});

test('imports between folders follow the layer table', () => {
  const violations: string[] = [];
  for (const [from, targets] of graph) {
    const a = folderOf(from);
    for (const to of targets) {
      if (!to.startsWith(srcDir)) continue;
      const b = folderOf(to);
      if (a === b || (LAYERS[a] ?? []).includes(b)) continue;
      violations.push(
        `${rel(from)} → ${rel(to)} (${a} may import: ${(LAYERS[a] ?? []).join(', ') || 'nothing of src/'})`,
      );
    }
  }
  assert.equal(violations, [], `imports against the flow:\n  ${violations.join('\n  ')}`);
});

test('emulators import nothing from backends (their wire types are their own)', () => {
  const bad = [...graph].flatMap(([from, targets]) =>
    folderOf(from) === 'emulators'
      ? targets.filter((t) => t.startsWith(join(srcDir, 'backends'))).map((t) => `${rel(from)} → ${rel(t)}`)
      : [],
  );
  assert.equal(bad, []);
});

/** Tarjan's strongly connected components: every component of more than one file is a circle. */
function circles(): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const strong = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(comp.map(rel).sort());
    }
  };
  for (const f of graph.keys()) if (!idx.has(f)) strong(f);
  return out;
}

test('no import circle between files (except the documented ones)', () => {
  const all = circles();
  const known = all.filter((c) => KNOWN_CIRCLES.some((k) => c.every((f) => f.startsWith(k.within))));
  const unknown = all.filter((c) => !known.includes(c));
  assert.equal(
    unknown.map((c) => c.join(' ⇄ ')),
    [],
    'import circles',
  );
  for (const k of KNOWN_CIRCLES) {
    if (!known.some((c) => c.every((f) => f.startsWith(k.within)))) {
      console.log(`note: the known circle in ${k.within} (issue ${k.issue}) is gone; remove its KNOWN_CIRCLES entry.`);
    }
  }
});

test.run();
