// Locates files shipped with the contextforge package (schema/, profiles/, catalog/) from
// both src/ (run through tsx) and dist/ (compiled): both sit two levels below the root.

import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function packagePath(...parts: string[]): string {
  return join(PACKAGE_ROOT, ...parts);
}
