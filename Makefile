# idcheck — top-level build. `make` builds libidcheck.a and the idcheck binary;
# `make check` builds and runs every Check test; `make demo` runs the main job.
# `make check SANITIZE=1` builds everything with ASan + UBSan into build-san/,
# `make check SANITIZE=thread` with TSan into build-tsan/.
# The CUDA backend (gpu/) is built when nvcc is found (on PATH or at
# /usr/local/cuda/bin/nvcc; NVCC=... to choose, CUDA=0 to leave it out), as
# $(BUILD)/libidcheck-cuda.so, which idcheck loads only when asked for a device;
# without nvcc there is no such library ("built without CUDA") and everything
# else builds and tests unchanged.
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
# One BLAS: Debian's libgsl.so NEEDs libgslcblas.so.0, a second CBLAS that
# OpenBLAS outranked only by load order. GSL is linked from its static archive
# instead, so its cblas_* calls resolve to OpenBLAS's CBLAS (GSL's documented
# way to use another CBLAS) and libgslcblas is never loaded
# (numeric/tests/test_blas.c checks both). GSL_LIBS=-lgsl where no libgsl.a.
GSL_LIBS ?= -l:libgsl.a
LDLIBS  := -lflint-arb -lflint -lmpfr -lgmp $(GSL_LIBS) -llapacke -lopenblas -ljansson \
           -lsqlite3 -lcairo -lnettle -lm -pthread
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lrt -lm)

BUILD ?= build
ifeq ($(SANITIZE),1)
  override BUILD := $(BUILD)-san
  CFLAGS  += -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
  LDFLAGS += -fsanitize=address,undefined
endif
# `make check SANITIZE=thread [MOD=models]`: ThreadSanitizer (the CPU thread team,
# the parallel property runner); the kernels' AVX clones are left out because
# TSan cannot run ifunc resolvers.
ifeq ($(SANITIZE),thread)
  override BUILD := $(BUILD)-tsan
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
# The backend with cuBLAS and the CUDA runtime is a shared object of its own,
# dlopen()ed on the first request for a device by gpu/cuda_loader.c (in every
# build; gpu/plugin_impl.h): libidcheck.a and idcheck link no CUDA library, so a
# process that never asks for a device maps none (0.3 s and 200 MB less). The
# loader looks next to the executable, then in ../lib from it; the test
# programs of gpu/tests get a link to it beside them, and a stand-in library
# (gpu/tests/fake_plugin.c, no CUDA) with which the loader is tested everywhere.
GPU_SRC := gpu/launch.c gpu/gemm_map.c gpu/cuda_loader.c
LDLIBS  += -ldl
PC_CUDA := -e '/^Libs.private:/s|$$| -ldl|'
CUDA_SO :=
CUDA_SO_LINKS :=
FAKE_PLUGINS := $(BUILD)/gpu/tests/fake-plugin.so $(BUILD)/gpu/tests/fake-plugin-other.so
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
  CFLAGS      += -DIDC_HAVE_CUDA
  CUDA_SO     := $(BUILD)/libidcheck-cuda.so
  CUDA_SO_OBJ := $(patsubst %.c,$(BUILD)/pic/%.o,gpu/backend_cuda.c gpu/flow_cuda.c gpu/launch.c gpu/gemm_map.c \
                 numeric/status.c) $(BUILD)/pic/gpu/kernels.cu.o $(BUILD)/pic/gpu/flow_kernels.cu.o
  CUDA_SO_LIBS := $(CUDA_LINK) -lcublas -lcudart -lstdc++ -lm -pthread
  CUDA_SO_LINKS := $(BUILD)/gpu/tests/libidcheck-cuda.so
  # sm_80 (A100) and sm_90 (H100/H200) machine code plus compute_90 PTX for
  # later GPUs; --fmad=false keeps elementwise results equal to the CPU's.
  NVCC_ARCH   ?= -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 \
                 -gencode arch=compute_90,code=compute_90
  NVCCFLAGS   ?= -O3 -std=c++17 --fmad=false -Xcompiler -Wall,-Wextra,-Werror
  # pkg-config --variable=cudalib idcheck: the backend a program linking
  # libidcheck.a can name in IDCHECK_CUDA_LIB
  PC_CUDA     += -e '/^includedir=/a cudalib=$${libdir}/libidcheck-cuda.so'
endif

# ---- MPI: libidcheck-mpi.so, the transport of `mpirun -np K idcheck sweep`
# (properties/sweep_mpi.h, the only object linking libmpi), built when mpicc is
# found (Debian's libopenmpi-dev; MPI=0 never, MPI=1 always), not under
# sanitizers (Open MPI's memory at exit reads as leaks). idcheck dlopen()s it
# only when launched by mpirun, from beside the executable or ../lib.
MPI ?= auto
MPICC ?= $(shell command -v mpicc 2>/dev/null)
ifeq ($(MPI),auto)
  HAVE_MPI := $(if $(filter-out 0,$(SANITIZE)),0,$(if $(strip $(MPICC)),1,0))
else
  HAVE_MPI := $(MPI)
endif
MPI_SO := $(if $(filter 1,$(HAVE_MPI)),$(BUILD)/libidcheck-mpi.so)

# A module's sources and headers are its folder and its subfolders (e.g.
# theory/check/, theory/verify/, models/engine/), never its tests/.
MODULE_DIRS := $(foreach m,$(MODULES),$(m) $(patsubst %/,%,$(filter-out $(m)/tests/,$(wildcard $(m)/*/))))
LIB_SRC  := $(foreach d,$(MODULE_DIRS),$(wildcard $(d)/*.c)) $(GPU_SRC)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_SRC  := $(wildcard cli/*.c)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_MODS := $(if $(MOD),$(MOD),$(MODULES) gpu cli)
TEST_SRC := $(foreach m,$(TEST_MODS),$(wildcard $(m)/tests/test_*.c))
TEST_BIN := $(TEST_SRC:%.c=$(BUILD)/%)
HEADERS  := $(foreach d,$(MODULE_DIRS),$(wildcard $(d)/*.h)) gpu/cuda.h gpu/launch.h gpu/gemm_map.h gpu/plugin_impl.h
# Internal headers (shared by a module's own files, not part of the API) are
# compiled by headers-check but not installed.
INTERNAL_HEADERS := $(filter %_impl.h,$(HEADERS)) theory/check/map1d.h theory/verify/plane2d.h
PUBLIC_HEADERS := $(filter-out $(INTERNAL_HEADERS),$(HEADERS))

LIB := $(BUILD)/libidcheck.a
BIN := $(BUILD)/idcheck

# ---- the verifier (theory/verify/), idcheck's trusted base: a library and a
# binary of their own, never linked with a checker (theory/check/) or a
# certificate builder (theory/cert/). libidcheck-verify.a holds the verifier,
# the verdict names and theorem registry it judges reports with, the instance
# reader and the numeric helpers these use; idcheck-verify is its command-line
# front end (cli/verify.c, shared with `idcheck cert verify`) on that library
# alone. `make check` runs ci/verify-separation.sh on both.
VERIFY_SRC := $(wildcard theory/verify/*.c) theory/verdict.c theory/theorem.c \
              models/instance.c models/pamap.c models/pdgmm.c \
              numeric/status.c numeric/dq.c numeric/qspace.c numeric/qmat.c numeric/dmat.c numeric/fileio.c
VERIFY_LDLIBS := -lflint -lmpfr -lgmp -ljansson -lnettle -llapacke -lopenblas -lm -pthread
VERIFY_LIB := $(BUILD)/libidcheck-verify.a
VERIFY_BIN := $(BUILD)/idcheck-verify

.PHONY: all deps check demo bench bench-gpu check-gpu-sanitize install uninstall clean headers-check \
        verify-separation verify-loc
all: $(BIN) idcheck $(VERIFY_BIN) $(CUDA_SO) $(CUDA_SO_LINKS) $(FAKE_PLUGINS) $(MPI_SO)

deps:
	@ci/deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# libidcheck-cuda.so: position-independent objects of its own; it exports only
# idc_gpu_plugin_v1 (gpu/plugin.map) and has no undefined symbols (-z defs).
$(BUILD)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CUDA_INC) -fPIC -MMD -MP -c $< -o $@

$(BUILD)/pic/%.cu.o: %.cu
	@mkdir -p $(dir $@)
	$(NVCC) $(NVCCFLAGS) $(NVCC_ARCH) -Xcompiler -fPIC -I. -MMD -MP -c $< -o $@

$(CUDA_SO): $(CUDA_SO_OBJ) gpu/plugin.map
	$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-soname,libidcheck-cuda.so -Wl,--version-script=gpu/plugin.map \
	  -Wl,-z,defs $(CUDA_SO_OBJ) $(CUDA_SO_LIBS) -o $@

$(BUILD)/libidcheck-mpi.so: properties/sweep_mpi_plugin.c properties/sweep_mpi_impl.h
	@mkdir -p $(dir $@)
	$(MPICC) $(CFLAGS) -DIDC_MPI_PLUGIN_BUILD -fPIC -shared -fvisibility=hidden $< -o $@

$(CUDA_SO_LINKS): $(CUDA_SO)
	@mkdir -p $(dir $@)
	ln -sf ../../libidcheck-cuda.so $@

# The loader's test stand-ins: a good one and one from "another build".
$(BUILD)/gpu/tests/fake-plugin.so: gpu/tests/fake_plugin.c gpu/plugin_impl.h gpu/cuda.h models/estimators/flow_row.h
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O1 -I. -DIDC_VERSION='"$(VERSION)"' $(WARN) -fPIC -shared $< -lm -o $@

$(BUILD)/gpu/tests/fake-plugin-other.so: gpu/tests/fake_plugin.c gpu/plugin_impl.h gpu/cuda.h models/estimators/flow_row.h
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O1 -I. -DIDC_VERSION='"$(VERSION)"' -DFAKE_OTHER_BUILD $(WARN) -fPIC -shared $< -lm -o $@

# The source the build comes from (ci/source-id.sh: git commit and dirty flag,
# or a hash of the sources of a tarball) is baked into provenance.o; the stamp
# changes, and provenance.o is rebuilt, only when the id does.
SOURCE_ID := $(shell ci/source-id.sh 2>/dev/null || echo unknown)
$(BUILD)/source-id.stamp: FORCE
	@mkdir -p $(dir $@)
	@[ "$$(cat $@ 2>/dev/null)" = "$(SOURCE_ID)" ] || echo "$(SOURCE_ID)" > $@
$(BUILD)/reports/provenance.o: $(BUILD)/source-id.stamp
$(BUILD)/reports/provenance.o: CFLAGS += -DIDC_SOURCE_ID='"$(SOURCE_ID)"'
.PHONY: FORCE
FORCE:

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BIN): $(CLI_OBJ) $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) $(CLI_OBJ) $(LIB) $(LDLIBS) -o $@

$(VERIFY_LIB): $(VERIFY_SRC:%.c=$(BUILD)/%.o)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(VERIFY_BIN): $(BUILD)/cli/verify/main.o $(BUILD)/cli/verify.o $(VERIFY_LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) $^ $(VERIFY_LDLIBS) -o $@

# The separation cannot silently regress: the verifier library defines no
# symbol of a checker or builder object, and no verifier source includes one.
verify-separation: $(VERIFY_LIB) $(VERIFY_BIN) $(LIB_OBJ)
	@ci/verify-separation.sh $(VERIFY_LIB) $(filter $(BUILD)/theory/check/%.o $(BUILD)/theory/cert/%.o,$(LIB_OBJ))

# The verifier's size (code lines per file, counted by cloc) and the
# libraries it trusts.
verify-loc: deps $(VERIFY_BIN)
	@VERIFY_BIN=$(VERIFY_BIN) ci/verify-loc.sh $(VERIFY_SRC) $(wildcard theory/verify/*.h $(VERIFY_SRC:.c=.h)) \
	  theory/verify.h cli/verify.c cli/verify.h cli/verify/main.c

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

check: deps $(TEST_BIN) all headers-check verify-separation
	@IDCHECK_BIN=$(abspath $(BIN)) IDCHECK_VERIFY_BIN=$(abspath $(VERIFY_BIN)) ci/run-tests.sh $(TEST_BIN)

demo: deps all
	@ci/demo.sh $(BIN)

bench: deps $(BIN)
	@BENCH_LIBS="$(LDLIBS)" ci/bench.sh $(BIN)

# The GPU training step vs the cuBLAS GEMM floor and PyTorch on the device
# (gpu/bench.sh); a message and exit 0 without CUDA or without a device.
bench-gpu: $(LIB) $(CUDA_SO)
ifeq ($(HAVE_CUDA),1)
	$(CC) $(CFLAGS) $(LDFLAGS) gpu/bench_gpu.c $(LIB) $(LDLIBS) -o $(BUILD)/gpu/bench_gpu
	@IDCHECK_CUDA_LIB=$${IDCHECK_CUDA_LIB:-$(abspath $(CUDA_SO))} gpu/bench.sh $(BUILD)/gpu/bench_gpu
else
	@echo "bench-gpu: built without CUDA (no nvcc found; NVCC=/path/to/nvcc to set one): nothing to run"
endif

# The device test under compute-sanitizer (memcheck, racecheck, initcheck,
# synccheck) when CUDA, compute-sanitizer and a device are present.
check-gpu-sanitize: $(BUILD)/gpu/tests/test_cuda_backend $(CUDA_SO) $(CUDA_SO_LINKS)
	@gpu/sanitize.sh $(BUILD)/gpu/tests/test_cuda_backend

install: $(LIB) $(BIN) $(VERIFY_LIB) $(VERIFY_BIN) $(CUDA_SO) $(MPI_SO)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/idcheck
	install -m 644 $(LIB) $(DESTDIR)$(PREFIX)/lib/libidcheck.a
	install -m 755 $(VERIFY_BIN) $(DESTDIR)$(PREFIX)/bin/idcheck-verify
	install -m 644 $(VERIFY_LIB) $(DESTDIR)$(PREFIX)/lib/libidcheck-verify.a
	$(if $(CUDA_SO),install -m 755 $(CUDA_SO) $(DESTDIR)$(PREFIX)/lib/libidcheck-cuda.so)
	$(if $(MPI_SO),install -m 755 $(MPI_SO) $(DESTDIR)$(PREFIX)/lib/libidcheck-mpi.so)
	for h in $(PUBLIC_HEADERS); do install -d $(DESTDIR)$(PREFIX)/include/idcheck/$$(dirname $$h); \
	  install -m 644 $$h $(DESTDIR)$(PREFIX)/include/idcheck/$$h; done
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' $(PC_CUDA) ci/idcheck.pc.in \
	  > $(DESTDIR)$(PREFIX)/lib/pkgconfig/idcheck.pc

uninstall:
	rm -rf $(DESTDIR)$(PREFIX)/include/idcheck $(DESTDIR)$(PREFIX)/lib/libidcheck.a \
	  $(DESTDIR)$(PREFIX)/lib/libidcheck-verify.a $(DESTDIR)$(PREFIX)/bin/idcheck-verify \
	  $(DESTDIR)$(PREFIX)/lib/libidcheck-cuda.so $(DESTDIR)$(PREFIX)/lib/libidcheck-mpi.so \
	  $(DESTDIR)$(PREFIX)/lib/pkgconfig/idcheck.pc $(DESTDIR)$(PREFIX)/bin/idcheck

clean:
	rm -rf build build-san idcheck demo-out

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(BUILD)/cli/verify/main.d $(TEST_BIN:=.d) $(CUDA_SO_OBJ:.o=.d)
