/* SPDX-License-Identifier: Apache-2.0 */
/* json_text.h: JSON bodies read as text, without json-c (json_text.c). */
#ifndef KU_JSON_TEXT_H
#define KU_JSON_TEXT_H

#include <apr_pools.h>

/* Deepest nesting of arrays and objects a JSON body may have. */
#define KU_MAX_JSON_DEPTH 32

/* Whether s holds only RFC 8259 tokens (json-c's strict mode accepts a few
 * more, and echoes some back); *too_deep when the nesting passes
 * KU_MAX_JSON_DEPTH. The structure is json-c's to check. */
int ku_json_lexically_valid(const char *s, apr_size_t len, int *too_deep);

/* The common case without json-c: when s (valid UTF-8, no NUL) is one JSON
 * value that json-c would print unchanged but for whitespace (no escapes,
 * no duplicate member names, no "-0", integers of at most 18 digits, not
 * the literal null), returns 1 with *out and *out_len its compact text, the
 * bytes json_object_to_json_string_ext(PLAIN | NOSLASHESCAPE) gives:
 * s itself when it has no whitespace to drop, else a copy in p. Returns 0
 * for anything else, valid or not: the caller then asks json-c. */
int ku_json_compact(apr_pool_t *p, const char *s, apr_size_t len,
                    const char **out, apr_size_t *out_len);

#endif
