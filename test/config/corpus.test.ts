// Every invalid config of the corpus yields an error diagnostic whose summary contains the
// fixture's `# ERROR:` text and whose range starts on the marked line of the marked file; every
// valid config loads without errors.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { relative } from 'node:path';
import { validateConfig } from '../../src/plan/validate-config.js';
import { INVALID, VALID, markersOf, yamlFiles } from './markers.js';

const env = { CF_FIXTURE_SET: 'set-value-0000' };
const invalid = yamlFiles(INVALID);

test('the invalid corpus has at least 45 configs, each with a marker', () => {
  assert.ok(invalid.length >= 45, `only ${invalid.length} invalid fixtures`);
  for (const f of invalid) assert.ok(markersOf(f).length > 0, `${relative(INVALID, f)} has no # ERROR: marker`);
});

for (const fixture of invalid) {
  const name = relative(INVALID, fixture);
  test(`invalid/${name}`, async () => {
    const r = await validateConfig(fixture, { env });
    assert.is(r.value, undefined, 'an invalid config must not produce a value');
    const errors = r.diags.filter((d) => d.severity === 'error');
    for (const m of markersOf(fixture)) {
      const hit = errors.find(
        (d) => d.summary.includes(m.text) && d.range?.file === m.file && d.range.start.line === m.line,
      );
      if (!hit) {
        const got = r.diags
          .map(
            (d) =>
              `  ${d.severity} ${d.range ? `${relative(INVALID, d.range.file)}:${d.range.start.line}` : '-'} ${d.summary}`,
          )
          .join('\n');
        assert.unreachable(`${relative(INVALID, m.file)}:${m.line} expects an error "${m.text}"; got:\n${got}`);
      }
    }
  });
}

for (const fixture of yamlFiles(VALID)) {
  test(`valid/${relative(VALID, fixture)}`, async () => {
    const r = await validateConfig(fixture, { env });
    const errors = r.diags.filter((d) => d.severity === 'error');
    assert.equal(
      errors.map((d) => `${d.range?.start.line}: ${d.summary}`),
      [],
    );
    assert.ok(r.value, 'a valid config produces a LoadedConfig');
  });
}

test.run();
