# Conformance against real KVM (tools/conformance/README.md), included by
# the top-level Makefile:
#   make conformance-init   the static aarch64 /init and the host mkcpio
#   make conformance        boot Debian kernels under QEMU 7.2 and QEMU 10
#                           (scripts/fetch-qemu.sh), run
#                           tools/conformance/kvm.ops on their /dev/kvm and
#                           on the model, compare (scripts/conformance.sh);
#                           the test module tools/conformance/cmem/ is
#                           built per kernel by scripts/build-cmem.sh
#                           against its Debian headers (cached in
#                           build/kheaders and build/cmem)

CONF_DIR := build/conformance
CONF_INIT := $(CONF_DIR)/init
CONF_MKCPIO := $(CONF_DIR)/mkcpio
CONF_INIT_SRCS := tools/conformance/init_main.c \
	tools/conformance/backend_kvm.c tools/conformance/guest.S \
	tools/conformance/script.c
# The model's side: the s2mt-conformance of this build variant ($(B), from
# the top-level Makefile: build/normal unless VARIANT says otherwise).
CONF_BIN := $(CONFORMANCE)
# Debian packages: the cross toolchain for /init; for the runs the
# emulator, an unpacker for the 6.12+ modules (.ko.xz) and the keyring the
# private apt state checks the archive with; make and binutils (objdump)
# for the test module's build.
DEPS_CONFORMANCE_INIT := gcc-aarch64-linux-gnu libc6-dev-arm64-cross
DEPS_CONFORMANCE_RUN := qemu-system-arm xz-utils debian-archive-keyring \
	make binutils

.PHONY: conformance conformance-init deps-conformance

$(CONF_INIT): $(CONF_INIT_SRCS) $(wildcard include/s2mt/*.h)
	@scripts/ensure-deps.sh $(DEPS_CONFORMANCE_INIT)
	@mkdir -p $(dir $@)
	$(AARCH64_CC) -std=gnu11 $(WARN) -O2 -static -Iinclude -D_GNU_SOURCE \
		-o $@ $(CONF_INIT_SRCS)

# s2mt probe alone, static, run inside every boot (issue 12).
CONF_PROBE := $(CONF_DIR)/s2mt-probe
CONF_PROBE_SRCS := tools/conformance/probe_main.c tools/s2mt/probe.c \
	tools/s2mt/size.c tools/s2mt/usage.c \
	src/model/kernel.c src/core/policy.c src/core/fmt.c src/core/x86.c \
	src/core/attr.c
$(CONF_PROBE): $(CONF_PROBE_SRCS) $(wildcard include/s2mt/*.h) tools/s2mt/probe.h \
	tools/s2mt/size.h
	@scripts/ensure-deps.sh $(DEPS_CONFORMANCE_INIT)
	@mkdir -p $(dir $@)
	$(AARCH64_CC) -std=gnu11 $(WARN) -O2 -static -Iinclude -Itools/s2mt \
		-D_GNU_SOURCE -o $@ $(CONF_PROBE_SRCS)

$(CONF_MKCPIO): tools/conformance/mkcpio.c
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -o $@ $<

conformance-init: $(CONF_INIT) $(CONF_MKCPIO) $(CONF_PROBE)

deps-conformance:
	@scripts/ensure-deps.sh $(DEPS_BUILD) $(DEPS_CONFORMANCE_INIT) \
		$(DEPS_CONFORMANCE_RUN)

# $(CONF_BIN) is built by the top-level Makefile's rules ($(CONFORMANCE)).
conformance: conformance-init $(CONF_BIN) $(S2MT)
	@scripts/ensure-deps.sh $(DEPS_CONFORMANCE_RUN)
	CONF_BIN=$(CONF_BIN) CONF_S2MT=$(S2MT) scripts/conformance.sh
