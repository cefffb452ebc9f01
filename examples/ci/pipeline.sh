#!/bin/sh
# A generic CI pipeline for a contextforge config repository (GitLab CI, Jenkins, Buildkite...):
#
#   examples/ci/pipeline.sh plan    on a merge/pull request: writes plan.md for the review comment
#   examples/ci/pipeline.sh apply   after the merge: applies with the approvals of the review
#
# The CI job sets CONTEXTFORGE_APPROVED_BY to the comma-separated reviewers (and their groups) who
# approved the merge request. contextforge applies the changes whose approval rules those names
# satisfy and holds the rest. Exit codes: 0 applied / no changes, 1 error, 3 changes held for
# approval (nothing unapproved was applied). On plan: 0 no changes, 2 changes, 1 error.
set -eu

CONFIG="${CONTEXTFORGE_CONFIG:-contextforge.yaml}"
# contextforge is not installed by a registry name (it is not published; a name anyone could
# register must never run next to credentials): install a pinned git URL or release tarball,
# e.g. `npm install --prefix "$HOME/.cf" "git+https://<host>/<owner>/contextforge.git#<sha>"`, and
# set CONTEXTFORGE_BIN to its bin (default: node_modules/.bin/contextforge of this checkout).
# State: set `state: { backend: postgres, url: ${DATABASE_URL} }` so jobs share one truth.
# Merge-request jobs should get no cloud credentials; give them to the protected-branch job only.
CF="${CONTEXTFORGE_BIN:-node_modules/.bin/contextforge}"
# ci-kit.mjs (comment building, approvers from reviews) ships beside this script in the package.
KIT="$(dirname "$0")/ci-kit.mjs"

case "${1:-}" in
  plan)
    set +e
    "$CF" plan -f "$CONFIG" --format markdown --detailed-exitcode > plan.md 2> plan.err
    code=$?
    set -e
    cat plan.err >&2
    # comment.md: the plan, or the diagnostics of an invalid config; cut past 60,000 characters
    # (the full text is plan-full.md: keep it as a job artifact).
    node "$KIT" comment plan.md "$code" plan.err comment.md
    # Post comment.md as the review comment with your CI's API (e.g. glab mr note, gh pr comment).
    if [ "$code" = 1 ]; then echo "plan: failed (see comment.md)" >&2; exit 1; fi
    if [ "$code" = 2 ]; then echo "plan: changes pending (see plan.md)"; else echo "plan: no changes"; fi
    exit 0
    ;;
  apply)
    echo "apply: approved by ${CONTEXTFORGE_APPROVED_BY:-(nobody)}"
    set +e
    "$CF" apply -f "$CONFIG" --auto-approve
    code=$?
    set -e
    if [ "$code" = 3 ]; then
      echo "apply: changes held for approval; approve them in review (or with contextforge approvals on a watching host)" >&2
    fi
    exit "$code"
    ;;
  *)
    echo "usage: $0 plan|apply" >&2
    exit 1
    ;;
esac
