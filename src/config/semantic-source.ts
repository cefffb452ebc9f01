// Rules about one catalog entry's source that JSON Schema cannot say: a command speaks stdio, a
// package names one exact release in its registry's own version syntax, a remote server speaks
// HTTP and its header templates name variables the entry declares. Pure; no registry is asked.

import { error, type Diagnostic } from '../diag/diagnostic.js';
import { rangeOf, type EntryRecord } from './records.js';

/** Exact semver (what npm installs for `name@version` without resolving a range). */
const NPM_EXACT =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;
/** An exact PEP 440 public version (what `name==version` pins). */
const PYPI_EXACT =
  /^([0-9]+!)?[0-9]+(\.[0-9]+)*((a|b|rc)[0-9]+)?(\.post[0-9]+)?(\.dev[0-9]+)?(\+[A-Za-z0-9]+(\.[A-Za-z0-9]+)*)?$/;

/** `{NAME}` placeholders of a remote header value. */
export const HEADER_PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

export function checkEntrySource(r: EntryRecord): Diagnostic[] {
  const e = r.entry;
  const s = e.source;
  const diags: Diagnostic[] = [];
  if ((s.type === 'command' || s.type === 'remote') && e.transport) {
    const t = e.transport.type;
    if (s.type === 'command' && t !== 'stdio')
      diags.push(
        error('transport.command-needs-stdio', `command source "${e.slug}" must use the stdio transport`, {
          range: rangeOf(r, ['transport', 'type']),
          detail: 'A command source is a local process speaking MCP over stdin/stdout; set transport.type to stdio.',
        }),
      );
    if (s.type === 'remote' && t === 'stdio')
      diags.push(
        error('transport.remote-needs-http', `remote source "${e.slug}" cannot use the stdio transport`, {
          range: rangeOf(r, ['transport', 'type']),
          detail:
            'A hosted server is reached over HTTP: set transport.type to streamable-http (or sse for old servers).',
        }),
      );
    if (s.type === 'remote' && (e.transport.port !== undefined || e.transport.path !== undefined))
      diags.push(
        error('transport.remote-port', `remote source "${e.slug}" takes its port and path from its url`, {
          range: rangeOf(r, ['transport']),
          detail: 'Remove transport.port and transport.path; put them in source.url.',
        }),
      );
  }
  if (s.type === 'package') {
    const exact = s.registry === 'npm' ? NPM_EXACT : PYPI_EXACT;
    if (!exact.test(s.version))
      diags.push(
        error(
          'source.package-version-inexact',
          `version "${s.version}" of ${s.registry} package ${s.name} is not one exact release`,
          {
            range: rangeOf(r, ['source', 'version']),
            detail:
              s.registry === 'npm'
                ? 'Name one exact semver version such as 1.2.3 (see `npm view <name> versions`); ranges and tags would change what runs without a review.'
                : 'Name one exact PEP 440 version such as 2025.4.7 (see the project page on pypi.org); ranges would change what runs without a review.',
          },
        ),
      );
    if (s.registry === 'pypi' && s.name.startsWith('@'))
      diags.push(
        error('source.package-name', `"${s.name}" is an npm-style scoped name, not a PyPI project name`, {
          range: rangeOf(r, ['source', 'name']),
          detail: 'Set registry: npm, or give the PyPI project name.',
        }),
      );
  }
  if (s.type === 'remote') {
    const declared = new Set(Object.keys(e.env ?? {}));
    for (const [header, value] of Object.entries(s.headers ?? {})) {
      for (const m of value.matchAll(HEADER_PLACEHOLDER)) {
        if (declared.has(m[1])) continue;
        diags.push(
          error(
            'source.header-variable-unknown',
            `header ${header} of "${e.slug}" uses {${m[1]}}, which the entry does not declare`,
            {
              range: rangeOf(r, ['source', 'headers', header]),
              detail: `Declare ${m[1]} under env of the entry (secret: true for a token); each runtime then sets its value under secrets.`,
            },
          ),
        );
      }
    }
  }
  return diags;
}
