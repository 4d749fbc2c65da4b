#!/usr/bin/env bash
# Runs the given Check test programs from the repository root and fails when
# any fails or when no test ran at all.
set -uo pipefail
[ $# -gt 0 ] || { echo "run-tests: no test programs given" >&2; exit 1; }
fails=0; ran=0
for t in "$@"; do
  echo "== $t"
  if "$t"; then ran=$((ran+1)); else fails=$((fails+1)); ran=$((ran+1)); echo "FAILED: $t"; fi
done
echo "test programs: $ran run, $fails failed"
[ "$ran" -gt 0 ] && [ "$fails" -eq 0 ]
