#!/usr/bin/env node
// Helpers the CI examples share (GitHub Actions, GitLab CI, pipeline.sh), plain Node, no deps:
//   comment <plan.md> <plan exit code> <stderr file> <out.md>   the review comment: the plan, or
//       the diagnostics when the config is invalid; past 60,000 characters it is cut at a line,
//       with a summary, and points at the full plan kept as a job artifact (plan-full.md)
//   approvers <reviews.json> [teams.json]   the approvers of a pull request: per reviewer the
//       latest review that changes approval state (APPROVED, CHANGES_REQUESTED, DISMISSED;
//       COMMENTED and PENDING do not), those APPROVED, plus the teams they belong to
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const COMMENT_LIMIT = 60_000;
const MARKER = '<!-- contextforge-plan -->';

function comment([planPath, codeText, errPath, outPath]) {
  const code = Number(codeText);
  const plan = safeRead(planPath);
  const err = safeRead(errPath);
  let body;
  if (code === 1) {
    // Invalid config or an error while planning: the diagnostics are the comment.
    body = `${MARKER}\n### contextforge: the plan failed\n\n\`contextforge plan\` exited 1. Its diagnostics:\n\n\`\`\`\n${err.trim() || '(no output)'}\n\`\`\`\n`;
    if (plan.trim()) body += `\n${plan}`;
  } else {
    body = `${MARKER}\n${plan}`;
  }
  const full = join(dirname(outPath), 'plan-full.md');
  writeFileSync(full, body);
  if (body.length > COMMENT_LIMIT) {
    const tail = `\n\n---\n**Truncated:** this comment shows ${'{shown}'} of ${body.length} characters (${body.split('\n').length} lines). The full plan is attached to the job as the artifact \`contextforge-plan\` (plan-full.md).\n`;
    const room = COMMENT_LIMIT - tail.length - 20;
    let cut = body.lastIndexOf('\n', room);
    if (cut < room / 2) cut = room;
    body = body.slice(0, cut) + tail.replace('{shown}', String(cut));
  }
  writeFileSync(outPath, body);
  process.stdout.write(
    `comment: ${body.length} characters${body.length < readFileSync(full, 'utf8').length ? ' (truncated)' : ''}\n`,
  );
}

function approvers([reviewsPath, teamsPath]) {
  const reviews = JSON.parse(readFileSync(reviewsPath, 'utf8'));
  const latest = new Map();
  const ordered = [...reviews].sort((a, b) => String(a.submitted_at ?? '').localeCompare(String(b.submitted_at ?? '')));
  for (const r of ordered) {
    const state = String(r.state ?? '').toUpperCase();
    if (!['APPROVED', 'CHANGES_REQUESTED', 'DISMISSED'].includes(state)) continue;
    latest.set(r.user?.login ?? r.author?.username ?? r.user, state);
  }
  const logins = [...latest].filter(([, s]) => s === 'APPROVED').map(([login]) => login);
  const names = new Set(logins);
  if (teamsPath) {
    const teams = JSON.parse(safeRead(teamsPath) || '{}');
    for (const login of logins) for (const t of teams[login] ?? []) names.add(t);
  }
  process.stdout.write(`${[...names].sort().join(',')}\n`);
}

function safeRead(p) {
  try {
    return p ? readFileSync(p, 'utf8') : '';
  } catch {
    return '';
  }
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === 'comment') comment(args);
else if (cmd === 'approvers') approvers(args);
else {
  process.stderr.write(
    'usage: ci-kit.mjs comment <plan.md> <code> <stderr> <out.md> | approvers <reviews.json> [teams.json]\n',
  );
  process.exit(1);
}
