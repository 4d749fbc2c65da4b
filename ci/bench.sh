#!/usr/bin/env bash
# `make bench`: speed figures printed as tables with ratios against a floor
# measured in the same run (never asserted in tests).
set -euo pipefail
bin=${1:-build/idcheck}
b=$(dirname "$bin")
libs="-lflint-arb -lflint -lmpfr -lgmp -lgsl -llapacke -lopenblas -ljansson -lsqlite3 -lnettle -lm -pthread"
for prog in bench_cert bench_stage1; do
  # shellcheck disable=SC2086
  ${CC:-cc} -O2 -std=c11 -D_DEFAULT_SOURCE -I. "ci/$prog.c" "$b/libidcheck.a" $libs -o "$b/$prog"
done
echo "== exact precondition checks (ms, best of 3; verify = independent verifier)"
"$b/bench_cert"
echo
echo "== Stage-1 training step vs the GEMM floor"
"$b/bench_stage1"
