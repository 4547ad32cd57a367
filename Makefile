# s2mt — GNU Make only. `make help` lists the targets.

S2MT_ROOT := $(CURDIR)
include src/core/core.mk

CC ?= cc
ifeq ($(origin CC),default)
CC := gcc
endif
AARCH64_CC ?= aarch64-linux-gnu-gcc

# A build variant lives in its own directory: build/normal, build/asan, ...
VARIANT ?= normal
B := build/$(VARIANT)

OPT ?= -O2
WARN := -Wall -Wextra -Werror
CFLAGS_BASE := -std=c11 $(WARN) $(OPT) -g -Iinclude -D_GNU_SOURCE
ifeq ($(VARIANT),asan)
CFLAGS_BASE += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS_BASE += -fsanitize=address,undefined
endif
ifeq ($(VARIANT),coverage)
OPT := -O0
CFLAGS_BASE += --coverage
LDFLAGS_BASE += --coverage
endif

CORE_CFLAGS := $(CFLAGS_BASE) $(S2MT_CORE_CFLAGS)
HOST_CFLAGS := $(CFLAGS_BASE)

# Debian packages each job needs (installed on demand, scripts/ensure-deps.sh).
DEPS_BUILD := gcc make libc6-dev linux-libc-dev libjansson-dev libyaml-dev
DEPS_TEST := $(DEPS_BUILD) libcmocka-dev clang-format git gcc-aarch64-linux-gnu \
	libc6-dev-arm64-cross librsvg2-bin qemu-system-arm xz-utils \
	debian-archive-keyring
DEPS_FUZZ := $(DEPS_BUILD) clang libclang-rt-14-dev
DEPS_COVERAGE := $(DEPS_TEST) lcov
DEPS_BENCH := $(DEPS_BUILD) valgrind

CORE_OBJS := $(patsubst $(S2MT_ROOT)/src/%.c,$(B)/obj/%.o,$(S2MT_CORE_SRCS))
MODEL_SRCS := $(wildcard src/model/*.c)
MODEL_OBJS := $(patsubst src/%.c,$(B)/obj/%.o,$(MODEL_SRCS))
LIB := $(B)/lib/libs2mt.a

# The command's pieces (all but main.c) also link into the tests.
TOOL_SRCS := $(filter-out tools/s2mt/main.c,$(wildcard tools/s2mt/*.c))
TOOL_OBJS := $(patsubst %.c,$(B)/obj/%.o,$(TOOL_SRCS))
TOOL_LIB := $(B)/lib/libs2mt-tool.a
S2MT := $(B)/bin/s2mt

TEST_SUPPORT_SRCS := $(wildcard tests/support/*.c)
TEST_SUPPORT_OBJS := $(patsubst %.c,$(B)/obj/%.o,$(TEST_SUPPORT_SRCS))
TEST_SRCS := $(wildcard tests/test_*.c)
TEST_BINS := $(patsubst tests/%.c,$(B)/tests/%,$(TEST_SRCS))

CONF_SRCS := tools/conformance/script.c tools/conformance/backend_model.c \
	tools/conformance/conformance.c
CONFORMANCE := $(B)/bin/s2mt-conformance

BENCH_SRCS := tools/bench/bench.c
BENCH := $(B)/bin/s2mt-bench
# The s2mt command at VM sizes (tools/bench/scale.c), the last section of
# `make bench`. SCALE_SIZE (default 96G), SCALE_BASE (1G), SCALE_NOFWB_SIZE,
# SCALE_NOFWB_BASE, SCALE_ONLY (a comma-separated list of configurations,
# `tb` for the 1 TiB run), SCALE_TIMEOUT_FACTOR, SCALE_TB=0 (skip the 1 TiB
# run), SCALE_TB_TIMEOUT (its limit, default 60 s).
SCALE := $(B)/bin/s2mt-scale
SCALE_FLAGS = $(if $(SCALE_SIZE),--size $(SCALE_SIZE)) \
	$(if $(SCALE_BASE),--base $(SCALE_BASE)) \
	$(if $(SCALE_NOFWB_SIZE),--no-fwb-size $(SCALE_NOFWB_SIZE)) \
	$(if $(SCALE_NOFWB_BASE),--no-fwb-base $(SCALE_NOFWB_BASE)) \
	$(if $(SCALE_ONLY),--only $(SCALE_ONLY)) \
	$(if $(SCALE_TIMEOUT_FACTOR),--timeout-factor $(SCALE_TIMEOUT_FACTOR)) \
	$(if $(filter 1 yes,$(SCALE_TB)),--tb) \
	$(if $(filter 0 no,$(SCALE_TB)),--no-tb) \
	$(if $(SCALE_TB_TIMEOUT),--tb-timeout $(SCALE_TB_TIMEOUT))

TOOL_LIBS := -ljansson -lyaml -lm
CMOCKA_LIBS := -lcmocka

# Keep objects make would treat as intermediate (test support objects).
.SECONDARY:

.PHONY: all lib tool conformance-tool demo check test test-normal test-asan core-aarch64 \
	coverage bench bench-scale format format-check deps-build deps-test help clean \
	golden-update fuzz

all: lib tool conformance-tool

help:
	@echo "make            build libs2mt.a and the s2mt command (build/normal)"
	@echo "make demo       the main job: what s2mt shows"
	@echo "make check      every test: unit tests, again under ASan+UBSan,"
	@echo "                the core built for aarch64, format check"
	@echo "make coverage   line coverage of the tests (lcov)"
	@echo "make el2-check  the core at EL2 on QEMU's MMU: QEMU 7.2 (max, cortex-a57)"
	@echo "                and QEMU 10.0 (max, neoverse-v1, cortex-a710, cortex-a57;"
	@echo "                fetched into build/qemu10, make el2-qemu10) (part of check)"
	@echo "make conformance the model vs real KVM on Debian kernels (part of check)"
	@echo "make bench      benchmarks (not part of check)"
	@echo "make fuzz       libFuzzer on the scenario loader (FUZZ_SECONDS=600)"
	@echo "make format     reformat the sources with .clang-format"

lib: $(LIB)
tool: $(S2MT)
conformance-tool: $(CONFORMANCE)

$(CONFORMANCE): $(CONF_SRCS) $(LIB) $(wildcard tools/conformance/*.h) $(wildcard include/s2mt/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -Itools/conformance $(CONF_SRCS) $(LIB) $(LDFLAGS_BASE) -o $@

$(B)/obj/core/%.o: src/core/%.c $(wildcard include/s2mt/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CORE_CFLAGS) -c $< -o $@

$(B)/obj/%.o: %.c $(wildcard include/s2mt/*.h) $(wildcard tests/support/*.h) \
	$(wildcard tools/s2mt/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -Itools/conformance -c $< -o $@

$(B)/obj/model/%.o: src/model/%.c $(wildcard include/s2mt/*.h src/model/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -c $< -o $@

$(LIB): $(CORE_OBJS) $(MODEL_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(TOOL_LIB): $(TOOL_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(S2MT): $(B)/obj/tools/s2mt/main.o $(TOOL_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_BASE) -o $@ $< $(TOOL_LIB) $(LIB) $(TOOL_LIBS)

CONF_LIB_SRCS := tools/conformance/script.c tools/conformance/backend_model.c
CONF_LIB_OBJS := $(patsubst %.c,$(B)/obj/%.o,$(CONF_LIB_SRCS))

$(B)/tests/%: tests/%.c $(TEST_SUPPORT_OBJS) $(CONF_LIB_OBJS) $(TOOL_LIB) $(LIB) $(wildcard tests/support/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -Itests -Itools/s2mt $< $(TEST_SUPPORT_OBJS) \
		$(CONF_LIB_OBJS) $(TOOL_LIB) $(LIB) $(LDFLAGS_BASE) $(CMOCKA_LIBS) \
		$(TOOL_LIBS) -o $@

$(BENCH): $(BENCH_SRCS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -Itests $(BENCH_SRCS) $(LIB) $(LDFLAGS_BASE) -o $@

$(SCALE): tools/bench/scale.c
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) $< $(LDFLAGS_BASE) -ljansson -o $@

deps-build:
	@scripts/ensure-deps.sh $(DEPS_BUILD)
deps-test:
	@scripts/ensure-deps.sh $(DEPS_TEST)

# Runs every test binary of the variant (each prints cmocka's summary),
# then the examples (each carries its expectations) and the golden outputs.
test: $(TEST_BINS) $(S2MT)
	@set -e; for t in $(TEST_BINS); do \
		echo "== $$t"; S2MT_BIN=$(S2MT) ./$$t; done
	@echo "== examples ($(VARIANT))"; scripts/run-examples.sh $(S2MT)
	@echo "== golden outputs ($(VARIANT))"; scripts/golden.sh $(S2MT)

# After an intended change of output: rewrite tests/golden, then review
# `git diff tests/golden` before committing.
golden-update: tool
	scripts/golden.sh $(S2MT) --update

test-normal:
	$(MAKE) VARIANT=normal test
test-asan:
	$(MAKE) VARIANT=asan test

# The core must build freestanding for aarch64 and pull in nothing from a
# libc: every undefined symbol must be one a bare-metal runtime provides.
CORE_A64_OBJS := $(patsubst $(S2MT_ROOT)/src/%.c,build/aarch64/obj/%.o,$(S2MT_CORE_SRCS))
build/aarch64/obj/core/%.o: src/core/%.c $(wildcard include/s2mt/*.h)
	@mkdir -p $(dir $@)
	$(AARCH64_CC) -std=c11 $(WARN) -O2 -ffreestanding -nostdlib \
		-mgeneral-regs-only -fno-pie $(S2MT_CORE_CFLAGS) -c $< -o $@
build/aarch64/libs2mt-core.a: $(CORE_A64_OBJS)
	rm -f $@
	aarch64-linux-gnu-ar rcs $@ $^
core-aarch64: build/aarch64/libs2mt-core.a
	aarch64-linux-gnu-ld -r -o build/aarch64/core-all.o $(CORE_A64_OBJS)
	@undef=$$(aarch64-linux-gnu-nm -u build/aarch64/core-all.o | awk '{print $$2}' | sort -u | \
		grep -v -x -e memset -e memcpy -e memmove || true); \
	if [ -n "$$undef" ]; then echo "core-aarch64: core needs: $$undef"; exit 1; fi; \
	echo "core-aarch64: $< builds freestanding, no libc symbols"

check: deps-test
	$(MAKE) format-check
	$(MAKE) test-normal
	$(MAKE) test-asan
	$(MAKE) core-aarch64
	$(MAKE) install-check
	$(MAKE) el2-check
	$(MAKE) conformance
	@echo "make check: all passed"

coverage:
	@scripts/ensure-deps.sh $(DEPS_COVERAGE)
	rm -rf build/coverage
	$(MAKE) VARIANT=coverage test
	lcov -q --capture --directory build/coverage/obj --output-file build/coverage/lcov.info
	lcov -q --extract build/coverage/lcov.info '*/src/*' '*/tools/s2mt/*' --output-file build/coverage/src.info
	lcov --list build/coverage/src.info

bench:
	@scripts/ensure-deps.sh $(DEPS_BENCH)
	$(MAKE) VARIANT=bench OPT="-O2 -DNDEBUG" build/bench/bin/s2mt-bench \
		build/bench/bin/s2mt build/bench/bin/s2mt-scale
	./build/bench/bin/s2mt-bench
	@scripts/bench-callgrind.sh ./build/bench/bin/s2mt-bench
	./build/bench/bin/s2mt-scale $(SCALE_FLAGS) ./build/bench/bin/s2mt

# Only the scale section of `make bench` (the same variables).
bench-scale:
	@scripts/ensure-deps.sh $(DEPS_BENCH)
	$(MAKE) VARIANT=bench OPT="-O2 -DNDEBUG" build/bench/bin/s2mt \
		build/bench/bin/s2mt-scale
	./build/bench/bin/s2mt-scale $(SCALE_FLAGS) ./build/bench/bin/s2mt

demo: deps-build
	$(MAKE) tool
	./$(S2MT) run examples/grace-hopper-vm.yaml

# The core at EL2 under QEMU, refereed by QEMU's MMU (el2/README.md).
include el2/el2.mk

# The model held to real KVM: Debian kernels under QEMU (issue 6).
include tools/conformance/conformance.mk

# make install, uninstall, the shared library, pkg-config (issue 12).
include mk/install.mk

# libFuzzer on the scenario loader, seeded with the examples and the bad
# inputs; FUZZ_SECONDS to change the time. Crashes land in build/fuzz/.
FUZZ_SECONDS ?= 600
fuzz:
	@scripts/ensure-deps.sh $(DEPS_FUZZ)
	@mkdir -p build/fuzz/corpus
	cp examples/*.yaml tests/data/bad/*.yaml build/fuzz/corpus/
	clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
		-Iinclude -Itools/s2mt tools/fuzz/fuzz_scenario.c \
		$(wildcard tools/s2mt/scenario*.c) tools/s2mt/size.c \
		$(S2MT_CORE_SRCS) $(MODEL_SRCS) -lyaml \
		-o build/fuzz/fuzz_scenario
	cd build/fuzz && ./fuzz_scenario -max_total_time=$(FUZZ_SECONDS) \
		-print_final_stats=1 corpus

FORMAT_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
format:
	clang-format -i $(FORMAT_FILES)
format-check:
	@if [ -z "$(FORMAT_FILES)" ]; then \
		echo "format-check: no files listed (needs git and a clone)"; \
		exit 1; fi
	@bad=$$(for f in $(FORMAT_FILES); do \
		clang-format --dry-run --Werror $$f >/dev/null 2>&1 || echo $$f; done); \
	if [ -n "$$bad" ]; then echo "format-check: needs 'make format':"; \
		echo "$$bad"; exit 1; fi; echo "format-check: ok"

clean:
	rm -rf build
