#!/usr/bin/env bash
# `make bench`: speed figures printed as tables with ratios against a floor
# measured in the same run (never asserted in tests).
set -euo pipefail
bin=${1:-build/idcheck}
b=$(dirname "$bin")
${CC:-cc} -O2 -std=c11 -D_DEFAULT_SOURCE -I. ci/bench_stage1.c "$b/libidcheck.a" \
  -lflint-arb -lflint -lmpfr -lgmp -lgsl -llapacke -lopenblas -ljansson -lsqlite3 -lnettle -lm -pthread \
  -o "$b/bench_stage1"
"$b/bench_stage1"
