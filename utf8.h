/* SPDX-License-Identifier: Apache-2.0 */
/* utf8.h: UTF-8 validity (RFC 3629) and repair. Plain C on APR pools, no
 * httpd: unit-tested alone. */
#ifndef KU_UTF8_H
#define KU_UTF8_H

#include <apr_pools.h>

/* Whether s[0..len) is well-formed UTF-8 (no overlongs, surrogates or
 * code points above U+10FFFF). */
int ku_utf8_valid(const char *s, apr_size_t len);

/* s with every invalid byte (and NUL, when replace_nul) replaced by U+FFFD;
 * s itself when nothing needs replacing. */
const char *ku_utf8_sanitize(apr_pool_t *p, const char *s, apr_size_t len,
                             int replace_nul, apr_size_t *out_len);

/* Whether a C string is valid UTF-8; NULL counts as valid. */
int ku_utf8_cstr_valid(const char *s);

/* A C string made safe for JSON (header names and values may carry obs-text). */
const char *ku_utf8_safe_cstr(apr_pool_t *p, const char *s);

#endif
