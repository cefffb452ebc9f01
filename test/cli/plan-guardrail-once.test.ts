// One decision on enforceability, seen from the user's side: a profile asking for read_only_root
// on the process backend (which cannot enforce it) yields exactly one warning in `plan`, in one
// wording, pointing at the runtime's guardrails_profile; `validate` reports the same one.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/contextforge.js');
const dir = mkdtempSync(join(tmpdir(), 'cf-guardrail-once-'));

writeFileSync(
  join(dir, 'contextforge.yaml'),
  `name: guardrail-once-${process.pid}
backends:
  procs: { type: process }
profiles:
  ro:
    filesystem: { read_only_root: true }
catalog:
  - slug: idle
    name: idle
    source: { type: command, command: node, args: ["-e", "setInterval(() => {}, 1000)"] }
    transport: { type: stdio }
runtimes:
  - name: p
    catalog: idle
    backend: procs
    guardrails_profile: ro
`,
);

function cli(args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status, out: `${r.stdout}\n${r.stderr}` };
}

const mentions = (out: string): string[] =>
  out
    .split('\n')
    .filter((l) => /read_only_root/.test(l) && /not enforced/.test(l))
    .map((l) => l.replace(/^\s*!\s*/, ''));

test('plan: read_only_root on the process backend is one warning, with the source range', () => {
  const r = cli(['plan']);
  assert.is(r.code, 0, r.out);
  assert.equal(
    mentions(r.out),
    ['warning[guardrail.unenforced]: read_only_root of profile "ro" is not enforced on process backend "procs"'],
    r.out,
  );
  assert.is(r.out.match(/guardrail\.unenforced/g)?.length, 1, r.out);
  // The JSON plan carries the same one diagnostic, with the range of `guardrails_profile: ro`.
  const json = cli(['plan', '--json']);
  const plan = JSON.parse(json.out.slice(0, json.out.lastIndexOf('}') + 1)) as {
    changes: { diagnostics: { code: string; range?: { file: string; start: { line: number; col: number } } }[] }[];
  };
  const diags = plan.changes.flatMap((c) => c.diagnostics).filter((d) => d.code === 'guardrail.unenforced');
  assert.is(diags.length, 1);
  assert.equal(
    [diags[0].range?.file, diags[0].range?.start.line, diags[0].range?.start.col],
    [join(dir, 'contextforge.yaml'), 16, 25],
  );
});

test('validate reports the same single warning; --strict makes it the one error', () => {
  const loose = cli(['validate']);
  assert.is(loose.code, 0, loose.out);
  assert.is(mentions(loose.out).length, 1, loose.out);
  const strict = cli(['validate', '--strict']);
  assert.is(strict.code, 1, strict.out);
  assert.equal(
    mentions(strict.out),
    ['error[guardrail.unenforced]: read_only_root of profile "ro" is not enforced on process backend "procs"'],
    strict.out,
  );
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
