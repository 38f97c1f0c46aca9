/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for urlencoded.c: the decoder every query argument, uri_args
 * and urlencoded body goes through, and the lookup of one query argument
 * (README "Beyond Kong", "Keys"). */
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "urlencoded.h"
#include "check.h"

static apr_pool_t *pool;

/* Decodes s; the result, or "<fails>" when it fails. */
static const char *decoded(const char *s, int strict, apr_size_t *len)
{
    char *out;

    if (ku_url_decode(pool, s, strlen(s), strict, &out, len) != 0)
        return "<fails>";
    return out;
}

static void test_decode(void)
{
    apr_size_t len;

    CHECK("'+' is a space", !strcmp(decoded("a+b", 1, &len), "a b"));
    CHECK("%20 is a space", !strcmp(decoded("a%20b", 1, &len), "a b"));
    CHECK("%2F is a slash", !strcmp(decoded("a%2Fb", 1, &len), "a/b"));
    CHECK("%2f, lower case, too", !strcmp(decoded("a%2fb", 1, &len), "a/b"));
    CHECK("%2B is a plus, not a space", !strcmp(decoded("a%2Bb", 1, &len), "a+b"));
    CHECK("%25 is a percent sign, decoded once", !strcmp(decoded("%2541", 1, &len), "%41"));
    decoded("a%00b", 1, &len);
    CHECK("%00 decodes to a NUL, counted in the length", len == 3);
    CHECK("a bad escape fails when strict", !strcmp(decoded("evil%zz", 1, &len), "<fails>"));
    CHECK("a '%' at the end fails when strict", !strcmp(decoded("a%", 1, &len), "<fails>"));
    CHECK("one hex digit fails when strict", !strcmp(decoded("a%4", 1, &len), "<fails>"));
    CHECK("a bad escape is kept when lenient",
          !strcmp(decoded("evil%zz%4", 0, &len), "evil%zz%4") && len == 9);
    CHECK("lenient decodes the good escapes beside it",
          !strcmp(decoded("%zz%41", 0, &len), "%zzA"));
    CHECK("empty", !strcmp(decoded("", 1, &len), "") && len == 0);
    CHECK("non-ASCII bytes pass", !strcmp(decoded("%C3%A9", 1, &len), "\xc3\xa9"));
}

/* The lookup's verdict and value, as one string: "found:VALUE", "absent"
 * or "invalid". */
static const char *arg(const char *query, const char *name)
{
    const char *value = NULL;

    switch (ku_query_arg(pool, query, name, &value)) {
    case KU_ARG_FOUND:
        return apr_pstrcat(pool, "found:", value, NULL);
    case KU_ARG_ABSENT:
        return "absent";
    default:
        return "invalid";
    }
}

static void test_query_arg(void)
{
    CHECK("a value", !strcmp(arg("key=abc", "key"), "found:abc"));
    CHECK("among others", !strcmp(arg("a=1&key=abc&b=2", "key"), "found:abc"));
    CHECK("%2F decodes to '/'", !strcmp(arg("key=a%2Fb", "key"), "found:a/b"));
    CHECK("'+' and %20 are spaces", !strcmp(arg("key=a+b%20c", "key"), "found:a b c"));
    CHECK("%00 is invalid", !strcmp(arg("key=a%00b", "key"), "invalid"));
    CHECK("a bad escape is invalid", !strcmp(arg("topics=evil%zz", "topics"), "invalid"));
    CHECK("a bad escape after a good topic is invalid",
          !strcmp(arg("topics=ku-aud,evil%zz", "topics"), "invalid"));
    CHECK("a bad escape in another argument does not matter",
          !strcmp(arg("x=%zz&key=k", "key"), "found:k"));
    CHECK("absent", !strcmp(arg("keys=1&akey=2&ke=3", "key"), "absent"));
    CHECK("no query", !strcmp(arg(NULL, "key"), "absent"));
    CHECK("empty query", !strcmp(arg("", "key"), "absent"));
    CHECK("a name without '=' is empty", !strcmp(arg("a&key&b=1", "key"), "found:"));
    CHECK("an empty value", !strcmp(arg("key=", "key"), "found:"));
    CHECK("the first of two wins", !strcmp(arg("key=1&key=2", "key"), "found:1"));
    CHECK("the first of two wins, even when it is invalid",
          !strcmp(arg("key=%zz&key=2", "key"), "invalid"));
    CHECK("names are decoded as uri_args shows them",
          !strcmp(arg("k%65y=v", "key"), "found:v"));
    CHECK("a name with a bad escape is kept as it is",
          !strcmp(arg("ke%zzy=v&key=w", "key"), "found:w"));
    CHECK("'=' in a value is kept", !strcmp(arg("key=a=b", "key"), "found:a=b"));
    CHECK("empty pieces are skipped", !strcmp(arg("&&key=v&", "key"), "found:v"));
    CHECK("a NUL in a name is not the name", !strcmp(arg("key%00=v", "key"), "absent"));
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    test_decode();
    test_query_arg();
    printf("%d passed, %d failed\n", passed, failed);
    apr_pool_destroy(pool);
    apr_terminate();
    return failed != 0;
}
