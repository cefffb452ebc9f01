// The one rule for a Code Engine app's cpu/memory (fitCodeEngineLimits): runtime resources and
// per_deployment_limits are exact, profile max_cpu/max_memory are ceilings fitted to the
// largest valid pair under them; and what validate reports for each case.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fitCodeEngineLimits, type CeLimits } from '../../src/config/code-engine-rules.js';
import { loadConfig } from '../../src/config/index.js';
import { VALID } from './markers.js';

type Ok = Extract<CeLimits, { ok: true }>;
type Bad = Extract<CeLimits, { ok: false }>;
const ok = (r: CeLimits): Ok => {
  assert.ok(r.ok, JSON.stringify(r));
  return r as Ok;
};
const bad = (r: CeLimits): Bad => {
  assert.not.ok(r.ok, JSON.stringify(r));
  return r as Bad;
};

test('shipped presets as ceilings: standard, restricted, unrestricted fit; airgapped does not', () => {
  const standard = ok(fitCodeEngineLimits({ profile: { max_cpu: '0.5', max_memory: '512m' } }));
  assert.equal([standard.cpu, standard.memoryGb, standard.memoryBytes, standard.fitted], [0.25, 0.5, 500e6, true]);
  assert.is(standard.requestedText, 'max_cpu 0.5 / max_memory 512m');
  const restricted = ok(fitCodeEngineLimits({ profile: { max_cpu: '0.25', max_memory: '256m' } }));
  assert.equal([restricted.cpu, restricted.memoryGb, restricted.fitted], [0.125, 0.25, true]);
  // 2g = 2 GiB holds 2G (decimal), so 1 vCPU / 2G is the largest pair: more cpu first.
  const unrestricted = ok(fitCodeEngineLimits({ profile: { max_cpu: '2', max_memory: '2g' } }));
  assert.equal([unrestricted.cpu, unrestricted.memoryGb, unrestricted.fitted], [1, 2, true]);
  const airgapped = bad(fitCodeEngineLimits({ profile: { max_cpu: '0.25', max_memory: '128m' } }));
  assert.is(airgapped.kind, 'no-fit');
  assert.ok(airgapped.reason.includes('the smallest pair is 0.125 vCPU / 0.25G'), airgapped.reason);
  assert.ok(airgapped.fix.includes('max_memory to at least 0.25G'), airgapped.fix);
  assert.ok(airgapped.fix.includes('per_deployment_limits'), airgapped.fix);
});

test('ceilings that already are a valid pair are used as they are', () => {
  const r = ok(fitCodeEngineLimits({ profile: { max_cpu: '0.5', max_memory: '1G' } }));
  assert.equal([r.cpu, r.memoryGb, r.memoryBytes, r.fitted], [0.5, 1, 1e9, false]);
  const binary = ok(fitCodeEngineLimits({ profile: { max_cpu: '0.25', max_memory: '512Mi' } }));
  assert.equal([binary.cpu, binary.memoryGb, binary.fitted], [0.25, 0.5, false]);
});

test('a ceiling on one side only leaves the other unconstrained', () => {
  const r = ok(fitCodeEngineLimits({ profile: { max_cpu: '0.25' } }));
  assert.equal([r.cpu, r.memoryGb, r.fitted], [0.25, 2, true]);
  // Unless Code Engine's default 4G already pairs with it.
  const d = ok(fitCodeEngineLimits({ profile: { max_cpu: '1' } }));
  assert.equal([d.cpu, d.memoryGb, d.fitted], [1, 4, false]);
});

test('per_deployment_limits and runtime resources are exact: a valid pair wins over the profile, an invalid one is an error', () => {
  const backend = ok(
    fitCodeEngineLimits({ backend: { cpu: '0.25', memory: '1G' }, profile: { max_cpu: '0.25', max_memory: '128m' } }),
  );
  assert.equal([backend.cpu, backend.memoryGb, backend.fitted], [0.25, 1, false]);
  const invalid = bad(fitCodeEngineLimits({ backend: { cpu: '0.25', memory: '256m' } }));
  assert.is(invalid.kind, 'invalid-pair');
  assert.ok(invalid.reason.includes('0.25 vCPU allows 0.5G, 1G, 2G'), invalid.reason);
  const runtime = bad(
    fitCodeEngineLimits({ runtime: { cpu: 2, memory: '1G' }, backend: { cpu: '0.5', memory: '1G' } }),
  );
  assert.is(runtime.kind, 'invalid-pair');
  assert.is(runtime.requested.cpu?.from, 'runtime');
  assert.is(runtime.requested.memory?.from, 'runtime');
});

test('an exact side with a ceiling on the other: the exact row, the largest memory under the ceiling', () => {
  const r = ok(fitCodeEngineLimits({ runtime: { cpu: '0.125' }, profile: { max_cpu: '0.5', max_memory: '2G' } }));
  assert.equal([r.cpu, r.memoryGb, r.fitted], [0.125, 1, true]);
  const none = bad(fitCodeEngineLimits({ runtime: { cpu: '2' }, profile: { max_cpu: '2', max_memory: '1G' } }));
  assert.is(none.kind, 'no-fit');
  assert.ok(none.reason.includes('2 vCPU allows 4G, 8G, 16G'), none.reason);
});

test("nothing set: Code Engine's default 1 vCPU / 4G", () => {
  const r = ok(fitCodeEngineLimits({}));
  assert.equal([r.cpu, r.memoryGb, r.memoryBytes, r.fitted], [1, 4, 4e9, false]);
});

async function validate(yaml: string) {
  const dir = mkdtempSync(join(tmpdir(), 'cf-ce-limits-'));
  try {
    writeFileSync(join(dir, 'c.yaml'), yaml);
    return await loadConfig(join(dir, 'c.yaml'), { env: {} });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('validate: presets on Code Engine load with a ce.limits-fitted warning per runtime', async () => {
  const r = await loadConfig(join(VALID, 'code-engine-presets.yaml'), { env: { CF_FIXTURE_SET: 'set-value-0000' } });
  assert.ok(r.value, JSON.stringify(r.diags));
  const fitted = r.diags.filter((d) => d.code === 'ce.limits-fitted');
  assert.equal(
    fitted.map((d) => [d.severity, d.address, d.summary]),
    [
      [
        'warning',
        'runtime.standard',
        'max_cpu 0.5 / max_memory 512m of profile "standard" fitted to Code Engine\'s 0.25 vCPU / 0.5G',
      ],
      [
        'warning',
        'runtime.restricted',
        'max_cpu 0.25 / max_memory 256m of profile "restricted" fitted to Code Engine\'s 0.125 vCPU / 0.25G',
      ],
    ],
  );
  assert.ok(fitted.every((d) => d.range?.start.line !== undefined));
});

test('validate: airgapped on Code Engine without per_deployment_limits is an error that says how to fix it', async () => {
  const r = await validate(`name: airgapped-ce
backends:
  ce: { type: ibm_code_engine, region: us-south, project_id: p, api_key: k-0000000000 }
runtimes:
  - { name: a, catalog: everything, backend: ce, guardrails_profile: airgapped }
`);
  assert.not.ok(r.value);
  const e = r.diags.find((d) => d.code === 'ce.limits-no-fit');
  assert.ok(e, JSON.stringify(r.diags));
  assert.is(e!.severity, 'error');
  assert.ok(e!.detail?.includes('0.125 vCPU / 0.25G') && e!.detail.includes('per_deployment_limits'), e!.detail);
  // With per_deployment_limits the pair is exact and the same preset loads.
  const fixed = await validate(`name: airgapped-ce
backends:
  ce: { type: ibm_code_engine, region: us-south, project_id: p, api_key: k-0000000000, per_deployment_limits: { cpu: "0.125", memory: 0.25G } }
runtimes:
  - { name: a, catalog: everything, backend: ce, guardrails_profile: airgapped }
`);
  assert.ok(fixed.value, JSON.stringify(fixed.diags));
  assert.not.ok(fixed.diags.some((d) => d.code.startsWith('ce.')));
});

test("validate: a partial per_deployment_limits pairs with each runtime's profile, else with Code Engine's default", async () => {
  const yaml = (profile: string): string => `name: partial-ce
backends:
  ce:
    type: ibm_code_engine
    region: us-south
    project_id: p
    api_key: k-0000000000
    per_deployment_limits: { cpu: "0.25" }
runtimes:
  - { name: a, catalog: everything, backend: ce, guardrails_profile: ${profile} }
`;
  // standard's max_memory 512m with the exact 0.25 vCPU: 0.25 vCPU / 0.5G, a valid pair as is.
  const withCeiling = await validate(yaml('standard'));
  assert.ok(withCeiling.value, JSON.stringify(withCeiling.diags));
  assert.not.ok(
    withCeiling.diags.some((d) => d.code.startsWith('ce.')),
    JSON.stringify(withCeiling.diags),
  );
  // A profile without resources leaves Code Engine's default 4G, which 0.25 vCPU does not allow.
  const open = await validate(
    yaml('permissive').replace(
      'runtimes:',
      'profiles:\n  permissive: { network: { egress_allowed: true } }\nruntimes:',
    ),
  );
  assert.not.ok(open.value);
  const e = open.diags.find((d) => d.code === 'ce.invalid-cpu-memory');
  assert.ok(e, JSON.stringify(open.diags));
  assert.is(e!.summary, '0.25 vCPU / 4G is not a valid Code Engine cpu/memory pair');
  assert.is(e!.range?.start.line, 8, 'points at per_deployment_limits');
});

test.run();
