/* SPDX-License-Identifier: Apache-2.0 */
/* check.h: what the C unit tests share: one line per case ("ok   label" or
 * "FAIL label (file:line)") and the counts for the closing
 * "N passed, M failed" line. */
#ifndef KU_UNIT_CHECK_H
#define KU_UNIT_CHECK_H

#include <stdio.h>

static int passed, failed;

#define CHECK(label, cond)                                                  \
    do {                                                                    \
        if (cond) {                                                         \
            passed++;                                                       \
            printf("ok   %s\n", label);                                     \
        }                                                                   \
        else {                                                              \
            failed++;                                                       \
            printf("FAIL %s (%s:%d)\n", label, __FILE__, __LINE__);         \
        }                                                                   \
    } while (0)

#endif
