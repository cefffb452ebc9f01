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
# The repository pins contextforge in its package.json and the job ran `npm ci`: the pinned bin runs
# from node_modules/.bin directly (no npx lookup, no download). CONTEXTFORGE_BIN overrides it.
CF="${CONTEXTFORGE_BIN:-node_modules/.bin/contextforge}"

case "${1:-}" in
  plan)
    "$CF" validate -f "$CONFIG"
    set +e
    "$CF" plan -f "$CONFIG" --format markdown --detailed-exitcode > plan.md
    code=$?
    set -e
    if [ "$code" = 1 ]; then exit 1; fi
    # Post plan.md as the review comment with your CI's API (e.g. glab mr note, gh pr comment).
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
