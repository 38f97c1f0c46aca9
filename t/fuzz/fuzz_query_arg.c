/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_query_arg.c - libFuzzer target for ku_query_arg, the lookup of the
 * query arguments the module reads (key, topics, the status page's format).
 *
 * The input up to its first NUL is a query string; the bytes after it, when
 * they form a configurable argument name (letters, digits, . _ -), are one
 * more name to look up beside a fixed few. For each name:
 *  1. the verdict and value must match a reference written from the README
 *     ("Beyond Kong", Keys): the first piece whose name, decoded leniently
 *     (a bad escape kept), is the name; its value decoded strictly ('+' a
 *     space, %XX a byte): a bad escape or a NUL is invalid, never absent;
 *     a name without '=' is the empty value;
 *  2. it must agree with the envelope's uri_args of the same query: one
 *     decoder everywhere. Absent exactly when uri_args lacks the name;
 *     found, the first uri_args value is the same text (true for a bare
 *     name).
 */
#include "fuzz_common.h"
#include "urlencoded.h"

#include <apr_lib.h>

/* The reference verdict; *value malloc'd when found. */
static ku_arg_t ref_query_arg(const char *q, const char *name, char **value, int *bare)
{
    size_t len = strlen(q), start = 0;

    while (start < len) {
        size_t end = start, eq;
        char *dec;
        size_t dec_len;
        int match;

        while (end < len && q[end] != '&')
            end++;
        for (eq = start; eq < end && q[eq] != '='; eq++)
            ;
        if (eq > start) {
            fz_url_decode(q + start, eq - start, 0, &dec, &dec_len);
            match = dec_len == strlen(name) && !memcmp(dec, name, dec_len);
            free(dec);
            if (match) {
                *bare = eq == end;
                if (*bare) {
                    *value = strdup("");
                    return KU_ARG_FOUND;
                }
                if (!fz_url_decode(q + eq + 1, end - eq - 1, 1, value, &dec_len))
                    return KU_ARG_INVALID;
                if (memchr(*value, '\0', dec_len)) {
                    free(*value);
                    *value = NULL;
                    return KU_ARG_INVALID;
                }
                return KU_ARG_FOUND;
            }
        }
        start = end + 1;
    }
    return KU_ARG_ABSENT;
}

/* The first value uri_args holds for name, or NULL. */
static json_object *first_uri_arg(json_object *uri_args, const char *name)
{
    json_object *v;

    if (!json_object_object_get_ex(uri_args, name, &v))
        return NULL;
    return json_object_is_type(v, json_type_array) ? json_object_array_get_idx(v, 0) : v;
}

static void check_name(const char *query, const char *name, json_object *uri_args)
{
    const char *value = NULL;
    char *want = NULL;
    int bare = 0;
    ku_arg_t got = ku_query_arg(fz_pool, query, name, &value);
    ku_arg_t ref = ref_query_arg(query, name, &want, &bare);
    json_object *first = first_uri_arg(uri_args, name);

    FZ_CHECK(got == ref, "verdict differs from the reference");
    FZ_CHECK((got == KU_ARG_ABSENT) == (first == NULL), "absent exactly when uri_args lacks it");
    if (got == KU_ARG_FOUND) {
        FZ_CHECK(value && strcmp(value, want) == 0, "value differs from the reference");
        if (bare)
            FZ_CHECK(fz_is_true(first), "a bare name is true in uri_args");
        else if (fz_utf8_valid(value, strlen(value)))
            FZ_CHECK(json_object_is_type(first, json_type_string)
                         && strcmp(json_object_get_string(first), value) == 0,
                     "uri_args shows another value");
    }
    free(want);
}

/* A name KafkaUpstreamKeyQueryArg would accept. */
static int configurable(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (!(apr_isalnum((unsigned char)s[i]) || s[i] == '.' || s[i] == '_' || s[i] == '-'))
            return 0;
    return n > 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = { "key", "topics", "format", "a", NULL };
    static const ku_encode_opts_t uri_only = { 0, 1, 0, 0, NULL };
    char *query = fz_cstr(data, size);
    size_t qlen = strlen(query);
    const char *out, *err;
    apr_size_t out_len;
    ku_request_t req;
    json_object *env, *uri_args;
    int i;

    apr_pool_clear(fz_pool);
    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.query = query;
    req.uri = apr_pstrcat(fz_pool, "/q?", query, NULL);
    FZ_CHECK(fz_encode(&req, &uri_only, &out, &out_len, &err) == KU_ENC_OK, "envelope failed");
    env = fz_must_be_json(out, out_len, "envelope");
    FZ_CHECK(json_object_object_get_ex(env, "uri_args", &uri_args), "uri_args missing");
    for (i = 0; names[i]; i++)
        check_name(query, names[i], uri_args);
    if (qlen < size && configurable((const char *)data + qlen + 1, size - qlen - 1)) {
        char *name = fz_cstr(data + qlen + 1, size - qlen - 1);

        check_name(query, name, uri_args);
        free(name);
    }
    FZ_CHECK(ku_query_arg(fz_pool, NULL, "key", &out) == KU_ARG_ABSENT, "no query, no argument");
    json_object_put(env);
    free(query);
    return 0;
}
