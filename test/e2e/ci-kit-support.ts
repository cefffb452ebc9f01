// What the CI kit tests (GitHub Actions and GitLab CI) share: a config repository as a local bare
// git repository with an author's clone, fresh checkouts of it as a runner makes them, and the
// quick-start config with PostgreSQL state and an approval rule.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function git(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.com',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.com',
    },
  });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const APPROVAL =
  '\napproval:\n  enabled: true\n  required_for:\n    - backend_type: process\n  approvers:\n    - user: alice\n';
const STATE = '\nstate:\n  backend: postgres\n  url: ${DATABASE_URL}\n';

/** The repository's quick start with PostgreSQL state and an approval rule for process runtimes. */
export const baseConfig = (repo: string): string =>
  readFileSync(join(repo, 'contextforge.yaml'), 'utf8') + STATE + APPROVAL;

export interface ConfigRepo {
  /** Commits the config as the author and pushes it to main; returns the commit id. */
  commit(config: string, message: string): string;
  /** A fresh checkout of main, as a runner's checkout leaves it (plus the example server's deps). */
  checkout(): string;
}

/** A bare origin and an author's clone under root, holding the quick-start example server. */
export function configRepo(root: string, repo: string): ConfigRepo {
  const origin = join(root, 'origin.git');
  const author = join(root, 'author');
  git(root, 'init', '-q', '--bare', '-b', 'main', origin);
  git(root, 'init', '-q', '-b', 'main', author);
  git(author, 'remote', 'add', 'origin', origin);
  mkdirSync(join(author, 'examples'));
  cpSync(join(repo, 'examples', 'quickstart-server'), join(author, 'examples', 'quickstart-server'), {
    recursive: true,
  });
  return {
    commit(config, message) {
      writeFileSync(join(author, 'contextforge.yaml'), config);
      git(author, 'add', '-A');
      git(author, 'commit', '-qm', message);
      git(author, 'push', '-q', 'origin', 'HEAD:main');
      return git(author, 'rev-parse', 'HEAD').trim();
    },
    checkout() {
      const ws = mkdtempSync(join(root, 'ws-'));
      git(root, 'clone', '-q', origin, ws);
      symlinkSync(join(repo, 'node_modules'), join(ws, 'node_modules'), 'dir');
      return ws;
    },
  };
}
