# The s2mt core: freestanding C (no libc, no malloc) that builds for the host
# and for an aarch64 EL2 image. Another build embeds it with:
#
#     S2MT_ROOT := path/to/s2mt
#     include $(S2MT_ROOT)/src/core/core.mk
#     CFLAGS += $(S2MT_CORE_CFLAGS)
#     objects from $(S2MT_CORE_SRCS)
#
# The core calls no library function; a compiler may still emit calls to
# memset/memcpy for struct copies, which a freestanding runtime provides.
S2MT_ROOT ?= $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))/../..
S2MT_CORE_SRCS := \
	$(S2MT_ROOT)/src/core/attr.c \
	$(S2MT_ROOT)/src/core/pgtable.c \
	$(S2MT_ROOT)/src/core/policy.c \
	$(S2MT_ROOT)/src/core/x86.c \
	$(S2MT_ROOT)/src/core/fmt.c
S2MT_CORE_CFLAGS := -I$(S2MT_ROOT)/include -ffreestanding
