/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for json_text.c: ku_json_compact must give exactly what json-c
 * prints (JSON_C_TO_STRING_PLAIN | NOSLASHESCAPE) whenever it answers, and
 * answer for the common bodies. Fixed cases, then random JSON texts and
 * mutations of them compared with json-c. Ends with "N passed, M failed".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <json-c/json.h>

#include "json_text.h"
#include "t/unit/check.h"

static apr_pool_t *pool;

/* json-c's print of s as encoder.c parses it, or NULL when it refuses s. */
static char *json_c_print(const char *s, size_t len)
{
    json_tokener *tok;
    json_object *obj;
    char *out = NULL;
    int too_deep;

    if (!ku_json_lexically_valid(s, len, &too_deep))
        return NULL;
    tok = json_tokener_new_ex(KU_MAX_JSON_DEPTH + 1);
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    obj = json_tokener_parse_ex(tok, s, (int)len + 1);
    if (json_tokener_get_error(tok) == json_tokener_success
        && json_tokener_get_parse_end(tok) >= len && obj)
        out = strdup(json_object_to_json_string_ext(
            obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(obj);
    json_tokener_free(tok);
    return out;
}

/* When ku_json_compact answers, json-c agrees byte for byte. */
static int agrees(const char *s, size_t len, int *answered)
{
    const char *text;
    apr_size_t n;
    char *expected;
    int ok;

    *answered = ku_json_compact(pool, s, len, &text, &n);
    if (!*answered)
        return 1;
    expected = json_c_print(s, len);
    ok = expected && strlen(expected) == n && !memcmp(expected, text, n);
    if (!ok)
        printf("# differs: in [%.*s] ours [%.*s] json-c [%s]\n", (int)len, s, (int)n, text,
               expected ? expected : "(refused)");
    free(expected);
    return ok;
}

static void fixed(const char *s, int expect_answer)
{
    int answered;
    char label[200];

    snprintf(label, sizeof(label), "%s: %s", s, expect_answer ? "compact" : "left to json-c");
    CHECK(label, agrees(s, strlen(s), &answered) && answered == expect_answer);
}

static void test_fixed(void)
{
    /* Answered: the common bodies, with and without whitespace. */
    fixed("{\"event\":\"page_view\",\"user\":\"u-1234567\",\"ts\":1764000000123,"
          "\"tags\":[\"web\",\"bench\"],\"value\":3.14}", 1);
    fixed(" { \"a\" : [ 1 , 2 ] ,\n\t\"b\" : { } }\r\n", 1);
    fixed("[1.50,1e5,-0.0,1E+2,0,-1,123456789012345678,-123456789012345678]", 1);
    fixed("{\"a/b\":\"x/y\",\"\xc3\xa9\":\"\x7f\",\"e\":{},\"f\":[],\"g\":[{}]}", 1);
    fixed("{\"t\":true,\"f\":false,\"n\":null}", 1);
    fixed("\"a string\"", 1);
    fixed("12", 1);
    fixed("{\"a\":{\"a\":1},\"b\":{\"a\":2}}", 1); /* same name, other objects */
    /* Left to json-c: it prints these its own way, or refuses them. */
    fixed("null", 0);
    fixed(" null ", 0);
    fixed("{\"a\":1,\"b\":2,\"a\":3}", 0);       /* repeated name */
    fixed("[-0]", 0);                           /* printed as 0 */
    fixed("[1234567890123456789]", 0);          /* 19 digits */
    fixed("[\"a\\nb\"]", 0);                    /* escapes */
    fixed("[\"\\u00e9\"]", 0);
    fixed("{\"a\":1,}", 0);
    fixed("[1,]", 0);
    fixed("[01]", 0);
    fixed("[1.]", 0);
    fixed("[.5]", 0);
    fixed("{'a':1}", 0);
    fixed("[NaN]", 0);
    fixed("[tru]", 0);
    fixed("{\"a\" 1}", 0);
    fixed("[1] [2]", 0);
    fixed("", 0);
    fixed("   ", 0);
    fixed("[\"tab\there\"]", 0);                /* raw control character */
    fixed("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", 1); /* 32 deep */
    fixed("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", 0); /* 33 */
}

/* --- random texts ------------------------------------------------------------ */

static const char *const pieces[] = {
    "0", "-0", "1", "-12", "3.5", "1e3", "-2E-2", "123456789012345678", "1234567890123456789",
    "true", "false", "null", "\"a\"", "\"b\"", "\"\"", "\"x/y\"", "\"\xc3\xa9\"", "\"q\\\"\"",
    "\"\\u0041\"",
};
static const char *const names[] = { "\"a\"", "\"b\"", "\"c\"", "\"\"", "\"a\\u0062\"" };
static const char *const spaces[] = { "", "", "", " ", "\n", " \t" };

/* Appends str when it fits (a function: its argument is a random pick,
 * evaluated once). */
static void put(char *buf, size_t *len, size_t cap, const char *str)
{
    size_t n = strlen(str);

    if (*len + n < cap) {
        memcpy(buf + *len, str, n);
        *len += n;
    }
}

static void gen(char *buf, size_t *len, size_t cap, int depth)
{
#define PUT(str) put(buf, len, cap, (str))
    int kind = depth > 4 ? 2 : rand() % 3, i, n;

    PUT(spaces[rand() % 6]);
    if (kind == 2)
        PUT(pieces[rand() % (int)(sizeof(pieces) / sizeof(*pieces))]);
    else {
        n = rand() % 4;
        PUT(kind ? "[" : "{");
        for (i = 0; i < n; i++) {
            if (i)
                PUT(",");
            if (!kind) {
                PUT(spaces[rand() % 6]);
                PUT(names[rand() % (int)(sizeof(names) / sizeof(*names))]);
                PUT(spaces[rand() % 6]);
                PUT(":");
            }
            gen(buf, len, cap, depth + 1);
        }
        PUT(spaces[rand() % 6]);
        PUT(kind ? "]" : "}");
    }
    PUT(spaces[rand() % 6]);
#undef PUT
}

static void test_random(void)
{
    static const char mutations[] = "{}[],:\" -.0e\\nx";
    int i, differs = 0, answered_valid = 0, answered_mutated = 0, answered;
    char buf[4096], label[120];

    srand(20261129);
    for (i = 0; i < 40000; i++) {
        size_t len = 0;

        gen(buf, &len, sizeof(buf) - 1, 0);
        buf[len] = '\0'; /* json-c is told the text ends at this NUL */
        if (!agrees(buf, len, &answered))
            differs++;
        answered_valid += answered;
        if (len) {  /* one byte changed: mostly invalid, sometimes not */
            buf[rand() % len] = mutations[rand() % (int)(sizeof(mutations) - 1)];
            if (!agrees(buf, len, &answered))
                differs++;
            answered_mutated += answered;
        }
    }
    snprintf(label, sizeof(label), "40000 random texts and 40000 mutations: json-c agrees "
             "every time (%d differ)", differs);
    CHECK(label, differs == 0);
    snprintf(label, sizeof(label), "the random texts are not all left to json-c "
             "(%d of 40000 answered, %d mutated)", answered_valid, answered_mutated);
    CHECK(label, answered_valid > 2000 && answered_mutated > 200);
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    test_fixed();
    test_random();
    printf("%d passed, %d failed\n", passed, failed);
    apr_pool_destroy(pool);
    apr_terminate();
    return failed ? 1 : 0;
}
