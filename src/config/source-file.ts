// Reads one YAML file of the config (the main file or an included one): parse with positions,
// interpolate ${VAR}s, validate against a schema kind. Returns the interpolated value only
// when the file parsed; schema errors are diagnostics. Reads exactly one file, nothing else.

import { readFileSync } from 'node:fs';
import { error, type Diagnostic } from '../diag/diagnostic.js';
import { interpolate } from './interpolate.js';
import { schemaErrorsToDiagnostics } from './schema-errors.js';
import { validator } from './schemas.js';
import { parseYaml, type ParsedYaml } from './yaml-source.js';

export interface SourceFile {
  parsed: ParsedYaml;
  /** The interpolated value; undefined when the YAML did not parse. */
  value: unknown;
  /** True when the value passed schema validation. */
  schemaOk: boolean;
  substituted: Map<string, string[]>;
  diags: Diagnostic[];
}

export function readSourceFile(path: string, kind: 'config' | 'catalog' | 'profile', env: Record<string, string | undefined>): SourceFile | { diags: Diagnostic[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return {
      diags: [error('config.unreadable', code === 'ENOENT' ? `file not found: ${path}` : `cannot read ${path} (${code ?? 'error'})`, {
        detail: code === 'ENOENT' ? 'Check the path, or pass the config with -f FILE.' : 'Check the file permissions.',
      })],
    };
  }
  return checkSourceText(text, path, kind, env);
}

export function checkSourceText(text: string, path: string, kind: 'config' | 'catalog' | 'profile', env: Record<string, string | undefined>): SourceFile {
  const parsed = parseYaml(text, path);
  const diags = [...parsed.diags];
  if (diags.some((d) => d.severity === 'error')) return { parsed, value: undefined, schemaOk: false, substituted: new Map(), diags };
  if (parsed.value === null || parsed.value === undefined || typeof parsed.value !== 'object' || Array.isArray(parsed.value)) {
    const what = kind === 'config' ? 'a config' : kind === 'catalog' ? 'a catalog entry' : 'a guardrail profile';
    const empty = parsed.value === null || parsed.value === undefined;
    diags.push(error(empty ? 'yaml.empty' : 'yaml.not-a-mapping', empty ? 'the file is empty' : 'the file is not a mapping', {
      range: parsed.spans.get('')?.value ?? parsed.range(0, 0),
      detail: empty && kind === 'config' ? 'A config needs at least `name: <stack>`.' : `A file holding ${what} must be a YAML mapping of keys to values.`,
    }));
    return { parsed, value: undefined, schemaOk: false, substituted: new Map(), diags };
  }
  const interp = interpolate(parsed, env);
  diags.push(...interp.diags);
  const validate = validator(kind);
  const schemaOk = validate(interp.value) as boolean;
  if (!schemaOk) {
    // A value whose variable is unset already has its diagnostic; its schema error is noise.
    const unset = new Set(interp.diags.map((d) => d.pointer));
    diags.push(...schemaErrorsToDiagnostics(validate.errors ?? [], parsed).filter((d) => !unset.has(d.pointer)));
  }
  return { parsed, value: interp.value, schemaOk, substituted: interp.substituted, diags };
}
