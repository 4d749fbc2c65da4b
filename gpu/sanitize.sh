#!/usr/bin/env bash
# `make check-gpu-sanitize`: runs the device test (gpu/tests/test_cuda_backend)
# under each compute-sanitizer tool. Exits 0 with a message when
# compute-sanitizer, CUDA or a device is missing (CI has none of them).
set -uo pipefail
t=${1:?usage: gpu/sanitize.sh build/gpu/tests/test_cuda_backend}
cs=${COMPUTE_SANITIZER:-$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)}
if [ ! -x "$cs" ]; then
  echo "check-gpu-sanitize: SKIPPED: compute-sanitizer not found"; exit 0
fi
if "$t" | grep -q '^SKIPPED'; then
  echo "check-gpu-sanitize: SKIPPED: $("$t" | grep '^SKIPPED')"; exit 0
fi
fails=0
for tool in memcheck racecheck initcheck synccheck; do
  echo "== compute-sanitizer --tool $tool"
  extra=""
  [ "$tool" = memcheck ] && extra="--leak-check full"
  # CK_FORK=no: the tests run in the sanitized process itself
  # shellcheck disable=SC2086
  if ! IDC_GPU_TEST_SMALL=1 CK_FORK=no "$cs" --tool "$tool" $extra --error-exitcode 99 "$t"; then
    echo "FAILED: compute-sanitizer --tool $tool"; fails=$((fails+1))
  fi
done
echo "check-gpu-sanitize: $fails tool(s) failed"
[ "$fails" -eq 0 ]
