/* SPDX-License-Identifier: Apache-2.0 */
/* urlencoded.h: the one decoder of form-urlencoded text, used for every
 * query argument the module reads (key, topics, the status page's format),
 * the envelope's uri_args and urlencoded bodies (README "Beyond Kong",
 * "Keys"). Plain C on APR pools, no httpd: unit-tested and fuzzed alone. */
#ifndef KU_URLENCODED_H
#define KU_URLENCODED_H

#include <apr_pools.h>

/* Decodes s[0..len): '+' is a space, %XX the byte XX (%2F a '/', %00 a
 * NUL). A '%' without two hex digits after it is a bad escape: strict
 * decoding fails (-1), lenient decoding keeps it as it is. On 0, *out is
 * NUL-terminated, in p, and *out_len counts the bytes before that NUL
 * (the text itself may hold NULs). */
int ku_url_decode(apr_pool_t *p, const char *s, apr_size_t len, int strict,
                  char **out, apr_size_t *out_len);

typedef enum {
    KU_ARG_ABSENT,      /* no argument of that name */
    KU_ARG_FOUND,       /* its value, decoded */
    KU_ARG_INVALID      /* its value has a bad escape or decodes to a NUL */
} ku_arg_t;

/* The first argument called name in a query string (the part after '?';
 * NULL is an empty one). Names are decoded leniently, as uri_args shows
 * them, so "k%65y=1" is the argument "key". The value is decoded strictly
 * into a C string in p ("" for a name without '='); a value that cannot be
 * decoded, or holds a NUL, is KU_ARG_INVALID: a key or a topic that is not
 * what the client sent must not be taken for an absent one. */
ku_arg_t ku_query_arg(apr_pool_t *p, const char *query, const char *name,
                      const char **value);

#endif
