// Reads the `# ERROR: <summary>` markers of the invalid-config corpus: each marks the line a
// diagnostic must point at and text its summary must contain (`# ERROR-AT` alone: any error
// summary). `# SECRET: <value>` names a value no output may contain. A fixture may own a
// directory of the same name whose YAML files (included by the fixture) carry markers too.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = fileURLToPath(new URL('../fixtures/config/', import.meta.url));
export const INVALID = join(FIXTURES, 'invalid');
export const VALID = join(FIXTURES, 'valid');
export const HOSTILE = join(FIXTURES, 'hostile');

export interface Marker {
  file: string;
  line: number;
  text: string;
}

export function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => n.endsWith('.yaml'))
    .sort()
    .map((n) => join(dir, n));
}

function markersIn(file: string): Marker[] {
  const out: Marker[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      const m = /#\s*ERROR:\s*(.+?)\s*$/.exec(line);
      if (m) out.push({ file, line: i + 1, text: m[1] });
      else if (/#\s*ERROR-AT\s*$/.test(line)) out.push({ file, line: i + 1, text: '' });
    });
  return out;
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const n of readdirSync(dir).sort()) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (n.endsWith('.yaml')) out.push(p);
  }
  return out;
}

/** Markers of a fixture and of the files in its companion directory. */
export function markersOf(fixture: string): Marker[] {
  const companion = fixture.replace(/\.yaml$/, '');
  const files = [fixture, ...(existsSync(companion) ? walk(companion) : [])];
  return files.flatMap(markersIn);
}

/** Values a fixture marks with `# SECRET: <value>`: no output may contain them. */
export function secretsOf(fixture: string): string[] {
  const out: string[] = [];
  for (const line of readFileSync(fixture, 'utf8').split('\n')) {
    const m = /^#\s*SECRET:\s*(.+?)\s*$/.exec(line);
    if (m) out.push(m[1]);
  }
  return out;
}
