#!/usr/bin/env bash
# `make bench-gpu`: the Stage-1 training step on the CUDA backend at
# n = 10, 20, 40, batch 6144 (small and paper widths), and the Stage-2 step
# (its default widths), beside the floor of
# its GEMMs (cuBLAS SGEMM at the step's exact shapes, same run) and the
# PyTorch peer on the same device (gpu/bench_torch_gpu.py) when python3 has
# torch with CUDA; then the flow estimator's gradient rows per second on the
# CPU (one thread) and the device at n = 20000, m = 2..5 (BENCH_GPU_FLOW
# chooses "M:ROWS:STEPS ..."). Exits 0 with a message when no device is present.
set -euo pipefail
b=${1:?usage: gpu/bench.sh build/gpu/bench_gpu}
py=${PYTHON:-python3}
first=$("$b" 10 small 256 2)
case "$first" in SKIPPED*) echo "bench-gpu: $first"; exit 0 ;; esac
have_torch=1
probe=$("$py" gpu/bench_torch_gpu.py 3 ci 64 1 2>/dev/null || echo "SKIPPED: python3 failed")
case "$probe" in SKIPPED*) have_torch=0; echo "(PyTorch peer: $probe)" ;; esac
echo "== Stage-1 and Stage-2 (widths = stage2) training steps on the GPU (float32, TF32 ${IDC_CUDA_MATH:-off}), batch 6144"
echo "floor = the step's GEMMs at their exact shapes as cuBLAS SGEMM calls through the same table, same run"
echo "syncs = host-device synchronisations per step (Stage 1: the loss stays on the device, idc_stage1_fit reads it"
echo "   every 100 steps; Stage 2: two numbers per gradient evaluation for the multiplier)"
echo
printf '| %3s | %-5s | %5s | %8s | %9s | %9s | %5s | %5s | %9s | %7s |\n' \
  n widths batch GFLOP/st ms/step "floor ms" ratio syncs "torch ms" speedup
echo "|----:|:------|------:|---------:|----------:|----------:|------:|------:|----------:|--------:|"
configs=${BENCH_GPU_CONFIGS:-"10:small:6144:200 20:small:6144:200 40:small:6144:200 10:paper:6144:100 20:paper:6144:50 40:paper:6144:20 10:stage2:6144:100 20:stage2:6144:50 40:stage2:6144:20"}
for cfg in $configs; do
  IFS=: read -r n mode batch steps <<<"$cfg"
  read -r _ _ _ _ _ gflop ms floor syncs <<<"$("$b" "$n" "$mode" "$batch" "$steps")"
  tms="-"; speed="-"
  if [ $have_torch = 1 ]; then
    read -r _ _ _ _ tms <<<"$("$py" gpu/bench_torch_gpu.py "$n" "$mode" "$batch" "$steps")"
    speed=$(awk -v a="$tms" -v b="$ms" 'BEGIN{printf "%.2f", a/b}')
  fi
  ratio=$(awk -v a="$ms" -v b="$floor" 'BEGIN{printf "%.2f", a/b}')
  printf '| %3s | %-5s | %5s | %8.3f | %9.3f | %9.3f | %5s | %5s | %9s | %7s |\n' \
    "$n" "$mode" "$batch" "$gflop" "$ms" "$floor" "$ratio" "$syncs" "$tms" "$speed"
done
echo
echo "== the flow estimator (double): gradient rows per second, full batch, depth 2, J 3, through idc_flow_fit"
echo "   (CPU: one thread; cuda: the row sums on the device, Adam and the rest on the host)"
echo
printf '| %2s | %6s | %5s | %12s | %12s | %7s |\n' m rows steps "cpu rows/s" "cuda rows/s" speedup
echo "|---:|-------:|------:|-------------:|-------------:|--------:|"
for cfg in ${BENCH_GPU_FLOW:-"2:20000:50 3:20000:50 4:20000:50 5:20000:50"}; do
  IFS=: read -r m rows steps <<<"$cfg"
  read -r _ _ _ _ cpu gpu speed <<<"$("$b" "$m" flow "$rows" "$steps")"
  printf '| %2s | %6s | %5s | %12s | %12s | %7s |\n' "$m" "$rows" "$steps" "$cpu" "$gpu" "$speed"
done
