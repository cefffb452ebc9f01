// What the process backend can run, checked without I/O: a command or package source speaking stdio.
// Anything else is an error on the runtime, with its source range and how to fix it.

import { error, type Diagnostic } from '../../diag/diagnostic.js';
import type { DesiredResource } from '../../model/resources.js';

/** The problems of one runtime on backend `backend`. */
export function validateRuntime(backend: string, d: DesiredResource): Diagnostic[] {
  const diags: Diagnostic[] = [];
  if (d.spec.source.type !== 'command' && d.spec.source.type !== 'package') {
    diags.push(
      error(
        'process.source-unsupported',
        `runtime ${d.runtime} uses a ${d.spec.source.type} source, which backend ${backend} (process) cannot run`,
        {
          address: d.address,
          range: d.range,
          detail:
            'The process backend runs local commands and packages only: give the catalog entry `source: {type: command, command: ...}` or `{type: package, ...}`, or put the runtime on a docker backend.',
        },
      ),
    );
  }
  if (d.spec.transport.type !== 'stdio') {
    diags.push(
      error(
        'process.transport-unsupported',
        `runtime ${d.runtime} speaks ${d.spec.transport.type}, but backend ${backend} (process) attaches to stdio only`,
        {
          address: d.address,
          range: d.range,
          detail: 'Set `transport: {type: stdio}` on the catalog entry (command sources speak stdio by default).',
        },
      ),
    );
  }
  return diags;
}
