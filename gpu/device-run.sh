#!/usr/bin/env bash
# Runs the GPU checks on a device machine from build-device/ (made here by
# gpu/device-bundle.sh and carried): the device test, the device test under
# compute-sanitizer, and the benchmark with the PyTorch peer. Logs go to
# $OUT (or /tmp/idc-gpu) and a summary to stdout.
#   gpu/device-run.sh [test|sanitize|bench|all]   (default all)
set -uo pipefail
what=${1:-all}
out=${OUT:-/tmp/idc-gpu}
mkdir -p "$out"
export LD_LIBRARY_PATH="$PWD/build-device/lib:/usr/local/cuda/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | tee "$out/gpu.txt"
rc=0
if [ "$what" = test ] || [ "$what" = all ]; then
  echo "== device test"
  build-device/test_cuda_backend >"$out/test.log" 2>&1; r=$?; rc=$((rc|r))
  grep -E 'device:|SKIPPED|Checks|IDC-FAIL|:F:|:E:|stage1_train|error_path|flow_sums|flow_fit' "$out/test.log"
  echo "device test rc=$r"
  echo "== determinism: a second run of the training comparison"
  CK_RUN_CASE=stage1_train build-device/test_cuda_backend >"$out/test2.log" 2>&1
  grep -E 'stage1_train:' "$out/test2.log"
  echo "== determinism: a second run of the flow's device fit"
  CK_RUN_CASE=flow_fit build-device/test_cuda_backend >"$out/test3.log" 2>&1
  grep -E 'flow_fit:|Checks|:F:|:E:' "$out/test3.log"
fi
if [ "$what" = sanitize ] || [ "$what" = all ]; then
  echo "== compute-sanitizer"
  COMPUTE_SANITIZER=${COMPUTE_SANITIZER:-compute-sanitizer} \
    gpu/sanitize.sh build-device/test_cuda_backend >"$out/sanitize.log" 2>&1; r=$?; rc=$((rc|r))
  grep -E '^== |ERROR SUMMARY|FAILED|check-gpu-sanitize' "$out/sanitize.log"
fi
if [ "$what" = bench ] || [ "$what" = all ]; then
  echo "== bench"
  PYTHON=${PYTHON:-python3} gpu/bench.sh build-device/bench_gpu 2>&1 | tee "$out/bench.txt"
fi
exit $rc
