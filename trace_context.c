/* SPDX-License-Identifier: Apache-2.0 */
/* trace_context.c: traceparent (W3C Trace Context, section "traceparent
 * Header"), as README "Trace context" says it is read. */
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "trace_context.h"

/* n lower-case hex digits; not all zero when nonzero is set. */
static int lower_hex(const char *s, int n, int nonzero)
{
    int i, zero = 1;

    for (i = 0; i < n; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
        zero = zero && s[i] == '0';
    }
    return !(nonzero && zero);
}

/* version "-" trace-id "-" parent-id "-" trace-flags: 2, 32, 16 and 2 hex
 * digits. Version ff is invalid; version 00 is exactly that long; a later
 * version may go on after a '-' (its fields are not ours to read). */
int ku_traceparent_valid(const char *s)
{
    size_t len = strlen(s);

    if (len < 55 || !lower_hex(s, 2, 0) || !strncmp(s, "ff", 2) || s[2] != '-'
        || !lower_hex(s + 3, 32, 1) || s[35] != '-' || !lower_hex(s + 36, 16, 1)
        || s[52] != '-' || !lower_hex(s + 53, 2, 0))
        return 0;
    if (!strncmp(s, "00", 2))
        return len == 55;
    return len == 55 || s[55] == '-';
}

const char *ku_traceparent_new(apr_pool_t *p)
{
    static const char digits[] = "0123456789abcdef";
    unsigned char random[24];
    char *out = apr_pstrdup(p, "00-00000000000000000000000000000000-0000000000000000-01");
    int i;

    do {
        if (apr_generate_random_bytes(random, sizeof(random)) != APR_SUCCESS)
            return NULL;
        for (i = 0; i < 16; i++) {
            out[3 + 2 * i] = digits[random[i] >> 4];
            out[4 + 2 * i] = digits[random[i] & 15];
        }
        for (i = 0; i < 8; i++) {
            out[36 + 2 * i] = digits[random[16 + i] >> 4];
            out[37 + 2 * i] = digits[random[16 + i] & 15];
        }
    } while (!ku_traceparent_valid(out)); /* all-zero ids are invalid */
    return out;
}
