// Reads one YAML file of the config (the main file or an included one): parse with positions,
// interpolate ${VAR}s, validate against a schema kind. Returns the interpolated value only
// when the file parsed; schema errors are diagnostics. Reads exactly one file, nothing else,
// and only through the path policy of confine.ts.

import { error, type Diagnostic, type SourceRange } from '../diag/diagnostic.js';
import { readConfined, type Confinement } from './confine.js';
import { decodeUtf8 } from './encoding.js';
import { interpolate } from './interpolate.js';
import { schemaErrorsToDiagnostics } from './schema-errors.js';
import { preScanSecrets } from './secret-scan.js';
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
  /** Backend credentials left unset under `optionalCredentials` (plan only). */
  missingCredentials?: Array<{ backend: string; variable: string }>;
}

export interface ReadSource {
  kind: 'config' | 'catalog' | 'profile';
  env: Record<string, string | undefined>;
  /** The path policy the file must pass (config directory or allow-list, size bound). */
  confinement: Confinement;
  /** The key that named the file (an include pattern), for diagnostics about the file itself. */
  at?: SourceRange;
  /** See InterpolateOptions.optionalCredentials (the config file only). */
  optionalCredentials?: boolean;
  /** See InterpolateOptions.destroying (the config file only). */
  destroying?: boolean;
}

export function readSourceFile(path: string, req: ReadSource): SourceFile | { diags: Diagnostic[] } {
  const what = req.kind === 'config' ? 'config file' : req.kind === 'catalog' ? 'catalog file' : 'profile file';
  const r = readConfined(path, req.confinement, { what, at: req.at });
  if (!r.ok) {
    if (r.reason === 'missing' && req.kind === 'config') {
      return {
        diags: [
          error('config.unreadable', `file not found: ${path}`, {
            detail: 'Check the path, or pass the config with -f FILE.',
          }),
        ],
      };
    }
    return { diags: [r.diag] };
  }
  const decoded = decodeUtf8(r.bytes, path);
  if (decoded.diag) return { diags: [decoded.diag] };
  return checkSourceText(decoded.text, path, req.kind, req.env, {
    optionalCredentials: req.optionalCredentials,
    destroying: req.destroying,
  });
}

/** Bytes of a config file to text (UTF-8). */
export function decodeSource(bytes: Buffer): string {
  return bytes.toString('utf8');
}

export function checkSourceText(
  text: string,
  path: string,
  kind: 'config' | 'catalog' | 'profile',
  env: Record<string, string | undefined>,
  options: { optionalCredentials?: boolean; destroying?: boolean } = {},
): SourceFile {
  const parsed = parseYaml(text, path);
  const diags = [...parsed.diags];
  // Secrets are known before anything is reported, even when the file does not parse and no
  // structure says where its secrets are.
  preScanSecrets(text, path, env, parsed.secretScan);
  // Syntax errors leave no value; errors the parser reports in place (non-finite numbers) do.
  if (parsed.value === undefined && diags.some((d) => d.severity === 'error'))
    return { parsed, value: undefined, schemaOk: false, substituted: new Map(), diags };
  if (
    parsed.value === null ||
    parsed.value === undefined ||
    typeof parsed.value !== 'object' ||
    Array.isArray(parsed.value)
  ) {
    const what = kind === 'config' ? 'a config' : kind === 'catalog' ? 'a catalog entry' : 'a guardrail profile';
    const empty = parsed.value === null || parsed.value === undefined;
    diags.push(
      error(empty ? 'yaml.empty' : 'yaml.not-a-mapping', empty ? 'the file is empty' : 'the file is not a mapping', {
        range: parsed.spans.get('')?.value ?? parsed.range(0, 0),
        // A file that is one scalar may be anything (a password file, /proc/self/environ): its
        // text is not shown.
        showSource: empty || Array.isArray(parsed.value),
        detail:
          empty && kind === 'config'
            ? 'A config needs at least `name: <stack>`.'
            : `A file holding ${what} must be a YAML mapping of keys to values.`,
      }),
    );
    return { parsed, value: undefined, schemaOk: false, substituted: new Map(), diags };
  }
  const interp = interpolate(parsed, env, {
    optionalCredentials: kind === 'config' && options.optionalCredentials,
    destroying: kind === 'config' && options.destroying,
  });
  diags.push(...interp.diags);
  const validate = validator(kind);
  const finiteError = diags.some((d) => d.severity === 'error' && d.code === 'yaml.number-not-finite');
  let schemaOk = (validate(interp.value) as boolean) && !finiteError;
  if (!schemaOk) {
    // A value whose variable is unset, or a non-finite number, already has its diagnostic; its
    // schema error is noise.
    const unset = new Set<string | undefined>(
      [...interp.diags, ...parsed.diags].map((d) => d.pointer).filter((p) => p !== undefined),
    );
    const schemaDiags = schemaErrorsToDiagnostics(validate.errors ?? [], parsed).filter((d) => !unset.has(d.pointer));
    diags.push(...schemaDiags);
    // Credentials a plan may go without leave their key empty: the schema's only complaint.
    if (interp.missingCredentials.length > 0 && schemaDiags.length === 0 && !finiteError)
      schemaOk = !diags.some((d) => d.severity === 'error');
  }
  return {
    parsed,
    value: interp.value,
    schemaOk,
    substituted: interp.substituted,
    diags,
    ...(interp.missingCredentials.length ? { missingCredentials: interp.missingCredentials } : {}),
  };
}
