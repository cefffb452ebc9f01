// What every verb module shares with main.ts: the registrar signature, the command of a verb
// built from the table in verbs.ts, and the package version. Imports only cac's types and
// node:fs, so that a verb module never has to import main.ts (no import circle through it).

import type { CAC, Command } from 'cac';
import { readFileSync } from 'node:fs';
import { VERBS, type VerbName } from './verbs.js';

/** Adds a verb's command(s) to cli; the action hands its exit code (or its promise) to setExit. */
export type VerbRegistrar = (cli: CAC, setExit: (code: number | Promise<number>) => void) => void;

/** The cac command of `name`, with the usage and summary of the command table. */
export function verbCommand(cli: CAC, name: VerbName): Command {
  return cli.command(VERBS[name].usage, VERBS[name].summary);
}

let version: string | undefined;

export function packageVersion(): string {
  version ??= (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string })
    .version;
  return version;
}
