#!/usr/bin/env bash
# Builds (here, where the project's libraries are installed) what the GPU
# checks run, and gathers it with the non-system shared libraries it needs
# into build-device/ (ignored by git), to carry to a device machine whose
# image has CUDA 13 but not FLINT/OpenBLAS/Check:
#   build-device/test_cuda_backend, bench_gpu, lib/*.so*, and the scripts.
# On the device (the repository root): gpu/device-run.sh (see gpu/README.md).
set -euo pipefail
make -j"$(nproc)" all build/gpu/tests/test_cuda_backend >/dev/null
grep -q 'backend_cuda.o' <(ar t build/libidcheck.a) ||
  { echo "device-bundle: this build has no CUDA (no nvcc found)" >&2; exit 1; }
make bench-gpu >/dev/null 2>&1 || true  # builds build/gpu/bench_gpu (runs nothing without a device)
rm -rf build-device && mkdir -p build-device/lib
cp build/gpu/tests/test_cuda_backend build/gpu/bench_gpu build-device/
for b in build-device/test_cuda_backend build-device/bench_gpu; do
  ldd "$b" | awk '$3 ~ /^\// {print $3}'
done | sort -u | while read -r so; do
  case "$(basename "$so")" in
    libc.so*|libm.so*|libpthread.so*|libdl.so*|librt.so*|libstdc++.so*|libgcc_s.so*|ld-linux*) ;;
    libcud*|libcublas*) ;;  # the device's own CUDA 13 (rpath /usr/local/cuda/lib64)
    *) cp -L "$so" build-device/lib/ ;;
  esac
done
du -sh build-device
ls build-device build-device/lib
