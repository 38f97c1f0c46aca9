/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_accept.c - libFuzzer target for ku_accept_prefers_html, the status
 * page's reading of the Accept header (README "Status page").
 *
 * The input up to its first NUL is the header. Invariants:
 *  1. the answer is 0 or 1, and the same when asked twice;
 *  2. a header that does not name html (any case) never prefers it, as
 *     only text/html, text/ plus a star, or the star range can;
 *  3. naming application/json first at full quality never prefers HTML
 *     (it is the most specific range for JSON, and no quality beats 1);
 */
#include "fuzz_common.h"
#include "accept.h"

#include <strings.h>

/* Whether s holds word (any case), or a star when star is set. */
static int names(const char *s, const char *word, int star)
{
    const char *p;

    for (p = s; *p; p++)
        if ((star && *p == '*') || !strncasecmp(p, word, strlen(word)))
            return 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *accept = fz_cstr(data, size);
    int got = ku_accept_prefers_html(accept);
    char *json_first;

    FZ_CHECK(got == 0 || got == 1, "answer is 0 or 1");
    FZ_CHECK(got == ku_accept_prefers_html(accept), "same answer twice");
    if (!names(accept, "html", 1))
        FZ_CHECK(!got, "no html named, yet HTML preferred");
    json_first = malloc(strlen(accept) + 32);
    strcpy(json_first, "application/json,");
    strcat(json_first, accept);
    if (!names(accept, "json", 0))
        FZ_CHECK(!ku_accept_prefers_html(json_first), "JSON at q=1 lost to HTML");
    free(json_first);
    free(accept);
    return 0;
}
