// Words for a command line the parser refused: an unknown command or option, named as the user
// typed it (cac reports options camelCased, `--detailedExitcod`), with a "did you mean" taken
// from the command table or the command's own options. Pure string work over cac's tables.

import type { CAC } from 'cac';
import { didYouMean } from '../diag/suggest.js';
import { VERBS } from './verbs.js';

/** The message for a word in command position that names no command. */
export function unknownCommandMessage(word: string): string {
  const guess = didYouMean(word, Object.keys(VERBS));
  return (
    `error: unknown command "${word}"\n` +
    (guess ? `  did you mean \`contextforge ${guess}\`?\n` : '') +
    '  run `contextforge --help` for the list of commands\n'
  );
}

/** Every spelling (`-f`, `--file`, `--no-watch`, …) the matched command and the globals accept. */
function acceptedFlags(cli: CAC): string[] {
  const options = [...cli.globalCommand.options, ...(cli.matchedCommand?.options ?? [])];
  const out = new Set<string>(['--help', '-h', '--version', '-v']);
  for (const o of options) {
    for (const part of o.rawName.split(',')) {
      const flag = part.trim().split(/\s/)[0];
      if (flag.startsWith('-')) out.add(flag);
    }
  }
  return [...out];
}

/**
 * The flag as typed for cac's `Unknown option \`--camelCased\``: the first option token of args
 * that none of the command's spellings accepts. Undefined when args hold no such token.
 */
function typedFlag(args: readonly string[], accepted: readonly string[], reported: string): string | undefined {
  const known = new Set(accepted);
  const camel = (s: string): string => s.replace(/-+([a-z0-9])/gi, (_, c: string) => c.toUpperCase());
  const candidates: string[] = [];
  for (const a of args) {
    if (a === '--') break;
    if (!a.startsWith('-') || a === '-') continue;
    const flag = a.split('=')[0];
    if (!flag.startsWith('--') && flag.length > 2) {
      // A cluster of short flags (-xyz): each letter is its own flag.
      for (const ch of flag.slice(1)) if (!known.has(`-${ch}`)) candidates.push(`-${ch}`);
      continue;
    }
    if (!known.has(flag)) candidates.push(flag);
  }
  const want = reported.replace(/^-+/, '');
  return candidates.find((c) => camel(c.replace(/^-+/, '')) === want) ?? candidates[0];
}

/** The message for cac's unknown-option error, or undefined when the error is another one. */
export function unknownOptionMessage(cli: CAC, args: readonly string[], cacMessage: string): string | undefined {
  const m = /^Unknown option `(.+)`$/.exec(cacMessage);
  if (!m) return undefined;
  const accepted = acceptedFlags(cli);
  const typed = typedFlag(args, accepted, m[1]) ?? m[1];
  const longs = accepted.filter((f) => f.startsWith('--'));
  const guess = typed.startsWith('--') ? didYouMean(typed, longs) : undefined;
  const verb = cli.matchedCommandName ? `contextforge ${cli.matchedCommandName}` : 'contextforge';
  return (
    `error: unknown option ${typed}\n` +
    (guess ? `  did you mean ${guess}?\n` : '') +
    `  run \`${verb} --help\` for its options\n`
  );
}
