// The seccomp profile file a runtime names (guardrails.seccomp: <path>): read once as JSON and
// reduced to a canonical text and its digest. The plan's resolution phase puts the digest into
// the spec, so editing the file moves the spec hash; the Docker backend applies the same text
// and refuses a file that changed after the plan. Reads one file; decides nothing else.

import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { canonicalJson, sha256Hex } from '../model/canonical.js';

/** True when `seccomp` names a profile file rather than a built-in mode. */
export function isSeccompFile(seccomp: string | undefined): seccomp is string {
  return seccomp !== undefined && seccomp !== 'runtime/default' && seccomp !== 'unconfined';
}

export interface SeccompProfile {
  /** The profile as compact JSON, what Docker's `seccomp=` security option takes. */
  text: string;
  /** `sha256:<hex>` of the canonical JSON (key order and whitespace do not move it). */
  digest: string;
}

/** Reads and parses the profile; throws with the file system's or JSON parser's message. */
export async function readSeccompProfile(path: string, configDir: string): Promise<SeccompProfile> {
  const parsed: unknown = JSON.parse(await readFile(resolve(configDir, path), 'utf8'));
  return { text: JSON.stringify(parsed), digest: `sha256:${sha256Hex(canonicalJson(parsed))}` };
}
