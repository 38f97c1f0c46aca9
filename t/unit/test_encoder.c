/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for encoder.c: a plain C program, one line per case, ending with
 * "N passed, M failed"; exits non-zero when anything failed.
 *
 * Outputs are compared structurally (json_object_equal), so key order does
 * not matter; every output is also re-parsed strictly to prove it is valid
 * UTF-8 JSON.
 *
 * Build and run from the repository root:
 *   gcc -Wall -Wextra -Werror -std=c99 -I. $(apr-1-config --cflags --cppflags --includes) \
 *       $(apu-1-config --includes) $(pkg-config --cflags json-c) \
 *       t/unit/test_encoder.c encoder.c body_args.c json_args.c multipart.c utf8.c json_text.c -o /tmp/test_encoder \
 *       $(apr-1-config --link-ld --libs) $(apu-1-config --link-ld --libs) \
 *       $(pkg-config --libs json-c) && /tmp/test_encoder
 */
#include <stdio.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <json-c/json.h>

#include "encoder.h"
#include "t/unit/check.h"

static apr_pool_t *pool;

static const ku_encode_opts_t ALL = { 1, 1, 1, 1 };
static const ku_encode_opts_t BODY_ONLY = { 0, 0, 0, 1 };
static const ku_encode_opts_t URI_ONLY = { 0, 1, 0, 0 };
static const ku_encode_opts_t HEADERS_ONLY = { 0, 0, 1, 0 };

/* Strict parse of a whole string; NULL when it is not exactly one valid,
 * UTF-8 JSON value (or is the literal null, which no test expects). */
static json_object *parse_strict(const char *s, size_t len)
{
    json_tokener *tok = json_tokener_new();
    json_object *obj;

    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    obj = json_tokener_parse_ex(tok, s, (int)len + 1);
    if (json_tokener_get_error(tok) != json_tokener_success
        || json_tokener_get_parse_end(tok) < len) {
        json_object_put(obj);
        obj = NULL;
    }
    json_tokener_free(tok);
    return obj;
}

static ku_request_t body_req(const char *content_type, const char *body, size_t len)
{
    ku_request_t r;

    memset(&r, 0, sizeof(r));
    r.method = "POST";
    r.uri = "/";
    r.content_type = content_type;
    r.body = body;
    r.body_len = len;
    return r;
}

/* Encodes and compares with expected; returns the output (or NULL). */
static const char *encodes_to(const char *label, const ku_request_t *req,
                              const ku_encode_opts_t *opts, const char *expected)
{
    const char *out = NULL, *err = NULL;
    apr_size_t len = 0;
    json_object *got, *want;
    int ok;

    if (ku_encode_envelope(pool, req, opts, &out, &len, &err) != KU_ENC_OK) {
        printf("     unexpected error: %s\n", err ? err : "(none)");
        CHECK(label, 0);
        return NULL;
    }
    got = parse_strict(out, len);
    want = json_tokener_parse(expected);
    ok = got && want && len == strlen(out) && json_object_equal(got, want);
    if (!ok)
        printf("     got:      %s\n     expected: %s\n", out, expected);
    CHECK(label, ok);
    json_object_put(got);
    json_object_put(want);
    return out;
}

static void body_encodes_to(const char *label, const char *ct, const char *body,
                            size_t len, const char *expected)
{
    ku_request_t r = body_req(ct, body, len);

    encodes_to(label, &r, &BODY_ONLY, expected);
}

/* Expects KU_ENC_BAD_BODY with an error mentioning want_err, *out untouched. */
static void body_rejected(const char *label, const char *ct, const char *body,
                          size_t len, const char *want_err)
{
    ku_request_t r = body_req(ct, body, len);
    const char *out = "untouched", *err = NULL;
    apr_size_t out_len = 42;
    ku_enc_status_t st = ku_encode_envelope(pool, &r, &ALL, &out, &out_len, &err);
    int ok = st == KU_ENC_BAD_BODY && err && strstr(err, want_err)
             && strcmp(out, "untouched") == 0 && out_len == 42;

    if (!ok)
        printf("     status %d, error \"%s\", out %s\n", (int)st, err ? err : "", out);
    CHECK(label, ok);
}

#define BODY_OK(label, ct, lit, expected) \
    body_encodes_to(label, ct, lit, sizeof(lit) - 1, expected)
#define BODY_BAD(label, ct, lit, err) \
    body_rejected(label, ct, lit, sizeof(lit) - 1, err)

/* ------------------------------------------------------------- cases */

static void test_flags(void)
{
    ku_request_t r = body_req("text/plain", "hi", 2);
    ku_encode_opts_t none = { 0, 0, 0, 0 }, method = { 1, 0, 0, 0 };
    const char *out = NULL, *err = NULL;

    r.uri = "/a?x=1";
    r.query = "x=1";
    r.headers = apr_table_make(pool, 2);
    apr_table_set((apr_table_t *)r.headers, "Host", "example.com");
    encodes_to("all flags off gives {}", &r, &none, "{}");
    encodes_to("forward_method only", &r, &method, "{\"method\":\"POST\"}");
    encodes_to("forward_uri only", &r, &URI_ONLY,
               "{\"uri\":\"/a?x=1\",\"uri_args\":{\"x\":\"1\"}}");
    encodes_to("forward_headers only", &r, &HEADERS_ONLY,
               "{\"headers\":{\"host\":\"example.com\"}}");
    encodes_to("forward_body only", &r, &BODY_ONLY,
               "{\"body\":\"hi\",\"body_args\":{}}");
    encodes_to("all flags on", &r, &ALL,
               "{\"method\":\"POST\",\"uri\":\"/a?x=1\",\"uri_args\":{\"x\":\"1\"},"
               "\"headers\":{\"host\":\"example.com\"},\"body\":\"hi\",\"body_args\":{}}");
    ku_encode_envelope(pool, &r, &none, &out, NULL, &err);
    CHECK("out_len may be NULL", out && strcmp(out, "{}") == 0);
}

static void test_bodyless_get_exact(void)
{
    ku_request_t r = body_req(NULL, NULL, 0);
    const char *out = NULL, *err = NULL;
    apr_size_t len = 0;

    r.method = "GET";
    ku_encode_envelope(pool, &r, &BODY_ONLY, &out, &len, &err);
    CHECK("bodyless GET exact output",
          out && strcmp(out, "{\"body\":\"\",\"body_args\":{},\"body_base64\":true}") == 0
          && len == strlen(out));
}

static void test_field_order(void)
{
    ku_request_t r = body_req(NULL, NULL, 0);
    const char *out = NULL, *err = NULL;

    r.uri = "/p";
    r.headers = apr_table_make(pool, 1);
    ku_encode_envelope(pool, &r, &ALL, &out, NULL, &err);
    CHECK("stable field order",
          out && strcmp(out, "{\"method\":\"POST\",\"uri\":\"/p\",\"uri_args\":{},"
                             "\"headers\":{},\"body\":\"\",\"body_args\":{},"
                             "\"body_base64\":true}") == 0);
}

static void uri_case(const char *label, const char *uri, const char *query,
                     const char *expected)
{
    ku_request_t r = body_req(NULL, NULL, 0);

    r.uri = uri;
    r.query = query;
    encodes_to(label, &r, &URI_ONLY, expected);
}

static void test_uri_args(void)
{
    uri_case("uri without query: uri_args {}", "/p", NULL,
             "{\"uri\":\"/p\",\"uri_args\":{}}");
    uri_case("uri with empty query", "/p?", "",
             "{\"uri\":\"/p?\",\"uri_args\":{}}");
    uri_case("uri_args repeated name -> array", "/p?a=1&a=2&a=3", "a=1&a=2&a=3",
             "{\"uri\":\"/p?a=1&a=2&a=3\",\"uri_args\":{\"a\":[\"1\",\"2\",\"3\"]}}");
    uri_case("uri_args name without = -> true", "/p?flag&x=", "flag&x=",
             "{\"uri\":\"/p?flag&x=\",\"uri_args\":{\"flag\":true,\"x\":\"\"}}");
    uri_case("uri_args percent and plus decoding", "/p?na%20me=a+b%2Bc%26",
             "na%20me=a+b%2Bc%26",
             "{\"uri\":\"/p?na%20me=a+b%2Bc%26\",\"uri_args\":{\"na me\":\"a b+c&\"}}");
    uri_case("uri_args empty pieces skipped", "/p?a=1&&b=2&", "a=1&&b=2&",
             "{\"uri\":\"/p?a=1&&b=2&\",\"uri_args\":{\"a\":\"1\",\"b\":\"2\"}}");
    uri_case("uri_args invalid escapes kept literally", "/p?a=%zz&b=%4", "a=%zz&b=%4",
             "{\"uri\":\"/p?a=%zz&b=%4\",\"uri_args\":{\"a\":\"%zz\",\"b\":\"%4\"}}");
    uri_case("uri_args non-UTF-8 -> U+FFFD", "/p?a=%FFx", "a=%FFx",
             "{\"uri\":\"/p?a=%FFx\",\"uri_args\":{\"a\":\"\\ufffdx\"}}");
    uri_case("uri_args UTF-8 decoded", "/p?q=%C3%A9", "q=%C3%A9",
             "{\"uri\":\"/p?q=%C3%A9\",\"uri_args\":{\"q\":\"\\u00e9\"}}");
    uri_case("uri_args NUL in name -> U+FFFD, in value kept", "/p?a%00=%00", "a%00=%00",
             "{\"uri\":\"/p?a%00=%00\",\"uri_args\":{\"a\\ufffd\":\"\\u0000\"}}");
    uri_case("uri_args repeated mixed true/value", "/p?a&a=1", "a&a=1",
             "{\"uri\":\"/p?a&a=1\",\"uri_args\":{\"a\":[true,\"1\"]}}");
    uri_case("uri_args empty name skipped", "/p?=1&b=2", "=1&b=2",
             "{\"uri\":\"/p?=1&b=2\",\"uri_args\":{\"b\":\"2\"}}");
    uri_case("raw non-UTF-8 uri sanitized", "/\xff?a=1", "a=1",
             "{\"uri\":\"/\\ufffd?a=1\",\"uri_args\":{\"a\":\"1\"}}");
}

static void test_headers(void)
{
    ku_request_t r = body_req(NULL, NULL, 0);
    apr_table_t *h = apr_table_make(pool, 4);

    apr_table_set(h, "Content-Type", "text/plain");
    apr_table_set(h, "X-Forwarded-For", "1.1.1.1, 2.2.2.2");
    apr_table_add(h, "X-Dup", "a");
    apr_table_add(h, "x-dup", "b");
    apr_table_set(h, "X-Latin1", "caf\xe9");
    r.headers = h;
    encodes_to("headers lower-cased, merged kept, twice joined, sanitized", &r,
               &HEADERS_ONLY,
               "{\"headers\":{\"content-type\":\"text/plain\","
               "\"x-forwarded-for\":\"1.1.1.1, 2.2.2.2\",\"x-dup\":\"a, b\","
               "\"x-latin1\":\"caf\\ufffd\"}}");
    r.headers = NULL;
    encodes_to("no header table -> {}", &r, &HEADERS_ONLY, "{\"headers\":{}}");
}

static void test_json(void)
{
    char deep[80], ok_deep[80];
    int i;

    BODY_OK("json object", "application/json", "{\"a\":1,\"b\":[true,null,\"x\"]}",
            "{\"body\":\"{\\\"a\\\":1,\\\"b\\\":[true,null,\\\"x\\\"]}\","
            "\"body_args\":{\"a\":1,\"b\":[true,null,\"x\"]}}");
    BODY_OK("json array", "application/json", "[1,2]",
            "{\"body\":\"[1,2]\",\"body_args\":[1,2]}");
    BODY_OK("json bare number", "application/json", "42",
            "{\"body\":\"42\",\"body_args\":42}");
    BODY_OK("json null -> body_args {} (never null)", "application/json", "null",
            "{\"body\":\"null\",\"body_args\":{}}");
    BODY_OK("json surrounding whitespace ok", "application/json", " {\"a\":\"b\"}\r\n",
            "{\"body\":\" {\\\"a\\\":\\\"b\\\"}\\r\\n\",\"body_args\":{\"a\":\"b\"}}");
    BODY_OK("json escaped NUL kept", "application/json", "\"a\\u0000b\"",
            "{\"body\":\"\\\"a\\\\u0000b\\\"\",\"body_args\":\"a\\u0000b\"}");
    BODY_OK("json non-ASCII", "application/json", "{\"k\":\"\xc3\xa9\"}",
            "{\"body\":\"{\\\"k\\\":\\\"\\u00e9\\\"}\",\"body_args\":{\"k\":\"\\u00e9\"}}");
    BODY_OK("content-type case and params", "Application/JSON; charset=utf-8", "{}",
            "{\"body\":\"{}\",\"body_args\":{}}");
    BODY_BAD("json invalid", "application/json", "{\"a\":", "invalid JSON body");
    BODY_BAD("json trailing garbage", "application/json", "{\"a\":1} x", "invalid JSON");
    BODY_BAD("json two values", "application/json", "1 2", "invalid JSON");
    BODY_BAD("json single quotes (strict)", "application/json", "{'a':1}", "invalid JSON");
    BODY_BAD("json NaN", "application/json", "[NaN]", "invalid JSON");
    BODY_BAD("json Infinity", "application/json", "-Infinity", "invalid JSON");
    BODY_BAD("json number 1.", "application/json", "[1.]", "invalid JSON");
    BODY_BAD("json number .5", "application/json", ".5", "invalid JSON");
    BODY_BAD("json leading zero", "application/json", "[01]", "invalid JSON");
    BODY_BAD("json bad exponent", "application/json", "1e+", "invalid JSON");
    BODY_BAD("json raw control char in string", "application/json", "\"a\tb\"",
             "invalid JSON");
    BODY_BAD("json bad escape", "application/json", "\"\\x41\"", "invalid JSON");
    BODY_BAD("json trailing comma", "application/json", "[1,]", "invalid JSON");
    BODY_BAD("json comment", "application/json", "/*c*/1", "invalid JSON");
    BODY_BAD("json upper-case literal", "application/json", "TRUE", "invalid JSON");
    BODY_OK("json numbers", "application/json", "[-0.5e+3,0,1E2,-7]",
            "{\"body\":\"[-0.5e+3,0,1E2,-7]\",\"body_args\":[-0.5e+3,0,1E2,-7]}");
    BODY_OK("json escapes", "application/json", "[\"\\\"\\/\\n\\u00e9\"]",
            "{\"body\":\"[\\\"\\\\\\\"\\\\/\\\\n\\\\u00e9\\\"]\","
            "\"body_args\":[\"\\\"/\\n\\u00e9\"]}");
    BODY_OK("json lone surrogate escape stays valid", "application/json", "\"\\ud800\"",
            "{\"body\":\"\\\"\\\\ud800\\\"\",\"body_args\":\"\\ufffd\"}");
    BODY_BAD("json empty body", "application/json", "", "empty JSON body");
    BODY_BAD("json whitespace only", "application/json", "  ", "invalid JSON");
    BODY_BAD("json invalid UTF-8", "application/json", "\"\xff\"", "invalid JSON");
    BODY_BAD("json raw NUL", "application/json", "{}\0", "invalid JSON");
    for (i = 0; i < 33; i++) {
        deep[i] = '[';
        deep[33 + i] = ']';
    }
    deep[66] = '\0';
    body_rejected("json too deep (33 levels)", "application/json", deep, 66, "too deeply");
    for (i = 0; i < 32; i++) {
        ok_deep[i] = '[';
        ok_deep[32 + i] = ']';
    }
    ok_deep[64] = '\0';
    {
        ku_request_t r = body_req("application/json", ok_deep, 64);
        const char *out = NULL, *err = NULL;

        CHECK("json 32 levels accepted",
              ku_encode_envelope(pool, &r, &BODY_ONLY, &out, NULL, &err) == KU_ENC_OK);
    }
}

static void test_form(void)
{
    const char *ct = "application/x-www-form-urlencoded";

    BODY_OK("form fields", ct, "a=1&b=hello+world&c=%41%2b",
            "{\"body\":\"a=1&b=hello+world&c=%41%2b\","
            "\"body_args\":{\"a\":\"1\",\"b\":\"hello world\",\"c\":\"A+\"}}");
    BODY_OK("form repeated name -> array, bare name -> true", ct, "t=x&t=y&flag&e=",
            "{\"body\":\"t=x&t=y&flag&e=\","
            "\"body_args\":{\"t\":[\"x\",\"y\"],\"flag\":true,\"e\":\"\"}}");
    BODY_OK("form empty body -> {}", ct, "", "{\"body\":\"\",\"body_args\":{}}");
    BODY_OK("form raw UTF-8 accepted", "Application/X-WWW-Form-Urlencoded; charset=UTF-8",
            "n=\xc3\xa9",
            "{\"body\":\"n=\\u00e9\",\"body_args\":{\"n\":\"\\u00e9\"}}");
    BODY_BAD("form invalid escape %zz", ct, "a=%zz", "percent-encoding");
    BODY_BAD("form truncated escape %4", ct, "a=%4", "percent-encoding");
    BODY_BAD("form escape in name", ct, "%g1=1", "percent-encoding");
    BODY_BAD("form decoded non-UTF-8", ct, "a=%FF", "UTF-8");
    BODY_BAD("form raw non-UTF-8", ct, "a=\xff", "UTF-8");
    BODY_BAD("form NUL in name", ct, "a%00=1", "NUL");
}

#define MP_CT "multipart/form-data; boundary=XyZ"

static void test_multipart(void)
{
    static const char binary[] =
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"img\"; filename=\"a.png\"\r\n"
        "Content-Type: image/png; x=1 \r\n"
        "\r\n"
        "\x89PNG\r\n\x1a\n\0\0\r\n"
        "--XyZ--\r\n";

    BODY_OK("multipart text field", MP_CT,
            "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nhello\r\n--XyZ--\r\n",
            "{\"body\":\"--XyZ\\r\\nContent-Disposition: form-data; name=\\\"a\\\"\\r\\n"
            "\\r\\nhello\\r\\n--XyZ--\\r\\n\",\"body_args\":{\"a\":\"hello\"}}");
    {
        ku_request_t r = body_req(MP_CT,
            "preamble\r\n--XyZ\r\n"
            "content-disposition: form-data; name=\"f\"; filename=\"t.txt\"\r\n"
            "CONTENT-TYPE: text/plain\r\n\r\n"
            "line1\r\nline2\r\n--XyZ\r\n"
            "Content-Disposition: form-data; name=\"f\"\r\n\r\n"
            "\r\n--XyZ\r\n"
            "Content-Disposition: form-data; name=\"e\"\r\n\r\n"
            "--XyZ--\r\nepilogue", 0);
        const char *out = NULL, *err = NULL;
        json_object *o, *args, *f;

        r.body_len = strlen(r.body);
        ku_encode_envelope(pool, &r, &BODY_ONLY, &out, NULL, &err);
        o = out ? parse_strict(out, strlen(out)) : NULL;
        args = o ? json_object_object_get(o, "body_args") : NULL;
        f = args ? json_object_object_get(args, "f") : NULL;
        CHECK("multipart UTF-8 file part, repeated name, case-insensitive headers, "
              "pre/epilogue, empty parts",
              f && json_object_array_length(f) == 2
              && strcmp(json_object_get_string(json_object_array_get_idx(f, 0)),
                        "line1\r\nline2") == 0
              && strcmp(json_object_get_string(json_object_array_get_idx(f, 1)), "") == 0
              && strcmp(json_object_get_string(json_object_object_get(args, "e")), "") == 0
              && !json_object_object_get_ex(o, "body_base64", NULL));
        json_object_put(o);
    }
    /* The raw body is not UTF-8, so it is base64 too. */
    body_encodes_to("multipart binary file part (CR/LF/NUL inside)", MP_CT, binary,
                    sizeof(binary) - 1,
                    apr_psprintf(pool,
                        "{\"body\":\"%s\",\"body_base64\":true,\"body_args\":{\"img\":"
                        "{\"filename\":\"a.png\",\"content_type\":\"image/png; x=1\","
                        "\"content_base64\":\"iVBORw0KGgoAAA==\"}}}",
                        "LS1YeVoNCkNvbnRlbnQtRGlzcG9zaXRpb246IGZvcm0tZGF0YTsgbmFtZT0iaW1n"
                        "IjsgZmlsZW5hbWU9ImEucG5nIg0KQ29udGVudC1UeXBlOiBpbWFnZS9wbmc7IHg9"
                        "MSANCg0KiVBORw0KGgoAAA0KLS1YeVotLQ0K"));
    BODY_OK("multipart binary part without filename/type", MP_CT,
            "--XyZ\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\n\xff\xfe\r\n--XyZ--",
            "{\"body\":\"LS1YeVoNCkNvbnRlbnQtRGlzcG9zaXRpb246IGZvcm0tZGF0YTsgbmFtZT0iYiIN"
            "Cg0K//4NCi0tWHlaLS0=\",\"body_base64\":true,"
            "\"body_args\":{\"b\":{\"content_base64\":\"//4=\"}}}");
    BODY_OK("multipart quoted boundary with space and semicolon in name",
            "Multipart/Form-Data; charset=utf-8; boundary=\"a b:c\"",
            "--a b:c\r\nContent-Disposition: form-data; name=\"x;y\"\r\n\r\n1\r\n--a b:c--",
            "{\"body\":\"--a b:c\\r\\nContent-Disposition: form-data; name=\\\"x;y\\\"\\r\\n"
            "\\r\\n1\\r\\n--a b:c--\",\"body_args\":{\"x;y\":\"1\"}}");
    BODY_OK("multipart bare LF line endings", MP_CT,
            "--XyZ\nContent-Disposition: form-data; name=a\n\nv\n--XyZ--\n",
            "{\"body\":\"--XyZ\\nContent-Disposition: form-data; name=a\\n\\nv\\n--XyZ--\\n\","
            "\"body_args\":{\"a\":\"v\"}}");
    BODY_OK("multipart only closing delimiter -> {}", MP_CT, "--XyZ--\r\n",
            "{\"body\":\"--XyZ--\\r\\n\",\"body_args\":{}}");
    BODY_BAD("multipart missing boundary", "multipart/form-data",
             "--XyZ\r\n\r\n--XyZ--", "without boundary");
    BODY_BAD("multipart empty boundary", "multipart/form-data; boundary=\"\"",
             "--\r\n", "invalid multipart boundary");
    BODY_BAD("multipart boundary too long",
             "multipart/form-data; boundary=" "0123456789012345678901234567890123456789"
             "0123456789012345678901234567890", "--x", "invalid multipart boundary");
    BODY_BAD("multipart unterminated quoted boundary",
             "multipart/form-data; boundary=\"abc", "--abc--", "without boundary");
    BODY_BAD("multipart no closing delimiter", MP_CT,
             "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nhello",
             "without closing boundary");
    BODY_BAD("multipart truncated in headers", MP_CT,
             "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n", "truncated");
    BODY_BAD("multipart truncated after delimiter", MP_CT, "--XyZ", "truncated");
    BODY_BAD("multipart no opening delimiter", MP_CT, "hello", "opening boundary");
    BODY_BAD("multipart empty body", MP_CT, "", "opening boundary");
    BODY_BAD("multipart part without name", MP_CT,
             "--XyZ\r\nContent-Disposition: form-data\r\n\r\nv\r\n--XyZ--", "field name");
    BODY_BAD("multipart part without Content-Disposition", MP_CT,
             "--XyZ\r\nContent-Type: text/plain\r\n\r\nv\r\n--XyZ--", "field name");
    BODY_BAD("multipart header line without colon", MP_CT,
             "--XyZ\r\nbogus\r\n\r\nv\r\n--XyZ--", "malformed multipart part header");
    BODY_BAD("multipart junk after delimiter", MP_CT,
             "--XyZjunk\r\n\r\n--XyZ--", "malformed multipart boundary line");
    BODY_BAD("multipart non-UTF-8 field name", MP_CT,
             "--XyZ\r\nContent-Disposition: form-data; name=\"\xff\"\r\n\r\nv\r\n--XyZ--",
             "not valid UTF-8");
}

static void test_raw_and_base64(void)
{
    static const char *const text_types[] = {
        "text/plain", "text/html", "application/xml", "text/xml",
        "application/soap+xml", "TEXT/PLAIN; charset=utf-8"
    };
    size_t i;

    for (i = 0; i < sizeof(text_types) / sizeof(*text_types); i++)
        body_encodes_to(apr_psprintf(pool, "raw text type %s", text_types[i]),
                        text_types[i], "<a>\xc3\xa9</a>", 9,
                        "{\"body\":\"<a>\\u00e9</a>\",\"body_args\":{}}");
    BODY_OK("unknown type -> base64", "application/octet-stream", "hello",
            "{\"body\":\"aGVsbG8=\",\"body_args\":{},\"body_base64\":true}");
    BODY_OK("multipart/mixed is unknown -> base64", "multipart/mixed; boundary=x",
            "hello", "{\"body\":\"aGVsbG8=\",\"body_args\":{},\"body_base64\":true}");
    BODY_OK("no content type -> base64", NULL, "\0\1\2",
            "{\"body\":\"AAEC\",\"body_args\":{},\"body_base64\":true}");
    BODY_OK("text/plain invalid UTF-8 -> base64", "text/plain", "\xff\xfe",
            "{\"body\":\"//4=\",\"body_args\":{},\"body_base64\":true}");
    BODY_OK("text/plain NUL bytes escaped", "text/plain", "a\0b\0",
            "{\"body\":\"a\\u0000b\\u0000\",\"body_args\":{}}");
    {
        ku_request_t r = body_req("text/plain", "a\0b", 3);
        const char *out = NULL, *err = NULL;

        ku_encode_envelope(pool, &r, &BODY_ONLY, &out, NULL, &err);
        CHECK("NUL written as \\u0000", out && strstr(out, "\"a\\u0000b\""));
    }
}

static void test_utf8_validator(void)
{
    BODY_OK("valid 4-byte sequence kept raw", "text/plain", "\xf0\x9f\x98\x80",
            "{\"body\":\"\\ud83d\\ude00\",\"body_args\":{}}");
    BODY_OK("valid U+10FFFF kept raw", "text/plain", "\xf4\x8f\xbf\xbf",
            "{\"body\":\"\\udbff\\udfff\",\"body_args\":{}}");
    BODY_OK("overlong 2-byte -> base64", "text/plain", "abc\xc0\x80",
            "{\"body\":\"YWJjwIA=\",\"body_args\":{},\"body_base64\":true}");
    BODY_OK("overlong 3-byte -> base64", "text/plain", "\xe0\x80\x80",
            "{\"body\":\"4ICA\",\"body_args\":{},\"body_base64\":true}");
    BODY_OK("surrogate ED A0 80 -> base64", "text/plain", "\xed\xa0\x80",
            "{\"body\":\"7aCA\",\"body_args\":{},\"body_base64\":true}");
    BODY_OK("above U+10FFFF -> base64", "text/plain", "\xf4\x90\x80\x80",
            "{\"body\":\"9JCAgA==\",\"body_args\":{},\"body_base64\":true}");
    BODY_OK("truncated sequence -> base64", "text/plain", "\xe2\x82",
            "{\"body\":\"4oI=\",\"body_args\":{},\"body_base64\":true}");
    BODY_OK("lone continuation byte -> base64", "text/plain", "\x80",
            "{\"body\":\"gA==\",\"body_args\":{},\"body_base64\":true}");
}

/* Each record of a split, joined with "|"; or "error: <detail>". */
static const char *split_of(ku_split_t mode, const char *body)
{
    apr_array_header_t *records;
    const char *error = NULL, *joined = "";
    int i;

    if (ku_split_body(pool, body, strlen(body), mode, &records, &error) != KU_ENC_OK)
        return apr_pstrcat(pool, "error: ", error, NULL);
    for (i = 0; i < records->nelts; i++) {
        const ku_slice_t *r = &APR_ARRAY_IDX(records, i, ku_slice_t);
        joined = apr_pstrcat(pool, joined, i ? "|" : "", apr_pstrmemdup(pool, r->data, r->len),
                             NULL);
    }
    return joined;
}

static void split_case(const char *label, ku_split_t mode, const char *body,
                       const char *expected)
{
    const char *got = split_of(mode, body);

    CHECK(label, strcmp(got, expected) == 0);
    if (strcmp(got, expected))
        printf("    got: %s\n    expected: %s\n", got, expected);
}

static void test_split(void)
{
    split_case("split none keeps the body", KU_SPLIT_NONE, "a\nb", "a\nb");
    split_case("ndjson lines, CRLF and blank lines", KU_SPLIT_NDJSON,
               "{\"a\":1}\r\n\n  \n[2]\n\"s\"", "{\"a\":1}|[2]|\"s\"");
    split_case("ndjson bad line named", KU_SPLIT_NDJSON, "{}\n{\n[]",
               "error: invalid JSON on line 2");
    split_case("ndjson nothing", KU_SPLIT_NDJSON, "\n \n", "error: no records in the body");
    split_case("json-array elements as written", KU_SPLIT_JSON_ARRAY,
               "[ {\"a\" : 1.10, \"s\":\"],\\\"\"}, 2, \"x\", [ ] ]\n",
               "{\"a\" : 1.10, \"s\":\"],\\\"\"}|2|\"x\"|[ ]");
    split_case("blank body", KU_SPLIT_JSON_ARRAY, " \n", "error: no records in the body");
    split_case("json-array of nothing", KU_SPLIT_JSON_ARRAY, "[]",
               "error: no records in the body");
    split_case("json-array not an array", KU_SPLIT_JSON_ARRAY, "{\"a\":[1]}",
               "error: JSON body is not an array");
    split_case("json-array invalid", KU_SPLIT_JSON_ARRAY, "[1,", "error: invalid JSON body");
}

/* The status of a split with at most max records, and its count. */
static const char *split_max_of(ku_split_t mode, const char *body, int max)
{
    apr_array_header_t *records;
    const char *error = NULL;
    ku_enc_status_t rc = ku_split_body_max(pool, body, strlen(body), mode, max, &records, &error);

    return apr_psprintf(pool, "%s %d%s%s", rc == KU_ENC_OK ? "ok" : rc == KU_ENC_TOO_MANY
                        ? "too-many" : "bad", records->nelts, error ? " " : "", error ? error : "");
}

static void split_max_case(const char *label, ku_split_t mode, const char *body, int max,
                           const char *expected)
{
    const char *got = split_max_of(mode, body, max);

    CHECK(label, strcmp(got, expected) == 0);
    if (strcmp(got, expected))
        printf("    got: %s\n    expected: %s\n", got, expected);
}

static void test_split_max(void)
{
    split_max_case("ndjson at the limit", KU_SPLIT_NDJSON, "1\n2\n\n3\n", 3, "ok 3");
    split_max_case("ndjson one more: stops at it", KU_SPLIT_NDJSON, "1\n2\n3\n4\n5\n", 3,
                   "too-many 4 too many records");
    split_max_case("ndjson: lines after the limit are not read", KU_SPLIT_NDJSON,
                   "1\n2\n{bad\n", 1, "too-many 2 too many records");
    split_max_case("ndjson: a bad line before the limit", KU_SPLIT_NDJSON, "{bad\n1\n2\n", 1,
                   "bad 0 invalid JSON on line 1");
    split_max_case("json-array at the limit", KU_SPLIT_JSON_ARRAY, "[1,[2,3],{\"a\":4}]", 3,
                   "ok 3");
    split_max_case("json-array one more", KU_SPLIT_JSON_ARRAY, "[1,2,3,4,5]", 3,
                   "too-many 4 too many records");
    split_max_case("no limit", KU_SPLIT_JSON_ARRAY, "[1,2,3,4,5]", 0, "ok 5");
    split_max_case("split none: one record whatever the limit", KU_SPLIT_NONE, "1\n2", 1,
                   "ok 1");
}

static void test_config_fields(void)
{
    apr_array_header_t *fields = apr_array_make(pool, 2, sizeof(ku_enc_field_t));
    ku_encode_opts_t opts = BODY_ONLY;
    ku_request_t req = body_req(NULL, "", 0);
    ku_enc_field_t *f;

    f = apr_array_push(fields);
    f->name = "user";
    f->value = "alice";
    f = apr_array_push(fields);
    f->name = "empty";
    f->value = "";
    opts.fields = fields;
    encodes_to("config fields added, empty ones left out", &req, &opts,
               "{\"body\":\"\",\"body_args\":{},\"body_base64\":true,\"user\":\"alice\"}");
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);

    test_flags();
    test_bodyless_get_exact();
    test_field_order();
    test_uri_args();
    test_headers();
    test_json();
    test_form();
    test_multipart();
    test_raw_and_base64();
    test_utf8_validator();
    test_split();
    test_split_max();
    test_config_fields();

    apr_pool_destroy(pool);
    apr_terminate();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
