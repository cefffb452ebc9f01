// What `history` and `approvals show` print (issue 19): a read-only plan is not a run (a saved
// one is), history's columns line up whatever the kind, and an approval request reads as words
// with the command's arguments instead of raw JSON.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCliInProcess } from '../config/cli-in-process.js';
import { openSession } from '../../src/apply/session.js';
import { planStack } from '../../src/plan/stack.js';
import { syncApprovals } from '../../src/approvals/workflow.js';

const dir = mkdtempSync(join(tmpdir(), 'cf-hist-'));
const file = join(dir, 'contextforge.yaml');
writeFileSync(
  file,
  [
    'name: cf-hist-view',
    'backends:',
    '  host: { type: process }',
    'catalog:',
    '  - slug: fs',
    '    name: Files',
    '    source: { type: command, command: npx, args: ["-y", "@modelcontextprotocol/server-filesystem", "/srv/data"] }',
    '    transport: { type: stdio }',
    'runtimes:',
    '  - { name: files, catalog: fs, backend: host, guardrails_profile: unrestricted }',
    'approval:',
    '  enabled: true',
    '  required_for: [{ source_type: command }]',
    '  approvers: [{ group: security-team }]',
    '',
  ].join('\n'),
);

test('a plan without -out leaves no run; a saved plan does; columns align', async () => {
  let r = await runCliInProcess(['plan', '-f', file]);
  assert.is(r.code, 0, r.stderr);
  r = await runCliInProcess(['history', '-f', file, '--json']);
  assert.equal(JSON.parse(r.stdout), [], r.stdout);
  r = await runCliInProcess(['plan', '-f', file, '-out', join(dir, 'p.json')]);
  assert.is(r.code, 0, r.stderr);
  // A run of another kind, longer than 'plan', in the same table.
  const s = await openSession({ path: file, backends: false });
  const store = s.session!.store;
  store.finishRun(store.startRun('cf-hist-view', 'reconcile', { actor: 'watch@host' }), 'success', { create: 12 });
  await s.session!.close();
  r = await runCliInProcess(['history', '-f', file]);
  const lines = r.stdout.trimEnd().split('\n');
  assert.is(lines.length, 3, r.stdout);
  assert.match(lines[0], /^RUN\s+STARTED\s+KIND\s+OUTCOME\s+CREATE/);
  // Each column starts at the same offset on every line.
  for (const col of ['KIND', 'OUTCOME', 'CREATE', 'UPDATE', 'REPLACE', 'DELETE']) {
    const at = lines[0].indexOf(col);
    for (const l of lines.slice(1)) assert.ok(l[at - 1] === ' ' && l[at] !== ' ', `${col} misaligned:\n${r.stdout}`);
  }
  assert.ok(lines.some((l) => /\bplan\b/.test(l)) && lines.some((l) => /\breconcile\b/.test(l)), r.stdout);
});

test("approvals show reads as words and names the command's arguments", async () => {
  const s = await openSession({ path: file });
  const session = s.session!;
  const r = await planStack({ config: session.config, backends: session.backends, store: session.store });
  const sync = syncApprovals({ plan: r.plan!, config: session.config, store: session.store, redact: session.redact });
  const id = sync.created[0].id;
  await session.close();
  const shown = await runCliInProcess(['approvals', 'show', id, '-f', file]);
  assert.is(shown.code, 0, shown.stderr);
  assert.match(
    shown.stdout,
    'Source:     type: command, command: npx, args: -y @modelcontextprotocol/server-filesystem /srv/data',
  );
  assert.match(
    shown.stdout,
    /Guardrails: guardrails_profile: unrestricted, network.egress_allowed: yes, network.allowed_hosts: \*/,
  );
  assert.not.match(shown.stdout, /[{}]"/);
  assert.not.match(shown.stdout, /"type":/);
  const json = await runCliInProcess(['approvals', 'show', id, '-f', file, '--json']);
  const doc = JSON.parse(json.stdout) as { request: { source: { args: string[] } } };
  assert.equal(doc.request.source.args, ['-y', '@modelcontextprotocol/server-filesystem', '/srv/data']);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
