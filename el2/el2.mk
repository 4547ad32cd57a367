# The EL2 harness: the core's sources (S2MT_CORE_SRCS, unchanged) and a
# small EL2 runtime in el2/, built freestanding for aarch64 into build/el2/
# and run at EL2 on QEMU's virt machine, where the MMU referees the core's
# attribute model and page tables (el2/README.md).
#
#   make el2-build     build/el2/s2mt-el2.elf
#   make el2-check     run it on -cpu max and -cpu cortex-a57
#
# Included by the top-level Makefile (which includes src/core/core.mk);
# on its own: make -f Makefile -f el2/el2.mk el2-check

S2MT_ROOT ?= $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))/..
# Wherever this is included, it does not change the default goal.
EL2_SAVED_GOAL := $(.DEFAULT_GOAL)
ifndef S2MT_CORE_SRCS
include $(S2MT_ROOT)/src/core/core.mk
endif

AARCH64_CC ?= aarch64-linux-gnu-gcc
EL2_B := build/el2
EL2_ELF := $(EL2_B)/s2mt-el2.elf
EL2_CPUS ?= max cortex-a57
EL2_DEPS := qemu-system-arm gcc-aarch64-linux-gnu

EL2_CFLAGS := -std=c11 -Wall -Wextra -Werror -O2 -g -ffreestanding \
	-nostdlib -mgeneral-regs-only -mno-outline-atomics -fno-pie \
	-fno-tree-loop-distribute-patterns \
	-fno-stack-protector -fno-asynchronous-unwind-tables \
	$(S2MT_CORE_CFLAGS) -I$(S2MT_ROOT)/el2
EL2_LDFLAGS := -nostdlib -static -no-pie -T $(S2MT_ROOT)/el2/link.ld \
	-Wl,--build-id=none -Wl,--no-warn-rwx-segments

EL2_SRCS := $(wildcard $(S2MT_ROOT)/el2/*.c)
EL2_ASM := $(wildcard $(S2MT_ROOT)/el2/*.S)
EL2_CORE_OBJS := $(patsubst $(S2MT_ROOT)/src/core/%.c,$(EL2_B)/obj/core/%.o,$(S2MT_CORE_SRCS))
EL2_OBJS := $(patsubst $(S2MT_ROOT)/el2/%.c,$(EL2_B)/obj/el2/%.o,$(EL2_SRCS)) \
	$(patsubst $(S2MT_ROOT)/el2/%.S,$(EL2_B)/obj/el2/%.o,$(EL2_ASM))
EL2_HDRS := $(wildcard $(S2MT_ROOT)/include/s2mt/*.h) \
	$(wildcard $(S2MT_ROOT)/src/core/*.h) $(wildcard $(S2MT_ROOT)/el2/*.h)

.PHONY: el2-build el2-check el2-deps

el2-build: $(EL2_ELF)

# Installs what is missing (scripts/ensure-deps.sh), before any compiling.
el2-deps:
	@$(S2MT_ROOT)/scripts/ensure-deps.sh $(EL2_DEPS)
$(EL2_OBJS) $(EL2_CORE_OBJS): | el2-deps

$(EL2_B)/obj/core/%.o: $(S2MT_ROOT)/src/core/%.c $(EL2_HDRS)
	@mkdir -p $(dir $@)
	$(AARCH64_CC) $(EL2_CFLAGS) -c $< -o $@

$(EL2_B)/obj/el2/%.o: $(S2MT_ROOT)/el2/%.c $(EL2_HDRS)
	@mkdir -p $(dir $@)
	$(AARCH64_CC) $(EL2_CFLAGS) -c $< -o $@

$(EL2_B)/obj/el2/%.o: $(S2MT_ROOT)/el2/%.S
	@mkdir -p $(dir $@)
	$(AARCH64_CC) $(EL2_CFLAGS) -c $< -o $@

$(EL2_ELF): $(EL2_OBJS) $(EL2_CORE_OBJS) $(S2MT_ROOT)/el2/link.ld
	$(AARCH64_CC) $(EL2_CFLAGS) $(EL2_LDFLAGS) -o $@ $(EL2_OBJS) \
		$(EL2_CORE_OBJS) -lgcc

# Each CPU's run: pass/fail from QEMU's exit status AND the result marker;
# the counts each run printed; the full logs stay in build/el2/.
el2-check: el2-deps el2-build
	@fail=0; for cpu in $(EL2_CPUS); do \
		EL2_ELF=$(EL2_ELF) EL2_LOG_DIR=$(EL2_B) \
			$(S2MT_ROOT)/scripts/el2-run.sh $$cpu || fail=1; \
	done; \
	if [ $$fail -ne 0 ]; then echo "el2-check: FAILED"; exit 1; fi; \
	echo "el2-check: all runs passed"

.DEFAULT_GOAL := $(EL2_SAVED_GOAL)
