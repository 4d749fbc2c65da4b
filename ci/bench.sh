#!/usr/bin/env bash
# `make bench`: speed figures printed as tables with ratios against a floor
# or a peer measured in the same run (never asserted in tests).
#   1. exact precondition checks (ci/bench_cert.c)
#   2. the Stage-1 training step vs this machine's GEMM floor at the step's
#      exact shapes (with the OpenBLAS core idcheck uses, and the best floor
#      over the cores this CPU offers beside it), and vs PyTorch (Debian's python3-torch, eager, same
#      thread count = 1) when it is installed (ci/bench_stage1.c,
#      ci/bench_torch.py). BENCH_QUICK=1 skips the paper-width rows;
#      BENCH_CONFIGS="n:widths:batch:steps:threads ..." runs the rows given.
set -euo pipefail
bin=${1:-build/idcheck}
b=$(dirname "$bin")
libs=${BENCH_LIBS:-"-lflint-arb -lflint -lmpfr -lgmp -l:libgsl.a -llapacke -lopenblas -ljansson -lsqlite3 -lnettle -lm -pthread"}
for prog in bench_cert bench_stage1; do
  # shellcheck disable=SC2086
  ${CC:-cc} -O2 -std=c11 -D_DEFAULT_SOURCE -I. "ci/$prog.c" "$b/libidcheck.a" $libs -o "$b/$prog"
done
# The OpenBLAS core (kernel set): the step and its floor run with the core
# idcheck itself uses on this machine (`idcheck version`: OpenBLAS's choice, the
# user's OPENBLAS_CORETYPE, or the CPU flags' best when OpenBLAS picks a weaker
# one); "best floor" is the floor's best over that core, OpenBLAS's own
# detection and the CPU flags' choice, so a weak kernel cannot hide in the floor.
core_of() { sed -n "s/.*\"$1\": \"\([^\"]*\)\".*/\1/p" | head -1; }
ver=$("$bin" version)
idc_core=$(core_of core <<<"$ver"); idc_by=$(core_of chosen_by <<<"$ver")
own=$(env -u OPENBLAS_CORETYPE -u IDCHECK_BLAS_CORE_BY "$bin" version)
own_det=$(core_of openblas_detected <<<"$own"); cpu_best=$(core_of cpu_best <<<"$own")
cands=$(printf '%s\n' "$idc_core" "$own_det" "$cpu_best" | awk 'NF && !seen[$0]++')
echo "== OpenBLAS core: idcheck runs $idc_core (chosen by $idc_by); OpenBLAS alone picks ${own_det:-?};"
echo "   the CPU flags support ${cpu_best:-?}; best floor over: $(echo $cands)"
echo
echo "== exact precondition checks (ms, best of 3; verify = the independent verifier)"
"$b/bench_cert"
echo
have_torch=0
py=${PYTHON:-/usr/bin/python3}  # Debian's python3-torch lives in the system python
if "$py" -c 'import torch' 2>/dev/null; then have_torch=1; fi
echo "== Stage-1 training step; thr = threads of idcheck (its thread team over one-thread OpenBLAS; results"
echo "   are bit-identical for any count) = torch.set_num_threads and OMP_NUM_THREADS of the PyTorch peer"
echo "floor = the step's GEMMs at their exact shapes as raw cblas_sgemm calls (thr > 1: the better of"
echo "   OpenBLAS's threads and the team), same run, with idcheck's core ($idc_core); best floor = the floor's"
echo "   best over the cores above (core = where it was reached)"
[ $have_torch = 1 ] || echo "(PyTorch not installed: apt-get install python3-torch to add the peer column)"
echo
printf '| %3s | %-5s | %5s | %3s | %8s | %9s | %9s | %5s | %9s | %-11s | %9s | %7s | %11s |\n' \
  n widths batch thr GFLOP/st ms/step "floor ms" ratio "best flr" core "torch ms" speedup "RSS MB i/t"
echo "|----:|:------|------:|----:|---------:|----------:|----------:|------:|----------:|:------------|----------:|--------:|------------:|"
configs="3:ci:256:50:1 10:small:6144:10:1 20:small:6144:6:1 40:small:6144:4:1 10:small:6144:10:2 20:small:6144:6:2 40:small:6144:4:2"
[ "${BENCH_QUICK:-0}" = 1 ] || configs="$configs 10:paper:6144:2:1 10:paper:6144:2:2 20:paper:6144:1:1 40:paper:6144:1:1"
configs=${BENCH_CONFIGS:-$configs}  # e.g. BENCH_CONFIGS="3:ci:256:50:1" (n:widths:batch:steps:threads)
for cfg in $configs; do
  IFS=: read -r n mode batch steps thr <<<"$cfg"
  read -r _ _ _ _ _ gflop ms floor rss <<<"$(OPENBLAS_CORETYPE=$idc_core "$b/bench_stage1" "$n" "$mode" "$batch" "$steps" "$thr")"
  bfloor=$floor; bcore=$idc_core
  for c in $cands; do
    [ "$c" = "$idc_core" ] && continue
    read -r _ _ _ _ got f <<<"$(OPENBLAS_CORETYPE=$c "$b/bench_stage1" "$n" "$mode" "$batch" 0 "$thr")"
    if [ "$got" = "$c" ] && awk -v a="$f" -v b="$bfloor" 'BEGIN{exit !(a < b)}'; then bfloor=$f; bcore=$c; fi
  done
  tms="-"; speed="-"; trss="-"
  if [ $have_torch = 1 ]; then
    read -r _ _ _ _ tms trss <<<"$(OMP_NUM_THREADS=$thr "$py" ci/bench_torch.py "$n" "$mode" "$batch" "$steps" "$thr")"
    speed=$(awk -v a="$tms" -v b="$ms" 'BEGIN{printf "%.2f", a/b}')
  fi
  ratio=$(awk -v a="$ms" -v b="$floor" 'BEGIN{printf "%.2f", a/b}')
  printf '| %3s | %-5s | %5s | %3s | %8.3f | %9.2f | %9.2f | %5s | %9.2f | %-11s | %9s | %7s | %5.0f / %-5s |\n' \
    "$n" "$mode" "$batch" "$thr" "$gflop" "$ms" "$floor" "$ratio" "$bfloor" "$bcore" "$tms" "$speed" "$rss" "$trss"
done
