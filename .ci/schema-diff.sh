#!/usr/bin/env bash
# Schema evolution check: compares a repository's schema/ with its previous
# commit's (or SCHEMA_DIFF_BASE's) using clients/schema-diff.mjs
# (@graphql-inspector/core), and fails on a breaking change that
# SCHEMA_CHANGELOG.md does not list under "Intended breaking changes".
#
#   .ci/schema-diff.sh [repo]     # repo defaults to this one
#
# Needs clients/node_modules (npm ci in clients/). With no previous commit
# (a first commit, a shallow clone) there is nothing to compare: it says so
# and passes.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
repo="$(cd "${1:-$root}" && pwd)"
base="${SCHEMA_DIFF_BASE:-HEAD~1}"

if ! git -C "$repo" rev-parse --verify --quiet "$base^{commit}" >/dev/null; then
  echo "schema-diff: no commit $base to compare with (first commit or shallow clone): nothing to check"
  exit 0
fi
if [ -z "$(git -C "$repo" ls-tree --name-only "$base" -- schema)" ]; then
  echo "schema-diff: $base has no schema/: nothing to compare"
  exit 0
fi
old="$(mktemp -d)"
trap 'rm -rf "$old"' EXIT
git -C "$repo" archive "$base" schema | tar -x -C "$old"
echo "schema-diff: $(git -C "$repo" rev-parse --short "$base") ($base) -> working tree"
node "$root/clients/schema-diff.mjs" --old "$old/schema" --new "$repo/schema" --changelog "$repo/SCHEMA_CHANGELOG.md"
