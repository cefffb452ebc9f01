// A failed system call on the process backend's own files (.contextforge/process/…) as a
// diagnostic that names the operation and the fix, never "a bug in the backend". Any other
// error is left to the caller (it stays a bug).

import { error, type Diagnostic } from '../../diag/diagnostic.js';
import { systemErrorCode } from '../../diag/error.js';

export function fsFailure(err: unknown, what: string, address?: string): Diagnostic | undefined {
  const code = systemErrorCode(err);
  if (!code) return undefined;
  return error('process.files-failed', `${what}: ${(err as Error).message}`, {
    ...(address ? { address } : {}),
    detail:
      code === 'ENOSPC' || code === 'EDQUOT'
        ? 'The disk holding .contextforge/process/ beside the config is full: free space and run it again.'
        : 'The process backend keeps its status files, sockets and logs in .contextforge/process/ beside the config: make sure that path is a directory writable by this user on a writable disk, then run it again.',
  });
}
