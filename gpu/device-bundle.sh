#!/usr/bin/env bash
# Builds (here, where the project's libraries are installed) what the GPU
# checks run, and gathers it with the non-system shared libraries it needs
# into build-device/ (ignored by git), to carry to a device machine whose
# image has CUDA 13 but not FLINT/OpenBLAS/Check:
#   build-device/test_cuda_backend, bench_gpu, libidcheck-cuda.so (the CUDA
#   backend, which both programs load from beside them), lib/*.so*.
# On the device (the repository root): gpu/device-run.sh (see gpu/README.md).
# BUILD=dir builds there instead of build/.
set -euo pipefail
b=${BUILD:-build}
make -j"$(nproc)" BUILD="$b" all "$b/gpu/tests/test_cuda_backend" >/dev/null
[ -f "$b/libidcheck-cuda.so" ] ||
  { echo "device-bundle: this build has no CUDA (no nvcc found)" >&2; exit 1; }
make BUILD="$b" bench-gpu >/dev/null 2>&1 || true  # builds $b/gpu/bench_gpu (runs nothing without a device)
rm -rf build-device && mkdir -p build-device/lib
cp "$b/gpu/tests/test_cuda_backend" "$b/gpu/bench_gpu" "$b/libidcheck-cuda.so" build-device/
for b in build-device/test_cuda_backend build-device/bench_gpu build-device/libidcheck-cuda.so; do
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
