# The EL2 harness: the core's sources (S2MT_CORE_SRCS, unchanged) and a
# small EL2 runtime in el2/, built freestanding for aarch64 into build/el2/
# and run at EL2 on QEMU's virt machine, where the MMU referees the core's
# attribute model and page tables (el2/README.md).
#
#   make el2-build     build/el2/s2mt-el2.elf
#   make el2-check     run it on Debian 12's QEMU 7.2 (max, cortex-a57) and
#                      on QEMU 10.0 from bookworm-backports (max,
#                      neoverse-v1, cortex-a710, cortex-a57), fetched into
#                      build/qemu10 by scripts/fetch-qemu.sh
#   make el2-qemu10    only the fetch (cached)
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
# The runs, CPU:CAPS per QEMU; CAPS are the host capabilities the CPU
# model must show (ID_AA64MMFR2_EL1.FWB, CTR_EL0.DIC/IDC), checked by the
# harness so that each run stays on its host class: FWB+DIC (the Grace
# class: K3's pre-emptive X), FWB without DIC, no FWB.
EL2_QEMU72 ?= qemu-system-aarch64
EL2_RUNS_QEMU72 ?= max:fwb cortex-a57:none
EL2_QEMU10_DIR ?= build/qemu10
EL2_QEMU10 := $(EL2_QEMU10_DIR)/root/usr/bin/qemu-system-aarch64
EL2_RUNS_QEMU10 ?= max:fwb,dic,idc neoverse-v1:fwb,dic,idc \
	cortex-a710:fwb,idc cortex-a57:none
# debian-archive-keyring: scripts/fetch-qemu.sh's private apt state.
EL2_DEPS := qemu-system-arm gcc-aarch64-linux-gnu debian-archive-keyring

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

.PHONY: el2-build el2-check el2-deps el2-qemu10

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

# QEMU 10.0, unpacked (never installed) and cached: a second run only
# checks that the binary still starts.
el2-qemu10: el2-deps
	@$(S2MT_ROOT)/scripts/fetch-qemu.sh $(EL2_QEMU10_DIR) >/dev/null

# Each (QEMU, CPU) run: pass/fail from QEMU's exit status AND the result
# marker; the counts each run printed; the full logs stay in build/el2/.
el2-check: el2-deps el2-build el2-qemu10
	@t0=$$(date +%s%N); fail=0; n=0; \
	for q in "$(EL2_QEMU72)|$(EL2_RUNS_QEMU72)" \
		"$(EL2_QEMU10)|$(EL2_RUNS_QEMU10)"; do \
		qemu=$${q%%|*}; \
		for run in $${q#*|}; do \
			n=$$((n + 1)); \
			QEMU=$$qemu EL2_CAPS=$${run#*:} EL2_ELF=$(EL2_ELF) \
			EL2_LOG_DIR=$(EL2_B) \
				$(S2MT_ROOT)/scripts/el2-run.sh $${run%%:*} || \
				fail=1; \
		done; \
	done; \
	ms=$$((($$(date +%s%N) - t0) / 1000000)); \
	if [ $$fail -ne 0 ]; then echo "el2-check: FAILED"; exit 1; fi; \
	echo "el2-check: all $$n runs passed ($$ms ms)"

.DEFAULT_GOAL := $(EL2_SAVED_GOAL)
