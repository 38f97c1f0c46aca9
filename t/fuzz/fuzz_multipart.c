/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_multipart.c - libFuzzer target for the multipart/form-data parser.
 *
 * Input: the first line (CR stripped) is appended to
 * "multipart/form-data; boundary=" (so it may be a token, a quoted string,
 * or carry more parameters); everything after that line is the body.  No
 * newline: the whole input is the boundary parameter and the body is empty.
 *
 * Invariants when the body is accepted:
 *  - the envelope is valid UTF-8 JSON; body/body_base64 give back the body;
 *  - body_args maps names to a value or an array of two or more values; a
 *    value is the part's text (a string that occurs in the body) or, for
 *    content that is not UTF-8, {"filename"?, "content_type"?,
 *    "content_base64"} whose decoded bytes occur in the body and are not
 *    UTF-8;
 *  - with a plain-token boundary B: the body has "--B" and "--B--" at line
 *    starts, and no more values than delimiters;
 *  - re-encoding body_args as a fresh, canonical multipart body and parsing
 *    that gives the same body_args back.
 * When it is refused: a non-empty error and *out untouched.
 */
#include "fuzz_common.h"

#define PREFIX "multipart/form-data; boundary="

static int at_line_start(const char *body, size_t len, const char *needle, size_t nlen,
                         size_t *count)
{
    size_t i = 0;

    *count = 0;
    while (i + nlen <= len) {
        const char *nl;

        if (memcmp(body + i, needle, nlen) == 0)
            ++*count;
        nl = memchr(body + i, '\n', len - i);
        if (!nl)
            break;
        i = (size_t)(nl - body) + 1;
    }
    return *count > 0;
}

static int plain_boundary(const char *b)
{
    static const char allowed[] = "0123456789abcdefghijklmnopqrstuvwxyz"
                                  "ABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=?";
    size_t n = strlen(b);

    return n >= 1 && n <= 70 && strspn(b, allowed) == n;
}

typedef struct {
    char *s;
    size_t n, cap;
} buf_t;

typedef struct {
    const char *data;
    size_t len;
    const char *filename, *content_type; /* objects only; may be NULL */
    int is_object;
} leaf_t;

/* Checks the shape of one value and fills *leaf (content decoded, in the pool). */
static void fill_leaf(json_object *v, leaf_t *leaf)
{
    memset(leaf, 0, sizeof(*leaf));
    FZ_CHECK(v != NULL, "null value in body_args");
    if (json_object_is_type(v, json_type_string)) {
        leaf->data = json_object_get_string(v);
        leaf->len = (size_t)json_object_get_string_len(v);
        return;
    }
    FZ_CHECK(json_object_is_type(v, json_type_object), "a value is neither string nor object");
    leaf->is_object = 1;
    json_object_object_foreach(v, key, val) {
        FZ_CHECK(val && json_object_is_type(val, json_type_string), "file field not a string");
        if (strcmp(key, "filename") == 0)
            leaf->filename = json_object_get_string(val);
        else if (strcmp(key, "content_type") == 0)
            leaf->content_type = json_object_get_string(val);
        else if (strcmp(key, "content_base64") == 0) {
            char *dec;
            size_t dec_len;

            FZ_CHECK(fz_base64_decode(fz_pool, json_object_get_string(val), &dec, &dec_len),
                     "content_base64 is not clean base64");
            leaf->data = dec;
            leaf->len = dec_len;
        }
        else
            FZ_CHECK(0, "unexpected key in a file object");
    }
    FZ_CHECK(leaf->data != NULL, "file object without content_base64");
    FZ_CHECK(!fz_utf8_valid(leaf->data, leaf->len), "UTF-8 content was base64-encoded");
}

/* fill_leaf, plus: the content (and content type) came from the body. */
static void check_value(json_object *v, const char *body, size_t len, leaf_t *leaf)
{
    fill_leaf(v, leaf);
    FZ_CHECK(leaf->len == 0 || memmem(body, len, leaf->data, leaf->len),
             "a value's content does not occur in the body");
    if (leaf->content_type)
        FZ_CHECK(memmem(body, len, leaf->content_type, strlen(leaf->content_type)),
                 "content_type does not occur in the body");
}

/* name or filename as a quoted-string. */
static const char *quoted(const char *s)
{
    const char *c;
    char *out = apr_palloc(fz_pool, strlen(s) * 2 + 3), *o = out;

    *o++ = '"';
    for (c = s; *c; c++) {
        if (*c == '"' || *c == '\\')
            *o++ = '\\';
        *o++ = *c;
    }
    *o++ = '"';
    *o = '\0';
    return out;
}

static void append(buf_t *buf, const char *s, size_t n)
{
    if (buf->n + n > buf->cap) {
        buf->cap = (buf->n + n) * 2;
        if (!(buf->s = realloc(buf->s, buf->cap)))
            abort();
    }
    if (n)
        memcpy(buf->s + buf->n, s, n);
    buf->n += n;
}

static void append_part(buf_t *buf, const char *delim, const char *name,
                        const leaf_t *leaf)
{
    const char *head = apr_pstrcat(
        fz_pool, delim, "\r\nContent-Disposition: form-data; name=", quoted(name),
        leaf->filename ? "; filename=" : "", leaf->filename ? quoted(leaf->filename) : "",
        "\r\n", leaf->content_type ? "Content-Type: " : "",
        leaf->content_type ? leaf->content_type : "", leaf->content_type ? "\r\n" : "",
        "\r\n", NULL);

    append(buf, head, strlen(head));
    append(buf, leaf->data, leaf->len);
    append(buf, "\r\n", 2);
}

static void check_reencoding(json_object *body_args)
{
    static const char *const boundaries[] = {
        "kuFuzz0", "kuFuzz1-x", "kuFuzz2.y", "kuFuzz3_z", NULL
    };
    static const ku_encode_opts_t body_only = { 0, 0, 0, 1, NULL };
    const char *boundary = NULL, *delim = NULL, *out, *err;
    buf_t buf = { NULL, 0, 0 };
    apr_size_t out_len;
    ku_request_t req;
    json_object *env, *again;
    int b;
    char *copy;

    /* A boundary that none of the contents contains. */
    for (b = 0; boundaries[b] && !boundary; b++) {
        int clash = 0;

        delim = apr_pstrcat(fz_pool, "--", boundaries[b], NULL);
        json_object_object_foreach(body_args, key, val) {
            size_t i, n = json_object_is_type(val, json_type_array)
                              ? json_object_array_length(val) : 1;

            (void)key;
            for (i = 0; i < n; i++) {
                leaf_t leaf;
                json_object *e = json_object_is_type(val, json_type_array)
                                     ? json_object_array_get_idx(val, i) : val;

                fill_leaf(e, &leaf);
                if (memmem(leaf.data, leaf.len, delim, strlen(delim)))
                    clash = 1;
            }
        }
        if (!clash)
            boundary = boundaries[b];
    }
    if (!boundary)
        return;
    json_object_object_foreach(body_args, key, val) {
        size_t i, n = json_object_is_type(val, json_type_array)
                          ? json_object_array_length(val) : 1;

        for (i = 0; i < n; i++) {
            leaf_t leaf;

            fill_leaf(json_object_is_type(val, json_type_array)
                          ? json_object_array_get_idx(val, i) : val, &leaf);
            append_part(&buf, delim, key, &leaf);
        }
    }
    append(&buf, delim, strlen(delim));
    append(&buf, "--\r\n", 4);

    /* exact size, so ASan sees reads past the end */
    copy = fz_bytes((const uint8_t *)buf.s, buf.n);
    free(buf.s);
    memset(&req, 0, sizeof(req));
    req.content_type = apr_pstrcat(fz_pool, PREFIX, boundary, NULL);
    req.body = copy;
    req.body_len = buf.n;
    FZ_CHECK(fz_encode(&req, &body_only, &out, &out_len, &err) == KU_ENC_OK,
             "the canonical re-encoding of body_args was refused");
    env = fz_must_be_json(out, out_len, "envelope (re-encoded)");
    FZ_CHECK(json_object_object_get_ex(env, "body_args", &again), "body_args missing");
    FZ_CHECK(json_object_equal(again, body_args), "re-encoding changed body_args");
    json_object_put(env);
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const ku_encode_opts_t body_only = { 0, 0, 0, 1, NULL };
    const uint8_t *nl = memchr(data, '\n', size);
    size_t line_len = nl ? (size_t)(nl - data) : size;
    size_t body_len = nl ? size - line_len - 1 : 0;
    char *param = fz_cstr(data, line_len - (line_len && data[line_len - 1] == '\r'));
    char *body = fz_bytes(nl ? nl + 1 : data, body_len);
    const char *out, *err;
    apr_size_t out_len;
    ku_request_t req;
    json_object *env, *body_args;
    size_t leaves = 0;

    apr_pool_clear(fz_pool);
    memset(&req, 0, sizeof(req));
    req.content_type = apr_pstrcat(fz_pool, PREFIX, param, NULL);
    req.body = body;
    req.body_len = body_len;

    if (fz_encode(&req, &body_only, &out, &out_len, &err) != KU_ENC_OK)
        goto done;

    env = fz_must_be_json(out, out_len, "envelope");
    FZ_CHECK(json_object_is_type(env, json_type_object), "envelope is not an object");
    fz_check_body_roundtrip(env, body, body_len, NULL);
    FZ_CHECK(json_object_object_get_ex(env, "body_args", &body_args)
                 && json_object_is_type(body_args, json_type_object), "body_args not an object");
    json_object_object_foreach(body_args, key, val) {
        leaf_t leaf;

        (void)key;
        if (val && json_object_is_type(val, json_type_array)) {
            size_t i, n = json_object_array_length(val);

            FZ_CHECK(n >= 2, "an array for a name that is not repeated");
            for (i = 0; i < n; i++)
                check_value(json_object_array_get_idx(val, i), body, body_len, &leaf);
            leaves += n;
        }
        else {
            check_value(val, body, body_len, &leaf);
            leaves++;
        }
    }
    if (plain_boundary(param)) {
        const char *delim = apr_pstrcat(fz_pool, "--", param, NULL);
        const char *close = apr_pstrcat(fz_pool, delim, "--", NULL);
        size_t delims, closes;

        FZ_CHECK(at_line_start(body, body_len, delim, strlen(delim), &delims),
                 "accepted without a delimiter line");
        FZ_CHECK(at_line_start(body, body_len, close, strlen(close), &closes),
                 "accepted without a closing delimiter");
        FZ_CHECK(leaves < delims, "more values than parts");
    }
    check_reencoding(body_args);
    json_object_put(env);
done:
    free(body);
    free(param);
    return 0;
}
