/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_urlencoded.c - libFuzzer target for the form-urlencoded parsers.
 *
 * The input is used twice:
 *  1. as a query string (up to its first NUL) with ForwardURI only: the
 *     lenient parser must never fail, and uri_args must have the args shape;
 *  2. as an application/x-www-form-urlencoded body with ForwardMethod and
 *     ForwardBody: the strict parser's verdict and body_args must match an
 *     independent reference decoder written from the contract (README "The message" and
 *     encoder.c's documented rules: '+' is a space, %XX a byte, a bad escape,
 *     a decoded name or value that is not UTF-8, or a NUL in a decoded name
 *     is malformed; "=x" and empty pieces are skipped; a bare name is true;
 *     a repeated name becomes an array in arrival order).
 * When the body parses and holds no NUL, both parsers must agree exactly.
 */
#include "fuzz_common.h"

/* Strict decoding of one component into a malloc'd buffer; 0 when malformed. */
static int ref_decode(const char *s, size_t n, int is_name, char **out, size_t *out_len)
{
    if (!fz_url_decode(s, n, 1, out, out_len))
        return 0;
    if (!fz_utf8_valid(*out, *out_len) || (is_name && memchr(*out, '\0', *out_len))) {
        free(*out);
        return 0;
    }
    return 1;
}

static void ref_add(json_object *args, const char *name, json_object *v)
{
    json_object *prev;

    if (!json_object_object_get_ex(args, name, &prev))
        json_object_object_add(args, name, v);
    else if (json_object_is_type(prev, json_type_array))
        json_object_array_add(prev, v);
    else {
        json_object *arr = json_object_new_array();

        json_object_array_add(arr, json_object_get(prev));
        json_object_array_add(arr, v);
        json_object_object_add(args, name, arr);
    }
}

/* The args object a well-formed body must give, or NULL when malformed. */
static json_object *ref_form(const char *s, size_t len)
{
    json_object *args = json_object_new_object();
    size_t start = 0;

    while (start <= len) {
        size_t end = start, eq;
        char *name, *value;
        size_t name_len, value_len;

        while (end < len && s[end] != '&')
            end++;
        for (eq = start; eq < end && s[eq] != '='; eq++)
            ;
        if (eq > start) { /* a piece with a non-empty name */
            if (!ref_decode(s + start, eq - start, 1, &name, &name_len)) {
                json_object_put(args);
                return NULL;
            }
            if (eq == end)
                ref_add(args, name, json_object_new_boolean(1));
            else if (ref_decode(s + eq + 1, end - eq - 1, 0, &value, &value_len)) {
                ref_add(args, name, json_object_new_string_len(value, (int)value_len));
                free(value);
            }
            else {
                free(name);
                json_object_put(args);
                return NULL;
            }
            free(name);
        }
        start = end + 1;
    }
    return args;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const ku_encode_opts_t uri_only = { 0, 1, 0, 0, NULL };
    static const ku_encode_opts_t body_only = { 1, 0, 0, 1, NULL };
    char *body = fz_bytes(data, size), *query = fz_cstr(data, size);
    const char *out, *err;
    apr_size_t out_len;
    ku_request_t req;
    json_object *qenv, *benv = NULL, *uri_args, *uri, *body_args, *method, *expected;
    ku_enc_status_t rc;

    apr_pool_clear(fz_pool);
    memset(&req, 0, sizeof(req));
    req.method = "POST";
    req.query = query;
    req.uri = apr_pstrcat(fz_pool, "/form?", query, NULL);
    req.content_type = "application/x-www-form-urlencoded";
    req.body = body;
    req.body_len = size;

    /* 1. lenient: the query */
    rc = fz_encode(&req, &uri_only, &out, &out_len, &err);
    FZ_CHECK(rc == KU_ENC_OK, "an envelope without the body failed");
    qenv = fz_must_be_json(out, out_len, "envelope (query)");
    FZ_CHECK(json_object_is_type(qenv, json_type_object), "envelope is not an object");
    FZ_CHECK(json_object_object_length(qenv) == 2, "ForwardURI alone gives uri and uri_args");
    FZ_CHECK(json_object_object_get_ex(qenv, "uri", &uri)
                 && json_object_is_type(uri, json_type_string), "uri");
    if (fz_utf8_valid(req.uri, strlen(req.uri)))
        FZ_CHECK(strcmp(json_object_get_string(uri), req.uri) == 0, "uri not as received");
    FZ_CHECK(json_object_object_get_ex(qenv, "uri_args", &uri_args), "uri_args missing");
    fz_check_args(uri_args, "uri_args shape");

    /* 2. strict: the body */
    expected = ref_form(body, size);
    rc = fz_encode(&req, &body_only, &out, &out_len, &err);
    if (rc == KU_ENC_OK) {
        FZ_CHECK(expected != NULL, "encoder accepted a form body the reference refuses");
        benv = fz_must_be_json(out, out_len, "envelope (body)");
        FZ_CHECK(json_object_is_type(benv, json_type_object), "envelope is not an object");
        FZ_CHECK(json_object_object_get_ex(benv, "method", &method)
                     && strcmp(json_object_get_string(method), "POST") == 0, "method");
        FZ_CHECK(json_object_object_get_ex(benv, "body_args", &body_args), "body_args missing");
        fz_check_args(body_args, "body_args shape");
        FZ_CHECK(json_object_equal(body_args, expected), "body_args differ from the reference");
        fz_check_body_roundtrip(benv, body, size, NULL);
        if (!memchr(body, '\0', size))
            FZ_CHECK(json_object_equal(body_args, uri_args),
                     "strict and lenient parsers disagree on a well-formed form");
    }
    else
        FZ_CHECK(expected == NULL, "encoder refused a form body the reference accepts");

    json_object_put(expected);
    json_object_put(benv);
    json_object_put(qenv);
    free(query);
    free(body);
    return 0;
}
