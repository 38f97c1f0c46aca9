/* SPDX-License-Identifier: Apache-2.0 */
/* urlencoded.c: the one decoder of form-urlencoded text (urlencoded.h). */
#include "urlencoded.h"

#include <string.h>

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int ku_url_decode(apr_pool_t *p, const char *s, apr_size_t len, int strict,
                  char **out, apr_size_t *out_len)
{
    char *o = *out = apr_palloc(p, len + 1);
    apr_size_t i;

    for (i = 0; i < len; i++) {
        int hi = i + 1 < len ? hex_value(s[i + 1]) : -1;
        int lo = i + 2 < len ? hex_value(s[i + 2]) : -1;

        if (s[i] == '%' && hi >= 0 && lo >= 0) {
            *o++ = (char)(hi * 16 + lo);
            i += 2;
        }
        else if (s[i] == '%' && strict)
            return -1;
        else
            *o++ = s[i] == '+' ? ' ' : s[i];
    }
    *o = '\0';
    *out_len = (apr_size_t)(o - *out);
    return 0;
}

/* Whether the piece's name, decoded leniently, is name. */
static int piece_named(apr_pool_t *p, const char *piece, apr_size_t name_len,
                       const char *name)
{
    char *dec;
    apr_size_t dec_len;

    ku_url_decode(p, piece, name_len, 0, &dec, &dec_len);
    return dec_len == strlen(name) && !memcmp(dec, name, dec_len);
}

ku_arg_t ku_query_arg(apr_pool_t *p, const char *query, const char *name,
                      const char **value)
{
    const char *piece = query ? query : "";

    while (*piece) {
        apr_size_t len = strcspn(piece, "&");
        const char *eq = memchr(piece, '=', len);
        apr_size_t name_len = eq ? (apr_size_t)(eq - piece) : len;

        if (name_len && piece_named(p, piece, name_len, name)) {
            char *dec;
            apr_size_t dec_len;

            if (!eq) {
                *value = "";
                return KU_ARG_FOUND;
            }
            if (ku_url_decode(p, eq + 1, len - name_len - 1, 1, &dec, &dec_len) != 0
                || memchr(dec, '\0', dec_len))
                return KU_ARG_INVALID;
            *value = dec;
            return KU_ARG_FOUND;
        }
        piece += len + (piece[len] == '&');
    }
    return KU_ARG_ABSENT;
}
