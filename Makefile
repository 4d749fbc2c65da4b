# idcheck — top-level build. `make` builds libidcheck.a and the idcheck binary;
# `make check` builds and runs every Check test; `make demo` runs the main job.
# `make check SANITIZE=1` builds everything with ASan + UBSan into build-san/.

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

LIB_SRC  := $(foreach m,$(MODULES),$(wildcard $(m)/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_SRC  := $(wildcard cli/*.c)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_MODS := $(if $(MOD),$(MOD),$(MODULES) cli)
TEST_SRC := $(foreach m,$(TEST_MODS),$(wildcard $(m)/tests/test_*.c))
TEST_BIN := $(TEST_SRC:%.c=$(BUILD)/%)
HEADERS  := $(foreach m,$(MODULES),$(wildcard $(m)/*.h))

LIB := $(BUILD)/libidcheck.a
BIN := $(BUILD)/idcheck

.PHONY: all deps check demo bench install uninstall clean headers-check
all: $(BIN) idcheck

deps:
	@ci/deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

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
	@ci/bench.sh $(BIN)

install: $(LIB) $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/idcheck
	install -m 644 $(LIB) $(DESTDIR)$(PREFIX)/lib/libidcheck.a
	for h in $(HEADERS); do install -d $(DESTDIR)$(PREFIX)/include/idcheck/$$(dirname $$h); \
	  install -m 644 $$h $(DESTDIR)$(PREFIX)/include/idcheck/$$h; done
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' ci/idcheck.pc.in \
	  > $(DESTDIR)$(PREFIX)/lib/pkgconfig/idcheck.pc

uninstall:
	rm -rf $(DESTDIR)$(PREFIX)/include/idcheck $(DESTDIR)$(PREFIX)/lib/libidcheck.a \
	  $(DESTDIR)$(PREFIX)/lib/pkgconfig/idcheck.pc $(DESTDIR)$(PREFIX)/bin/idcheck

clean:
	rm -rf build build-san idcheck demo-out

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_BIN:=.d)
