// Names of imported registry entries: the registry's reverse-DNS name (io.github.owner/name)
// becomes a catalog slug that the config's identifier rule accepts, and the `filter.names`
// globs of a catalog source match registry names. Pure; collisions are reported by the caller.

import { sha256Hex } from '../../model/canonical.js';

/** The longest slug the config accepts (`^[a-z][a-z0-9_-]{0,62}$`). */
const MAX_SLUG = 63;

/**
 * `io.github.modelcontextprotocol/server-memory` → `io-github-modelcontextprotocol-server-memory`:
 * lowercase, every run of other characters one '-', a leading letter guaranteed. A name too long
 * for a slug keeps its head and ends in 8 hex digits of its hash, so that two long names
 * sharing a head still differ.
 */
export function slugFor(name: string): string {
  let s = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (!/^[a-z]/.test(s)) s = `r-${s}`;
  if (s.length > MAX_SLUG) s = `${s.slice(0, MAX_SLUG - 9).replace(/-+$/, '')}-${sha256Hex(name).slice(0, 8)}`;
  return s;
}

/**
 * A `filter.names` glob as a regular expression over the whole name: `*` matches within one
 * '/'-separated part, `**` across parts, `?` one character. Nothing else is special (no classes,
 * no braces), so a name with regex characters is matched literally.
 */
export function nameGlob(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'i');
}
