// Bad input never throws: hundreds of deterministic random mutations of the examples (deleted,
// duplicated and garbled lines, stray YAML syntax, aliases, variables) all come back as
// diagnostics, each with a source range, and render without error.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigSync } from '../../src/config/index.js';
import { renderDiagnostics, renderJson } from '../../src/diag/render.js';

const examples = fileURLToPath(new URL('../../examples/', import.meta.url));
const sources = readdirSync(examples).filter((f) => f.endsWith('.yaml')).sort().map((f) => readFileSync(join(examples, f), 'utf8'));
const TOKENS = ['', ' ', ':', '- ', '{', '}', '[', ']', '"', "'", '${X}', '${', '$${', '&a', '*a', '<<: *a', '\t', '#', '!!int', '-1', '999999', 'null', 'true', '~', '? ', '|', '>', 'name: x'];

function mutate(text: string, rnd: () => number): string {
  const lines = text.split('\n');
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
  for (let k = 1 + Math.floor(rnd() * 3); k > 0; k--) {
    const i = Math.floor(rnd() * lines.length);
    const op = rnd();
    if (op < 0.3) lines.splice(i, 1);
    else if (op < 0.6) {
      const p = Math.floor(rnd() * (lines[i].length + 1));
      lines[i] = lines[i].slice(0, p) + pick(TOKENS) + lines[i].slice(p);
    } else if (op < 0.8) lines.splice(i, 0, pick(lines));
    else lines[i] = lines[i].replace(/: .*/, `: ${pick(TOKENS)}`);
  }
  return lines.join('\n');
}

test('400 mutated configs: diagnostics, never a throw', () => {
  let seed = 20260521;
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const dir = mkdtempSync(join(tmpdir(), 'cf-robust-'));
  let invalid = 0;
  try {
    for (let i = 0; i < 400; i++) {
      const file = join(dir, `m${i}.yaml`);
      writeFileSync(file, mutate(sources[i % sources.length], rnd));
      let r: ReturnType<typeof loadConfigSync>;
      try {
        r = loadConfigSync(file, { env: {} });
      } catch (err) {
        assert.unreachable(`loadConfig threw on ${file}: ${(err as Error).stack}`);
        return;
      }
      if (!r.value) invalid++;
      for (const d of r.diags) assert.ok(d.range, `${d.code} "${d.summary}" has no source range (${file})`);
      assert.type(renderDiagnostics(r.diags, { color: false, sensitive: r.sensitiveValues }), 'string');
      JSON.parse(renderJson(r.diags));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.ok(invalid > 100, `mutations should break most configs (${invalid} invalid)`);
});

test.run();
