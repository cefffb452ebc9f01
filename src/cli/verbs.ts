// The table of contextforge's commands: usage and one-line summary of each, with no imports, so
// that `contextforge --help` lists every command without loading one verb module. Each verb module
// takes its usage and summary from here (one place for each); main.ts maps names to modules.

export interface VerbEntry {
  /** cac's raw name: the verb and its positional arguments. */
  usage: string;
  summary: string;
}

/** In the order `--help` lists them. */
export const VERBS = {
  apply: { usage: 'apply [planfile]', summary: 'Make the live state match the config (or perform a saved plan)' },
  approvals: {
    usage: 'approvals <action> [id]',
    summary: 'Approval requests: list | show <id> | approve <id> | reject <id> --reason "..."',
  },
  catalog: {
    usage: 'catalog [action] [slug]',
    summary: "List, search or show catalog entries; sync the config's remote catalogs (catalog sync)",
  },
  'client-config': {
    usage: 'client-config [client]',
    summary:
      'Print (or --write into its config file) the entry that points an MCP client at the gateway (claude-desktop, vscode, cursor, claude-code, inspector)',
  },
  destroy: { usage: 'destroy', summary: 'Remove everything contextforge created for this stack' },
  dev: {
    usage: 'dev [target] [subject]',
    summary:
      'Development aids: `dev code-engine` runs the local Code Engine emulator; `dev smoke code-engine` checks a real account',
  },
  logs: { usage: 'logs <runtime>', summary: 'Print the log lines of a runtime' },
  lock: {
    usage: 'lock',
    summary: "Pin each runtime's artifact and tool surface into contextforge.lock (--check: exit 1 when it is stale)",
  },
  plan: { usage: 'plan', summary: 'Show what apply would change (desired config vs live state)' },
  profiles: {
    usage: 'profiles [action] [name]',
    summary: 'List guardrail profiles, show one, or check what a backend enforces of it',
  },
  schema: {
    usage: 'schema',
    summary: 'Print the JSON Schema of contextforge.yaml (or of a catalog entry, profile, plan)',
  },
  serve: { usage: 'serve', summary: 'Serve the applied runtimes through the gateway (follows later applies)' },
  'force-unlock': {
    usage: 'force-unlock [lock-id]',
    summary: 'Remove the state lock of the stack by its id (when a run died on another host); asks unless -force',
  },
  history: { usage: 'history', summary: 'List recorded plan/apply/destroy runs (a plan only when saved with -out)' },
  events: {
    usage: 'events',
    summary: 'List the audit log (apply outcomes, drift repairs, guardrail warnings, approvals)',
  },
  state: {
    usage: 'state <action>',
    summary:
      'State store maintenance: `state migrate --to postgres://...` copies the SQLite state into PostgreSQL; `state rebuild` re-creates a damaged SQLite file from what the backends run',
  },
  status: {
    usage: 'status',
    summary: 'Show each runtime: state, health, endpoint, uptime, restarts, guardrail warnings',
  },
  up: { usage: 'up', summary: 'Apply the config, serve it through the gateway, and re-apply on every save' },
  validate: {
    usage: 'validate',
    summary: 'Check a config (schema, references, backend rules) without touching any backend',
  },
  watch: {
    usage: 'watch',
    summary: 'Reconcile on every save (or new git commit), repair drift on an interval, run approvals',
  },
} as const satisfies Record<string, VerbEntry>;

export type VerbName = keyof typeof VERBS;

export function isVerb(name: string): name is VerbName {
  return Object.prototype.hasOwnProperty.call(VERBS, name);
}
