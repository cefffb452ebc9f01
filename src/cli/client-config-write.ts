// `client-config <client> --write`: merges the snippet into the client's own config file. Each
// client's file and shape (facts from the clients' documentation):
//   claude-desktop  claude_desktop_config.json (macOS ~/Library/Application Support/Claude/,
//                   Windows %APPDATA%\Claude\, Linux ~/.config/Claude/): { mcpServers: { name: {command, args, env} } }
//   vscode          .vscode/mcp.json of the workspace: { servers: { name: {type, url, headers} }, inputs: [...] }
//   cursor          ~/.cursor/mcp.json: { mcpServers: { name: {url, headers} } }
//   claude-code     .mcp.json of the project: { mcpServers: { name: {type, url, headers} } }
// Only our server entry (and VS Code inputs with our ids) is replaced; every other key stays. An
// existing file is copied to <file>.bak first and the new one is written atomically. VS Code reads
// its mcp.json as JSONC (comments, trailing commas): that file is edited in place with Microsoft's
// jsonc-parser, so the user's comments and layout outside our entries stay. The other clients parse
// strict JSON; a file of theirs that is not a JSON object (comments included) is refused, never
// rewritten.

import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { applyEdits, modify, parse, printParseErrorCode, type ParseError } from 'jsonc-parser';

export type WritableClient = 'claude-desktop' | 'vscode' | 'cursor' | 'claude-code';

/** The client's config file on this machine (cwd for the project-scoped ones). */
export function clientConfigFile(client: WritableClient, cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  switch (client) {
    case 'claude-desktop':
      if (process.platform === 'darwin')
        return join(homedir(), 'Library', 'Application Support', 'Claude', 'claude_desktop_config.json');
      if (process.platform === 'win32')
        return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'Claude', 'claude_desktop_config.json');
      return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'Claude', 'claude_desktop_config.json');
    case 'vscode':
      return join(cwd, '.vscode', 'mcp.json');
    case 'cursor':
      return join(homedir(), '.cursor', 'mcp.json');
    case 'claude-code':
      return join(cwd, '.mcp.json');
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The merged document: `snippet`'s entries replace same-named ones of `existing`. */
export function mergeClientConfig(existing: Obj, snippet: Obj): Obj {
  const out: Obj = { ...existing };
  for (const [key, value] of Object.entries(snippet)) {
    if (isObj(value)) {
      out[key] = { ...(isObj(existing[key]) ? existing[key] : {}), ...value };
    } else if (Array.isArray(value)) {
      // VS Code's inputs: replace ours by id, keep the others in their order.
      const ids = new Set(value.map((v) => (isObj(v) ? v.id : undefined)));
      const kept = (Array.isArray(existing[key]) ? (existing[key] as unknown[]) : []).filter(
        (v) => !(isObj(v) && ids.has(v.id)),
      );
      out[key] = [...kept, ...value];
    } else out[key] = value;
  }
  return out;
}

export type WriteResult = { file: string; backup?: string } | { error: string; detail: string };

/** Clients whose own parser accepts comments and trailing commas in this file. */
const JSONC_CLIENTS: ReadonlySet<WritableClient> = new Set(['vscode']);

/**
 * `text` with `snippet` merged as {@link mergeClientConfig} would, by edits that leave comments,
 * order and formatting outside our entries untouched.
 */
export function editJsoncConfig(text: string, existing: Obj, snippet: Obj): string {
  const formattingOptions = { insertSpaces: true, tabSize: 2, eol: text.includes('\r\n') ? '\r\n' : '\n' };
  let out = text;
  const set = (path: (string | number)[], value: unknown, isArrayInsertion = false): void => {
    out = applyEdits(out, modify(out, path, value, { formattingOptions, isArrayInsertion }));
  };
  for (const [key, value] of Object.entries(snippet)) {
    const current = existing[key];
    if (isObj(value) && isObj(current)) {
      for (const [name, entry] of Object.entries(value)) set([key, name], entry);
    } else if (Array.isArray(value) && Array.isArray(current)) {
      // VS Code's inputs: ours replaced in place by id, new ones appended.
      for (const item of value) {
        const at = isObj(item) ? current.findIndex((v) => isObj(v) && v.id === item.id) : -1;
        set([key, at], item, false);
        if (at === -1) current.push(item);
      }
    } else set([key], value);
  }
  return out.endsWith('\n') ? out : `${out}\n`;
}

export function writeClientConfig(file: string, snippet: Obj, client?: WritableClient): WriteResult {
  const jsonc = client !== undefined && JSONC_CLIENTS.has(client);
  let existing: Obj = {};
  let text: string | undefined;
  let backup: string | undefined;
  if (existsSync(file)) {
    text = readFileSync(file, 'utf8');
    let parsed: unknown;
    if (jsonc) {
      const errors: ParseError[] = [];
      parsed = text.trim() ? parse(text, errors, { allowTrailingComma: true, disallowComments: false }) : {};
      if (errors.length > 0) {
        const first = errors[0]!;
        return {
          error: `${file} is not valid JSONC (${printParseErrorCode(first.error)} at offset ${first.offset}); nothing was written`,
          detail: 'Fix the file, or merge the printed snippet by hand.',
        };
      }
    } else {
      try {
        parsed = text.trim() ? JSON.parse(text) : {};
      } catch (err) {
        return {
          error: `${file} is not plain JSON (${(err as Error).message}); nothing was written`,
          detail: 'Remove comments or trailing commas from it, or merge the printed snippet by hand.',
        };
      }
    }
    if (!isObj(parsed))
      return { error: `${file} does not hold a JSON object; nothing was written`, detail: 'Fix or move the file.' };
    existing = parsed;
    backup = `${file}.bak`;
    copyFileSync(file, backup);
  }
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const mode = existsSync(file) ? statSync(file).mode & 0o777 : 0o600;
  const body =
    jsonc && text !== undefined && text.trim()
      ? editJsoncConfig(text, existing, snippet)
      : `${JSON.stringify(mergeClientConfig(existing, snippet), null, 2)}\n`;
  writeFileSync(tmp, body, { mode });
  renameSync(tmp, file);
  return backup ? { file, backup } : { file };
}
