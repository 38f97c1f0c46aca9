/* SPDX-License-Identifier: Apache-2.0 */
/* utf8.c: UTF-8 validity (RFC 3629) and repair, so that what the module
 * writes as JSON is always valid UTF-8. */
#include "utf8.h"

#include <string.h>

/* Length of the well-formed UTF-8 sequence at s (RFC 3629), or 0 when the
 * bytes there are not one: overlongs, surrogates, > U+10FFFF, truncation. */
static apr_size_t utf8_seq_len(const unsigned char *s, apr_size_t avail)
{
    unsigned char lo = 0x80, hi = 0xBF;
    apr_size_t n, i;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF)
        n = 2;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF)
        n = 3;
    else if (s[0] >= 0xF0 && s[0] <= 0xF4)
        n = 4;
    else
        return 0;
    /* The second byte's range is what excludes overlongs and surrogates. */
    if (s[0] == 0xE0)
        lo = 0xA0;
    else if (s[0] == 0xED)
        hi = 0x9F;
    else if (s[0] == 0xF0)
        lo = 0x90;
    else if (s[0] == 0xF4)
        hi = 0x8F;
    if (avail < n || s[1] < lo || s[1] > hi)
        return 0;
    for (i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return n;
}

int ku_utf8_valid(const char *s, apr_size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    apr_size_t i = 0, n;

    while (i < len) {
        if (u[i] < 0x80) { /* most bodies are ASCII: no call per byte */
            i++;
            continue;
        }
        if ((n = utf8_seq_len(u + i, len - i)) == 0)
            return 0;
        i += n;
    }
    return 1;
}

/* Copies s with every invalid byte (and NUL, when asked: object keys are C
 * strings) replaced by U+FFFD, so lenient input still yields valid JSON.
 * Returns s itself when nothing needs replacing. */
const char *ku_utf8_sanitize(apr_pool_t *p, const char *s, apr_size_t len,
                             int replace_nul, apr_size_t *out_len)
{
    static const char fffd[] = "\xEF\xBF\xBD";
    const unsigned char *u = (const unsigned char *)s;
    char *out, *o;
    apr_size_t i = 0, n;

    if (ku_utf8_valid(s, len) && !(replace_nul && memchr(s, '\0', len))) {
        *out_len = len;
        return s;
    }
    o = out = apr_palloc(p, len * 3 + 1);
    while (i < len) {
        n = utf8_seq_len(u + i, len - i);
        if (n == 0 || (replace_nul && u[i] == '\0')) {
            memcpy(o, fffd, 3);
            o += 3;
            i++;
        }
        else {
            memcpy(o, s + i, n);
            o += n;
            i += n;
        }
    }
    *o = '\0';
    *out_len = (apr_size_t)(o - out);
    return out;
}

/* NULL counts as valid: absent values are simply omitted later. */
int ku_utf8_cstr_valid(const char *s)
{
    return !s || ku_utf8_valid(s, strlen(s));
}

/* A C string made safe for JSON (header names and values may carry obs-text). */
const char *ku_utf8_safe_cstr(apr_pool_t *p, const char *s)
{
    apr_size_t len;

    return ku_utf8_sanitize(p, s, strlen(s), 1, &len);
}
