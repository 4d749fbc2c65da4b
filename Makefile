# idcheck — top-level build. `make` builds libidcheck.a and the idcheck binary;
# `make check` builds and runs every Check test; `make demo` runs the main job.
# `make check SANITIZE=1` builds everything with ASan + UBSan into build-san/,
# `make check SANITIZE=thread` with TSan into build-tsan/.
# The CUDA backend (gpu/) is built when nvcc is found (on PATH or at
# /usr/local/cuda/bin/nvcc; NVCC=... to choose, CUDA=0 to leave it out); without
# it gpu/cuda_stub.c stands in and everything else builds and tests unchanged.
# `make bench-gpu` and `make check-gpu-sanitize` need a device (see gpu/README.md).

CC      ?= gcc
PREFIX  ?= /usr/local
SANITIZE ?= 0
MOD     ?=

# The library modules, in dependency order (explicit list; one public header
# per concept inside each folder).
MODULES := numeric models theory generators properties reports

VERSION := 0.1.0
WARN    := -Wall -Wextra -Wshadow -Wconversion -Wno-sign-conversion -Werror
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_DEFAULT_SOURCE -DIDC_VERSION='"$(VERSION)"' -I. -pthread $(WARN)
LDLIBS  := -lflint-arb -lflint -lmpfr -lgmp -lgsl -llapacke -lopenblas -ljansson \
           -lsqlite3 -lnettle -lm -pthread
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lrt -lm)

BUILD ?= build
ifeq ($(SANITIZE),1)
  BUILD   := $(BUILD)-san
  CFLAGS  += -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
  LDFLAGS += -fsanitize=address,undefined
endif
# `make check SANITIZE=thread [MOD=models]`: ThreadSanitizer (the CPU thread team,
# the parallel property runner); the kernels' AVX clones are left out because
# TSan cannot run ifunc resolvers.
ifeq ($(SANITIZE),thread)
  BUILD   := $(BUILD)-tsan
  CFLAGS  += -fsanitize=thread -fno-omit-frame-pointer -DIDC_NO_CLONES
  LDFLAGS += -fsanitize=thread
endif

# ---- CUDA: CUDA=auto (default) builds gpu/ when nvcc is found, except under
# SANITIZE=1 (ASan and the CUDA runtime do not mix; compute-sanitizer is the
# device-side check: make check-gpu-sanitize); CUDA=0 never, CUDA=1 always.
CUDA ?= auto
NVCC ?= $(firstword $(shell command -v nvcc 2>/dev/null) $(wildcard /usr/local/cuda/bin/nvcc))
NVCC_FOUND := $(if $(strip $(NVCC)),$(shell command -v $(NVCC) 2>/dev/null))
ifeq ($(CUDA),auto)
  HAVE_CUDA := $(if $(filter-out 0,$(SANITIZE)),0,$(if $(NVCC_FOUND),1,0))
else
  HAVE_CUDA := $(CUDA)
endif
GPU_SRC := gpu/launch.c gpu/gemm_map.c
GPU_CU  :=
ifeq ($(HAVE_CUDA),1)
  CUDA_HOME   ?= $(patsubst %/bin/nvcc,%,$(realpath $(NVCC_FOUND)))
  ifeq ($(CUDA_HOME),/usr)
    # a distribution's toolkit (Debian's nvidia-cuda-toolkit): default paths
    CUDA_INC    :=
    CUDA_LINK   :=
  else
    CUDA_LIBDIR ?= $(firstword $(wildcard $(CUDA_HOME)/lib64 $(CUDA_HOME)/lib))
    CUDA_INC    := -isystem $(CUDA_HOME)/include
    CUDA_LINK   := -L$(CUDA_LIBDIR) -Wl,-rpath,$(CUDA_LIBDIR)
  endif
  GPU_SRC     += gpu/backend_cuda.c
  GPU_CU      := gpu/kernels.cu
  CFLAGS      += -DIDC_HAVE_CUDA
  LDLIBS      += $(CUDA_LINK) -lcublas -lcudart -lstdc++
  # sm_80 (A100) and sm_90 (H100/H200) machine code plus compute_90 PTX for
  # later GPUs; --fmad=false keeps elementwise results equal to the CPU's.
  NVCC_ARCH   ?= -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 \
                 -gencode arch=compute_90,code=compute_90
  NVCCFLAGS   ?= -O3 -std=c++17 --fmad=false -Xcompiler -Wall,-Wextra,-Werror
  # a static libidcheck.a built with CUDA needs these after it
  PC_CUDA     := -e '/^Libs.private:/s|$$| $(CUDA_LINK) -lcublas -lcudart -lstdc++|'
else
  GPU_SRC += gpu/cuda_stub.c
endif

LIB_SRC  := $(foreach m,$(MODULES),$(wildcard $(m)/*.c)) $(GPU_SRC)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o) $(GPU_CU:%.cu=$(BUILD)/%.cu.o)
CLI_SRC  := $(wildcard cli/*.c)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_MODS := $(if $(MOD),$(MOD),$(MODULES) gpu cli)
TEST_SRC := $(foreach m,$(TEST_MODS),$(wildcard $(m)/tests/test_*.c))
TEST_BIN := $(TEST_SRC:%.c=$(BUILD)/%)
HEADERS  := $(foreach m,$(MODULES),$(wildcard $(m)/*.h)) gpu/cuda.h gpu/launch.h gpu/gemm_map.h
# Internal headers (shared by a module's own files, not part of the API) are
# compiled by headers-check but not installed.
INTERNAL_HEADERS := $(filter %_impl.h,$(HEADERS)) theory/map1d.h theory/plane2d.h
PUBLIC_HEADERS := $(filter-out $(INTERNAL_HEADERS),$(HEADERS))

LIB := $(BUILD)/libidcheck.a
BIN := $(BUILD)/idcheck

.PHONY: all deps check demo bench bench-gpu check-gpu-sanitize install uninstall clean headers-check
all: $(BIN) idcheck

deps:
	@ci/deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/gpu/backend_cuda.o: CFLAGS += $(CUDA_INC)

$(BUILD)/%.cu.o: %.cu
	@mkdir -p $(dir $@)
	$(NVCC) $(NVCCFLAGS) $(NVCC_ARCH) -I. -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BIN): $(CLI_OBJ) $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) $(CLI_OBJ) $(LIB) $(LDLIBS) -o $@

# Convenience link at the top of the tree to the last non-sanitized build.
idcheck: $(BIN)
	@[ "$(BUILD)" != build ] || ln -sf $(BIN) idcheck

$(TEST_BIN): $(BUILD)/%: %.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -MMD -MP $< $(LIB) $(CHECK_LIBS) $(LDLIBS) -o $@

# Every public header must compile on its own.
headers-check:
	@for h in $(HEADERS); do echo "#include \"$$h\"" | \
	  $(CC) $(CFLAGS) -x c -fsyntax-only - || exit 1; done; echo "headers: ok"

check: deps $(TEST_BIN) all headers-check
	@IDCHECK_BIN=$(abspath $(BIN)) ci/run-tests.sh $(TEST_BIN)

demo: deps all
	@ci/demo.sh $(BIN)

bench: deps $(BIN)
	@BENCH_LIBS="$(LDLIBS)" ci/bench.sh $(BIN)

# The GPU training step vs the cuBLAS GEMM floor and PyTorch on the device
# (gpu/bench.sh); a message and exit 0 without CUDA or without a device.
bench-gpu: $(LIB)
ifeq ($(HAVE_CUDA),1)
	$(CC) $(CFLAGS) $(CUDA_INC) $(LDFLAGS) gpu/bench_gpu.c $(LIB) $(LDLIBS) -o $(BUILD)/gpu/bench_gpu
	@gpu/bench.sh $(BUILD)/gpu/bench_gpu
else
	@echo "bench-gpu: built without CUDA (no nvcc found; NVCC=/path/to/nvcc to set one): nothing to run"
endif

# The device test under compute-sanitizer (memcheck, racecheck, initcheck,
# synccheck) when CUDA, compute-sanitizer and a device are present.
check-gpu-sanitize: $(BUILD)/gpu/tests/test_cuda_backend
	@gpu/sanitize.sh $(BUILD)/gpu/tests/test_cuda_backend

install: $(LIB) $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/idcheck
	install -m 644 $(LIB) $(DESTDIR)$(PREFIX)/lib/libidcheck.a
	for h in $(PUBLIC_HEADERS); do install -d $(DESTDIR)$(PREFIX)/include/idcheck/$$(dirname $$h); \
	  install -m 644 $$h $(DESTDIR)$(PREFIX)/include/idcheck/$$h; done
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' $(PC_CUDA) ci/idcheck.pc.in \
	  > $(DESTDIR)$(PREFIX)/lib/pkgconfig/idcheck.pc

uninstall:
	rm -rf $(DESTDIR)$(PREFIX)/include/idcheck $(DESTDIR)$(PREFIX)/lib/libidcheck.a \
	  $(DESTDIR)$(PREFIX)/lib/pkgconfig/idcheck.pc $(DESTDIR)$(PREFIX)/bin/idcheck

clean:
	rm -rf build build-san idcheck demo-out

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_BIN:=.d)
