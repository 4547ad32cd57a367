/* SPDX-License-Identifier: MIT */
/* Assertions with a message, for cmocka tests (include after cmocka.h). */
#ifndef S2MT_TEST_EXPECT_H
#define S2MT_TEST_EXPECT_H

#include <stdio.h>

#include <s2mt/core.h>

#define expect(cond, ...)                                                      \
	do {                                                                   \
		if (!(cond)) {                                                 \
			char m_[4096];                                         \
			snprintf(m_, sizeof(m_), __VA_ARGS__);                 \
			fail_msg("%s:%d: expected %s: %s", __FILE__, __LINE__, \
				 #cond, m_);                                   \
		}                                                              \
	} while (0)

#define expect_rc(call, want)                                                  \
	do {                                                                   \
		int rc_ = (call);                                              \
		int want_ = (want);                                            \
		expect(rc_ == want_, "%s returned %d (%s), want %d (%s)",      \
		       #call, rc_, s2mt_errno_name(rc_ < 0 ? -rc_ : rc_),      \
		       want_, s2mt_errno_name(want_ < 0 ? -want_ : want_));    \
	} while (0)

#endif
