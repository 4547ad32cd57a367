// SPDX-License-Identifier: MIT
/*
 * The model's uAPI must read the same as the kernel's: constants and struct
 * layouts checked against the system's <linux/kvm.h> (Debian 12: 6.1
 * headers, an independent source) where it has them, and against the
 * kernel's documented layout of kvm_userspace_memory_region2 (6.8+).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <linux/kvm.h>

/* The kernel's values, captured before our header is read. */
static const unsigned long k_mem_log_dirty = KVM_MEM_LOG_DIRTY_PAGES;
static const unsigned long k_mem_readonly = KVM_MEM_READONLY;
static const long k_cap_user_memory = KVM_CAP_USER_MEMORY;
static const long k_cap_nr_memslots = KVM_CAP_NR_MEMSLOTS;
static const long k_cap_readonly_mem = KVM_CAP_READONLY_MEM;
static const long k_cap_ipa_size = KVM_CAP_ARM_VM_IPA_SIZE;
static const long k_cap_mte = KVM_CAP_ARM_MTE;
static const size_t k_region_size = sizeof(struct kvm_userspace_memory_region);
static const size_t k_region_offsets[] = {
	offsetof(struct kvm_userspace_memory_region, slot),
	offsetof(struct kvm_userspace_memory_region, flags),
	offsetof(struct kvm_userspace_memory_region, guest_phys_addr),
	offsetof(struct kvm_userspace_memory_region, memory_size),
	offsetof(struct kvm_userspace_memory_region, userspace_addr),
};

#undef KVM_MEM_LOG_DIRTY_PAGES
#undef KVM_MEM_READONLY
#undef KVM_MEM_GUEST_MEMFD
#undef KVM_CAP_USER_MEMORY
#undef KVM_CAP_NR_MEMSLOTS
#undef KVM_CAP_READONLY_MEM
#undef KVM_CAP_ARM_VM_IPA_SIZE
#undef KVM_CAP_ARM_MTE
#undef KVM_CAP_USER_MEMORY2
#undef KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED
#undef KVM_VM_TYPE_ARM_IPA_SIZE_MASK
#undef KVM_VM_TYPE_ARM_IPA_SIZE

#include <s2mt/model.h>

static void test_M1_C1_constants_match_linux_headers(void **state)
{
	(void)state;
	assert_int_equal(KVM_MEM_LOG_DIRTY_PAGES, k_mem_log_dirty);
	assert_int_equal(KVM_MEM_READONLY, k_mem_readonly);
	assert_int_equal(KVM_CAP_USER_MEMORY, k_cap_user_memory);
	assert_int_equal(KVM_CAP_NR_MEMSLOTS, k_cap_nr_memslots);
	assert_int_equal(KVM_CAP_READONLY_MEM, k_cap_readonly_mem);
	assert_int_equal(KVM_CAP_ARM_VM_IPA_SIZE, k_cap_ipa_size);
	assert_int_equal(KVM_CAP_ARM_MTE, k_cap_mte);
	/* Newer than the 6.1 headers: the kernel's uAPI values (SPEC M1,
	 * C1; include/uapi/linux/kvm.h of 6.8 and 6.17). */
	assert_int_equal(KVM_MEM_GUEST_MEMFD, 1UL << 2);
	assert_int_equal(KVM_CAP_USER_MEMORY2, 231);
	assert_int_equal(KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED, 243);
	assert_int_equal(KVM_VM_TYPE_ARM_IPA_SIZE(0x12f), 0x2f);
}

static void test_M2_region_layout_matches_linux(void **state)
{
	const size_t ours[] = {
		offsetof(struct s2mt_userspace_memory_region, slot),
		offsetof(struct s2mt_userspace_memory_region, flags),
		offsetof(struct s2mt_userspace_memory_region, guest_phys_addr),
		offsetof(struct s2mt_userspace_memory_region, memory_size),
		offsetof(struct s2mt_userspace_memory_region, userspace_addr),
	};

	(void)state;
	assert_int_equal(sizeof(struct s2mt_userspace_memory_region),
			 k_region_size);
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(ours[i], k_region_offsets[i]);
}

/* struct kvm_userspace_memory_region2 (Documentation/virt/kvm/api.rst):
 * slot u32, flags u32, guest_phys_addr u64, memory_size u64,
 * userspace_addr u64, guest_memfd_offset u64, guest_memfd u32, pad1 u32,
 * pad2 u64[14]: 160 bytes. */
static void test_M2_region2_layout_matches_kernel(void **state)
{
	(void)state;
	assert_int_equal(offsetof(struct s2mt_userspace_memory_region2, slot),
			 0);
	assert_int_equal(offsetof(struct s2mt_userspace_memory_region2, flags),
			 4);
	assert_int_equal(
		offsetof(struct s2mt_userspace_memory_region2, guest_phys_addr),
		8);
	assert_int_equal(
		offsetof(struct s2mt_userspace_memory_region2, memory_size),
		16);
	assert_int_equal(
		offsetof(struct s2mt_userspace_memory_region2, userspace_addr),
		24);
	assert_int_equal(offsetof(struct s2mt_userspace_memory_region2,
				  guest_memfd_offset),
			 32);
	assert_int_equal(
		offsetof(struct s2mt_userspace_memory_region2, guest_memfd),
		40);
	assert_int_equal(offsetof(struct s2mt_userspace_memory_region2, pad1),
			 44);
	assert_int_equal(offsetof(struct s2mt_userspace_memory_region2, pad2),
			 48);
	assert_int_equal(sizeof(struct s2mt_userspace_memory_region2), 160);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_M1_C1_constants_match_linux_headers),
		cmocka_unit_test(test_M2_region_layout_matches_linux),
		cmocka_unit_test(test_M2_region2_layout_matches_kernel),
	};

	return cmocka_run_group_tests_name("uapi", tests, NULL, NULL);
}
