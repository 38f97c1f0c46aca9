/* SPDX-License-Identifier: Apache-2.0 */
/* record_header.h: a Kafka record header, as the producer sends it and the
 * spool's file format keeps it; httpd-free. */
#ifndef KU_RECORD_HEADER_H
#define KU_RECORD_HEADER_H

#include <stddef.h>

typedef struct {
    const char *name;
    const char *value;
    size_t value_len;                   /* 0: strlen(value); more: bytes with NULs */
} ku_header_t;

#endif
