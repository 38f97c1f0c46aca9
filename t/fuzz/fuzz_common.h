/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_common.h - shared pieces of the libFuzzer targets in t/fuzz/:
 * the APR pool, input helpers, and the oracles the invariants use.
 *
 * The oracles are written independently of encoder.c on purpose: a UTF-8
 * validator (RFC 3629), an RFC 8259 JSON grammar check, and json-c's strict
 * tokener.  An invariant that does not hold prints what broke and abort()s,
 * which libFuzzer reports as a crash with the input saved.
 */
#ifndef KU_FUZZ_COMMON_H
#define KU_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_base64.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <json-c/json.h>

#include "encoder.h"

#define FZ_UNUSED __attribute__((unused))

#define FZ_CHECK(cond, what)                                                  \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "INVARIANT FAILED at %s:%d: %s [%s]\n", __FILE__, \
                    __LINE__, what, #cond);                                   \
            abort();                                                          \
        }                                                                     \
    } while (0)

/* README: a JSON body (or split record) may nest arrays and objects at most
 * 32 deep; valid JSON within that is accepted, deeper JSON is refused. */
#define FZ_JSON_DEPTH 32
/* Our own grammar check gives up (reports invalid) beyond this. */
#define FZ_MAX_DEPTH 1000

/* ------------------------------------------------------------ the pool */

static apr_pool_t *fz_pool;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (apr_initialize() != APR_SUCCESS || apr_pool_create(&fz_pool, NULL) != APR_SUCCESS) {
        fprintf(stderr, "cannot initialise APR\n");
        abort();
    }
    return 0;
}

/* ------------------------------------------------------- input helpers */

/* Exact-size heap copies, so ASan sees any read past the end (the fuzzer's
 * own buffer is exact-size too, but slices of it are not). */
static FZ_UNUSED char *fz_bytes(const uint8_t *d, size_t n)
{
    char *s = malloc(n ? n : 1);

    if (!s)
        abort();
    if (n)
        memcpy(s, d, n);
    return s;
}

/* NUL-terminated copy (an embedded NUL simply ends the C string early). */
static FZ_UNUSED char *fz_cstr(const uint8_t *d, size_t n)
{
    char *s = malloc(n + 1);

    if (!s)
        abort();
    if (n)
        memcpy(s, d, n);
    s[n] = '\0';
    return s;
}

/* ----------------------------------------------------------- UTF-8 */

/* RFC 3629 well-formedness: no overlongs, surrogates, > U+10FFFF,
 * stray continuation bytes or truncated sequences. */
static FZ_UNUSED int fz_utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;

    while (i < len) {
        unsigned c = s[i];
        size_t need, k;
        uint32_t cp;

        if (c < 0x80) {
            i++;
            continue;
        }
        if ((c & 0xE0) == 0xC0)
            need = 1, cp = c & 0x1F;
        else if ((c & 0xF0) == 0xE0)
            need = 2, cp = c & 0x0F;
        else if ((c & 0xF8) == 0xF0)
            need = 3, cp = c & 0x07;
        else
            return 0;
        if (len - i - 1 < need)
            return 0;
        for (k = 1; k <= need; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((need == 1 && cp < 0x80) || (need == 2 && cp < 0x800)
            || (need == 3 && cp < 0x10000) || cp > 0x10FFFF
            || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += need + 1;
    }
    return 1;
}

/* ---------------------------------------------- form-urlencoded text */

static FZ_UNUSED int fz_hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The reference decoding of s[0..n) into a malloc'd, NUL-terminated
 * buffer: '+' is a space, %XX a byte; a '%' without two hex digits fails
 * (returns 0) when strict and is kept otherwise. */
static FZ_UNUSED int fz_url_decode(const char *s, size_t n, int strict, char **out,
                                   size_t *out_len)
{
    char *o = malloc(n + 1);
    size_t i, k = 0;

    if (!o)
        abort();
    for (i = 0; i < n; i++) {
        int hi = i + 1 < n ? fz_hex_value((unsigned char)s[i + 1]) : -1;
        int lo = i + 2 < n ? fz_hex_value((unsigned char)s[i + 2]) : -1;

        if (s[i] == '%' && hi >= 0 && lo >= 0) {
            o[k++] = (char)(hi * 16 + lo);
            i += 2;
        }
        else if (s[i] == '%' && strict) {
            free(o);
            return 0;
        }
        else
            o[k++] = s[i] == '+' ? ' ' : s[i];
    }
    o[k] = '\0';
    *out = o;
    *out_len = k;
    return 1;
}

/* ------------------------------------------- RFC 8259 grammar check */

typedef struct {
    const unsigned char *s;
    size_t len, i;
    int depth, max_depth;
} fz_jp_t;

static void fz_jp_ws(fz_jp_t *p)
{
    while (p->i < p->len && (p->s[p->i] == ' ' || p->s[p->i] == '\t'
                             || p->s[p->i] == '\n' || p->s[p->i] == '\r'))
        p->i++;
}

static int fz_jp_lit(fz_jp_t *p, const char *lit)
{
    size_t n = strlen(lit);

    if (p->len - p->i < n || memcmp(p->s + p->i, lit, n) != 0)
        return 0;
    p->i += n;
    return 1;
}

static int fz_jp_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int fz_jp_string(fz_jp_t *p)
{
    p->i++; /* the opening quote */
    while (p->i < p->len) {
        unsigned char c = p->s[p->i++];

        if (c == '"')
            return 1;
        if (c < 0x20)
            return 0;
        if (c != '\\')
            continue;
        if (p->i >= p->len)
            return 0;
        c = p->s[p->i++];
        if (c == 'u') {
            int k;

            if (p->len - p->i < 4)
                return 0;
            for (k = 0; k < 4; k++)
                if (!fz_jp_hex(p->s[p->i + k]))
                    return 0;
            p->i += 4;
        }
        else if (!strchr("\"\\/bfnrt", c) || c == '\0')
            return 0;
    }
    return 0;
}

static int fz_jp_digits(fz_jp_t *p)
{
    size_t start = p->i;

    while (p->i < p->len && p->s[p->i] >= '0' && p->s[p->i] <= '9')
        p->i++;
    return p->i > start;
}

static int fz_jp_number(fz_jp_t *p)
{
    if (p->s[p->i] == '-')
        p->i++;
    if (p->i < p->len && p->s[p->i] == '0')
        p->i++;
    else if (!fz_jp_digits(p))
        return 0;
    if (p->i < p->len && p->s[p->i] == '.') {
        p->i++;
        if (!fz_jp_digits(p))
            return 0;
    }
    if (p->i < p->len && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
        p->i++;
        if (p->i < p->len && (p->s[p->i] == '+' || p->s[p->i] == '-'))
            p->i++;
        if (!fz_jp_digits(p))
            return 0;
    }
    return 1;
}

static int fz_jp_value(fz_jp_t *p);

/* Object or array: open, [value (, value)*] close; objects want "key": first. */
static int fz_jp_container(fz_jp_t *p, int is_object)
{
    char close = is_object ? '}' : ']';
    int ok = 0;

    if (++p->depth > FZ_MAX_DEPTH)
        return 0;
    if (p->depth > p->max_depth)
        p->max_depth = p->depth;
    p->i++;
    fz_jp_ws(p);
    if (p->i < p->len && p->s[p->i] == close) {
        p->i++;
        p->depth--;
        return 1;
    }
    for (;;) {
        if (is_object) {
            if (p->i >= p->len || p->s[p->i] != '"' || !fz_jp_string(p))
                break;
            fz_jp_ws(p);
            if (p->i >= p->len || p->s[p->i] != ':')
                break;
            p->i++;
            fz_jp_ws(p);
        }
        if (!fz_jp_value(p))
            break;
        fz_jp_ws(p);
        if (p->i < p->len && p->s[p->i] == ',') {
            p->i++;
            fz_jp_ws(p);
            continue;
        }
        if (p->i < p->len && p->s[p->i] == close) {
            p->i++;
            ok = 1;
        }
        break;
    }
    p->depth--;
    return ok;
}

static int fz_jp_value(fz_jp_t *p)
{
    unsigned char c;

    if (p->i >= p->len)
        return 0;
    c = p->s[p->i];
    if (c == '{' || c == '[')
        return fz_jp_container(p, c == '{');
    if (c == '"')
        return fz_jp_string(p);
    if (c == '-' || (c >= '0' && c <= '9'))
        return fz_jp_number(p);
    return fz_jp_lit(p, "true") || fz_jp_lit(p, "false") || fz_jp_lit(p, "null");
}

/* 1 when s is exactly one RFC 8259 JSON text (whitespace around allowed).
 * *depth (optional) receives the deepest container nesting seen.  UTF-8 is
 * checked separately (fz_utf8_valid). */
static FZ_UNUSED int fz_json_grammar(const char *s, size_t len, int *depth)
{
    fz_jp_t p = { (const unsigned char *)s, len, 0, 0, 0 };
    int ok;

    fz_jp_ws(&p);
    ok = fz_jp_value(&p);
    fz_jp_ws(&p);
    if (depth)
        *depth = p.max_depth;
    return ok && p.i == len;
}

/* json-c's strict tokener over exactly len bytes; NULL when it refuses
 * them or stops early.  JSON null also yields NULL: *ok tells them apart. */
static FZ_UNUSED json_object *fz_jsonc_parse(const char *s, size_t len, int max_depth, int *ok)
{
    json_tokener *tok = json_tokener_new_ex(max_depth);
    char *copy = fz_cstr((const uint8_t *)s, len);
    json_object *obj;

    if (!tok)
        abort();
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    /* Passing the NUL tells the tokener the text ends here. */
    obj = json_tokener_parse_ex(tok, copy, (int)len + 1);
    *ok = json_tokener_get_error(tok) == json_tokener_success
          && json_tokener_get_parse_end(tok) >= len;
    if (!*ok) {
        json_object_put(obj);
        obj = NULL;
    }
    json_tokener_free(tok);
    free(copy);
    return obj;
}

/* A JSON text some component produced: valid UTF-8, no NUL byte, RFC 8259
 * grammar, and json-c's strict tokener agrees.  Returns the parsed value
 * (the caller puts it); *ok is always 1 on return. */
static FZ_UNUSED json_object *fz_must_be_json(const char *s, size_t len, const char *what)
{
    json_object *obj;
    int ok;

    FZ_CHECK(s != NULL, what);
    FZ_CHECK(memchr(s, '\0', len) == NULL, what);
    FZ_CHECK(fz_utf8_valid(s, len), what);
    FZ_CHECK(fz_json_grammar(s, len, NULL), what);
    obj = fz_jsonc_parse(s, len, FZ_MAX_DEPTH, &ok);
    FZ_CHECK(ok, what);
    return obj;
}

/* An error detail: non-NULL, non-empty, short printable ASCII. */
static FZ_UNUSED void fz_check_error(const char *err)
{
    size_t n;

    FZ_CHECK(err != NULL, "error string is NULL");
    n = strlen(err);
    FZ_CHECK(n > 0, "error string is empty");
    FZ_CHECK(n < 200, "error string is not short");
    for (; *err; err++)
        FZ_CHECK(*err >= 0x20 && *err < 0x7F, "error string is not printable ASCII");
}

/* --------------------------------------------- shapes of the envelope */

static FZ_UNUSED int fz_is_true(json_object *v)
{
    return v && json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
}

/* An args object (uri_args, form body_args): non-empty names; a value is a
 * string or true, or an array of two or more of those (repeated names). */
static FZ_UNUSED void fz_check_args(json_object *args, const char *what)
{
    FZ_CHECK(args && json_object_is_type(args, json_type_object), what);
    json_object_object_foreach(args, key, val) {
        FZ_CHECK(*key != '\0', what);
        if (val && json_object_is_type(val, json_type_array)) {
            size_t i, n = json_object_array_length(val);

            FZ_CHECK(n >= 2, what);
            for (i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(val, i);

                FZ_CHECK(e && (json_object_is_type(e, json_type_string) || fz_is_true(e)), what);
            }
        }
        else
            FZ_CHECK(val && (json_object_is_type(val, json_type_string) || fz_is_true(val)), what);
    }
}

/* base64 text -> bytes (in the pool); 0 when it does not decode cleanly
 * (re-encoding must give the same text back). */
static FZ_UNUSED int fz_base64_decode(apr_pool_t *p, const char *b64, char **out, size_t *out_len)
{
    char *buf = apr_palloc(p, (apr_size_t)apr_base64_decode_len(b64) + 1);
    int n = apr_base64_decode_binary((unsigned char *)buf, b64);
    char *again;

    if (n < 0)
        return 0;
    again = apr_palloc(p, (apr_size_t)apr_base64_encode_len(n));
    apr_base64_encode_binary(again, (const unsigned char *)buf, n);
    if (strcmp(again, b64) != 0)
        return 0;
    *out = buf;
    *out_len = (size_t)n;
    return 1;
}

/* The envelope's "body"/"body_base64" pair gives back exactly the body bytes. */
static FZ_UNUSED void fz_check_body_roundtrip(json_object *env, const char *body, size_t len,
                                              int *was_base64)
{
    json_object *b, *b64 = NULL;
    int is_b64;

    FZ_CHECK(json_object_object_get_ex(env, "body", &b), "envelope without body");
    FZ_CHECK(json_object_is_type(b, json_type_string), "body is not a string");
    is_b64 = json_object_object_get_ex(env, "body_base64", &b64);
    if (is_b64) {
        char *dec;
        size_t dec_len;

        FZ_CHECK(fz_is_true(b64), "body_base64 present but not true");
        FZ_CHECK(fz_base64_decode(fz_pool, json_object_get_string(b), &dec, &dec_len),
                 "body is not clean base64");
        FZ_CHECK(dec_len == len && (len == 0 || memcmp(dec, body, len) == 0),
                 "base64 body does not decode to the request body");
    }
    else {
        FZ_CHECK((size_t)json_object_get_string_len(b) == len
                     && (len == 0 || memcmp(json_object_get_string(b), body, len) == 0),
                 "raw body differs from the request body");
        FZ_CHECK(fz_utf8_valid(body, len), "a body that is not UTF-8 was kept raw");
    }
    if (was_base64)
        *was_base64 = is_b64;
}

/* Runs the encoder with *out preset to a sentinel, so the failure path can
 * prove it left *out untouched (encoder.h promises that). */
static FZ_UNUSED ku_enc_status_t fz_encode(const ku_request_t *req, const ku_encode_opts_t *opts,
                                           const char **out, apr_size_t *out_len,
                                           const char **err)
{
    static const char sentinel[] = "untouched";
    ku_enc_status_t rc;

    *out = sentinel;
    *out_len = 0;
    *err = NULL;
    rc = ku_encode_envelope(fz_pool, req, opts, out, out_len, err);
    FZ_CHECK(rc == KU_ENC_OK || rc == KU_ENC_BAD_BODY, "unknown status");
    if (rc == KU_ENC_OK) {
        FZ_CHECK(*out != sentinel && *out != NULL, "OK without output");
        FZ_CHECK(strlen(*out) == *out_len, "output length disagrees with the string");
    }
    else {
        fz_check_error(*err);
        FZ_CHECK(*out == sentinel, "failure touched *out");
    }
    return rc;
}

#endif /* KU_FUZZ_COMMON_H */
