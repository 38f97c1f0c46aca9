/* SPDX-License-Identifier: Apache-2.0 */
/* accept.c: the Accept header read for one question, HTML or JSON
 * (README "Status page"). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "accept.h"

#define KU_SPACE(c) ((c) == ' ' || (c) == '\t')

/* The quality of one element's parameters ("; q=0.5 ; level=1"): 1000
 * times q, 1000 without q=, 0 for a q= that is no number from 0 to 1. */
static int quality(const char *params, size_t len)
{
    size_t i = 0;

    while (i < len) {
        size_t start;

        while (i < len && (params[i] == ';' || KU_SPACE(params[i])))
            i++;
        start = i;
        while (i < len && params[i] != ';')
            i++;
        if (i - start >= 2 && (params[start] == 'q' || params[start] == 'Q')
            && params[start + 1] == '=') {
            int q = 0, scale = 1000, seen = 0;
            size_t k = start + 2;

            if (k < i && (params[k] == '0' || params[k] == '1')) {
                q = (params[k++] - '0') * 1000;
                seen = 1;
            }
            if (k < i && params[k] == '.')
                for (k++; k < i && params[k] >= '0' && params[k] <= '9' && scale > 1; k++)
                    q += (params[k] - '0') * (scale /= 10);
            while (k < i && KU_SPACE(params[k]))
                k++;
            return seen && k == i && q <= 1000 ? q : 0;
        }
    }
    return 1000;
}

/* How specifically range (len bytes, "type/subtype") matches type/subtype:
 * 3 exactly, 2 as "type/" plus a star, 1 as the star range, 0 not at all. */
static int specificity(const char *range, size_t len, const char *type, const char *subtype)
{
    const char *slash = memchr(range, '/', len);
    size_t tlen, slen;

    if (!slash)
        return 0;
    tlen = (size_t)(slash - range);
    slen = len - tlen - 1;
    if (tlen == 1 && range[0] == '*' && slen == 1 && slash[1] == '*')
        return 1;
    if (tlen != strlen(type) || strncasecmp(range, type, tlen))
        return 0;
    if (slen == 1 && slash[1] == '*')
        return 2;
    return slen == strlen(subtype) && !strncasecmp(slash + 1, subtype, slen) ? 3 : 0;
}

/* The quality accept gives type/subtype (1000 = q=1), -1 when none matches. */
static int quality_of(const char *accept, const char *type, const char *subtype)
{
    int best = 0, q = -1;

    while (*accept) {
        const char *end = strchr(accept, ','), *semi;
        size_t len, rlen;
        int s;

        if (!end)
            end = accept + strlen(accept);
        while (accept < end && KU_SPACE(*accept))
            accept++;
        len = (size_t)(end - accept);
        semi = memchr(accept, ';', len);
        rlen = semi ? (size_t)(semi - accept) : len;
        while (rlen && KU_SPACE(accept[rlen - 1]))
            rlen--;
        s = specificity(accept, rlen, type, subtype);
        if (s > best) {
            best = s;
            q = semi ? quality(semi, (size_t)(end - semi)) : 1000;
        }
        accept = *end ? end + 1 : end;
    }
    return q;
}

int ku_accept_prefers_html(const char *accept)
{
    if (!accept)
        return 0;
    return quality_of(accept, "text", "html") > quality_of(accept, "application", "json");
}
