// Pins the one meaning of each quantity unit (src/config/quantities.ts): lowercase and Ki/Mi/Gi
// binary as Docker reads them, uppercase decimal as Code Engine and Kubernetes read them; and
// that the schema accepts exactly the spellings the parser reads.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatBytes, parseCpu, parseDuration, parseDurationMs, parseMemory } from '../../src/config/quantities.js';
import { validator } from '../../src/config/schemas.js';

const KI = 1024;
const MI = 1024 ** 2;
const GI = 1024 ** 3;

test('lowercase k/m/g and kb/mb/gb are binary (Docker)', () => {
  assert.is(parseMemory('512k'), 512 * KI);
  assert.is(parseMemory('512kb'), 512 * KI);
  assert.is(parseMemory('256m'), 256 * MI);
  assert.is(parseMemory('256mb'), 256 * MI);
  assert.is(parseMemory('1g'), GI);
  assert.is(parseMemory('2gb'), 2 * GI);
  assert.is(parseMemory('1.5g'), 1.5 * GI);
});

test('Ki/Mi/Gi are binary', () => {
  assert.is(parseMemory('64Ki'), 64 * KI);
  assert.is(parseMemory('512Mi'), 512 * MI);
  assert.is(parseMemory('4Gi'), 4 * GI);
});

test('uppercase K/M/G and KB/MB/GB are decimal (Code Engine, Kubernetes)', () => {
  assert.is(parseMemory('500K'), 500e3);
  assert.is(parseMemory('500KB'), 500e3);
  assert.is(parseMemory('256M'), 256e6);
  assert.is(parseMemory('256MB'), 256e6);
  assert.is(parseMemory('4G'), 4e9);
  assert.is(parseMemory('0.25G'), 250e6);
  assert.is(parseMemory('1GB'), 1e9);
});

test('ambiguous or unknown spellings are not read', () => {
  for (const bad of ['256mi', '256kB', '256Mb', '256gB', '1T', '1024', '12 parsecs', '', 'm'])
    assert.is(parseMemory(bad), undefined, bad);
  assert.is(parseMemory(undefined), undefined);
});

test('the schema accepts exactly the spellings the parser reads', () => {
  const validate = validator('config');
  const accepts = (memory: string): boolean =>
    validate({ name: 'quantities', profiles: { p: { resources: { max_memory: memory } } } }) === true;
  for (const ok of [
    '512k',
    '512kb',
    '256m',
    '256mb',
    '1g',
    '1gb',
    '64Ki',
    '512Mi',
    '4Gi',
    '500K',
    '500KB',
    '256M',
    '256MB',
    '4G',
    '1GB',
    '0.5G',
  ]) {
    assert.ok(accepts(ok), ok);
    assert.ok(parseMemory(ok) !== undefined, ok);
  }
  for (const bad of ['256mi', '256kB', '256Mb', '1gi', '1T', '512megs']) assert.not.ok(accepts(bad), bad);
});

test('cpu in cores or millicores', () => {
  assert.is(parseCpu('0.5'), 0.5);
  assert.is(parseCpu(2), 2);
  assert.is(parseCpu('250m'), 0.25);
  assert.is(parseCpu('-1'), undefined);
  assert.is(parseCpu(0), undefined);
});

test('durations in seconds and milliseconds', () => {
  assert.is(parseDuration('5m'), 300);
  assert.is(parseDuration(30), 30);
  assert.is(parseDuration('500ms'), 0.5);
  assert.is(parseDuration('2h'), 7200);
  assert.is(parseDuration('30'), 30);
  assert.is(parseDuration('soon'), undefined);
  assert.is(parseDurationMs('5m'), 300_000);
  assert.is(parseDurationMs(30), 30_000);
  assert.is(parseDurationMs('500ms'), 500);
});

test('formatBytes prints binary and decimal sizes exactly', () => {
  assert.is(formatBytes(256 * MI), '256Mi');
  assert.is(formatBytes(GI), '1Gi');
  assert.is(formatBytes(500e6), '500M');
  assert.is(formatBytes(4e9), '4G');
});

test.run();
