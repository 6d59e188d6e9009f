#!/usr/bin/env bash
# Fails when a Rust source file (code, tests, benches) is longer than 600 lines: a file that
# long holds more than one job, and is split before it grows further.
set -euo pipefail
cd "$(dirname "$0")/.."
limit=600
long=$(find services -name '*.rs' -not -path '*/target/*' -print0 \
  | xargs -0 wc -l \
  | awk -v limit="$limit" '$2 != "total" && $1 > limit { print "  " $2 ": " $1 " lines" }')
if [ -n "$long" ]; then
  echo "source files over $limit lines (split each by what it holds):" >&2
  echo "$long" >&2
  exit 1
fi
