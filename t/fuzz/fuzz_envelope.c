/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_envelope.c - libFuzzer target for the whole encoder: ku_encode_envelope
 * with every forward flag, content type family, method, query, headers and
 * config fields, and ku_split_body (none, ndjson, json-array) with and
 * without a record limit (ku_split_body_max).
 *
 * Input layout (missing bytes count as 0):
 *   byte 0  content type: index into CONTENT_TYPES (mod its size)
 *   byte 1  flags: bit0 method, bit1 uri, bit2 headers, bit3 body,
 *           bits4-5 split (0 none, 1 ndjson, 2 json-array, 3 both),
 *           bit6 config fields, bit7 no query (no '?')
 *   byte 2  query length q; byte 3 header-block length h; byte 4 method index
 *   then q bytes of query, h bytes of header block ("name:value" lines,
 *   kept repeated), and the rest is the body.
 * The last CONTENT_TYPES entry takes the content type from the query bytes.
 *
 * Invariants: see the checks below; each names what must hold.
 */
#include "fuzz_common.h"

enum { K_JSON, K_FORM, K_MULTIPART, K_TEXT, K_OTHER, K_ANY };

static const struct {
    const char *value; /* NULL: no Content-Type */
    int kind;          /* K_ANY: not known in advance */
} CONTENT_TYPES[] = {
    { "application/json", K_JSON },
    { "Application/JSON; charset=utf-8", K_JSON },
    { " application/json ;", K_JSON },
    { "application/json;;charset=\"a;b\"", K_JSON },
    { "application/x-www-form-urlencoded", K_FORM },
    { "APPLICATION/X-WWW-FORM-URLENCODED;charset=UTF-8", K_FORM },
    { "multipart/form-data; boundary=XyZ", K_MULTIPART },
    { "Multipart/Form-Data; charset=x; BOUNDARY=\"a b'c\"", K_MULTIPART },
    { "multipart/form-data; boundary=\"XyZ", K_MULTIPART },  /* unterminated */
    { "multipart/form-data", K_MULTIPART },                  /* no boundary */
    { "multipart/form-data; boundary=", K_MULTIPART },
    { "text/plain", K_TEXT },
    { "TEXT/plain ; charset=latin1", K_TEXT },
    { "text/html", K_TEXT },
    { "application/soap+xml; action=x", K_TEXT },
    { "application/octet-stream", K_OTHER },
    { "application/jsonx", K_OTHER },
    { "application/json-seq", K_OTHER },
    { "text/plain2", K_OTHER },
    { "", K_OTHER },
    { ";", K_OTHER },
    { NULL, K_OTHER },
    { NULL, K_ANY }, /* from the input */
};
#define N_TYPES (sizeof(CONTENT_TYPES) / sizeof(CONTENT_TYPES[0]))

static const char *const METHODS[] = { "POST", "GET", "PUT", "DELETE", "M\xC3\xA9", "B\xFF" "D", NULL };
#define N_METHODS (sizeof(METHODS) / sizeof(METHODS[0]))

static const char *str_field(json_object *env, const char *key)
{
    json_object *v;

    if (!json_object_object_get_ex(env, key, &v))
        return NULL;
    FZ_CHECK(v && json_object_is_type(v, json_type_string), key);
    return json_object_get_string(v);
}

/* The header block as an apr table: "name:value" per line, name alone when
 * there is no colon; repeated names kept as separate entries. */
static apr_table_t *headers_from(const uint8_t *d, size_t n)
{
    apr_table_t *t = apr_table_make(fz_pool, 8);
    size_t start = 0;

    while (start < n) {
        const uint8_t *nl = memchr(d + start, '\n', n - start);
        size_t end = nl ? (size_t)(nl - d) : n;
        const char *line = apr_pstrmemdup(fz_pool, (const char *)d + start, end - start);
        const char *colon = strchr(line, ':');

        if (colon)
            apr_table_addn(t, apr_pstrmemdup(fz_pool, line, (apr_size_t)(colon - line)), colon + 1);
        else
            apr_table_addn(t, line, "");
        start = end + 1;
    }
    return t;
}

/* Lines of the body, as ku_split_body's ndjson mode must see them. */
static void check_ndjson(const char *body, size_t len, apr_array_header_t *recs, int ok)
{
    size_t start = 0, expect = 0;
    int all_valid = 1;

    while (start < len) {
        const char *nl = memchr(body + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - body) : len, n = end - start, k;
        int blank = 1, depth;

        if (n && body[start + n - 1] == '\r')
            n--;
        for (k = 0; k < n; k++)
            if (!strchr(" \t\r\n", body[start + k]) || body[start + k] == '\0')
                blank = 0;
        if (!blank) {
            int valid = !memchr(body + start, '\0', n) && fz_utf8_valid(body + start, n)
                        && fz_json_grammar(body + start, n, &depth) && depth <= FZ_JSON_DEPTH;

            if (ok) {
                const ku_slice_t *r;

                FZ_CHECK(valid, "accepted an ndjson line that is not JSON within the limits");

                FZ_CHECK(expect < (size_t)recs->nelts, "fewer records than non-blank lines");
                r = &APR_ARRAY_IDX(recs, expect, ku_slice_t);
                FZ_CHECK(r->data == body + start && r->len == n,
                         "an ndjson record is not its line as written");
            }
            all_valid &= valid;
            expect++;
        }
        start = end + 1;
    }
    if (ok)
        FZ_CHECK((size_t)recs->nelts == expect, "more records than non-blank lines");
    else
        FZ_CHECK(!(all_valid && expect > 0), "valid ndjson was refused");
}

/* Every record: non-empty, inside the body, valid JSON by both oracles. */
static void check_records(const char *body, size_t len, apr_array_header_t *recs)
{
    int i;

    FZ_CHECK(recs->nelts >= 1, "split succeeded with no records");
    for (i = 0; i < recs->nelts; i++) {
        const ku_slice_t *r = &APR_ARRAY_IDX(recs, i, ku_slice_t);
        json_object *v;

        FZ_CHECK(r->len > 0, "an empty record");
        FZ_CHECK(r->data >= body && r->data + r->len <= body + len, "a record outside the body");
        v = fz_must_be_json(r->data, r->len, "a split record is not valid JSON");
        json_object_put(v);
    }
}

static void check_json_array(const char *body, size_t len, apr_array_header_t *recs, int ok)
{
    int depth = 0, valid, parsed = 0, i;
    json_object *whole, *joined;
    char *text, *o;
    size_t total = 2;

    valid = !memchr(body, '\0', len) && fz_utf8_valid(body, len)
            && fz_json_grammar(body, len, &depth);
    whole = valid ? fz_jsonc_parse(body, len, FZ_MAX_DEPTH, &parsed) : NULL;
    if (!ok) {
        /* refusing is right unless the body is a non-empty array */
        FZ_CHECK(!(valid && parsed && depth <= FZ_JSON_DEPTH
                   && json_object_is_type(whole, json_type_array)
                   && json_object_array_length(whole) > 0),
                 "a valid non-empty JSON array was refused");
        json_object_put(whole);
        return;
    }
    FZ_CHECK(valid && parsed && json_object_is_type(whole, json_type_array),
             "json-array split accepted a body that is not a valid JSON array");
    FZ_CHECK(depth <= FZ_JSON_DEPTH, "json-array split accepted a body nested too deeply");
    FZ_CHECK((size_t)recs->nelts == json_object_array_length(whole),
             "one record per array element");
    /* "[" + records joined by "," + "]" is the same array */
    for (i = 0; i < recs->nelts; i++)
        total += APR_ARRAY_IDX(recs, i, ku_slice_t).len + 1;
    o = text = apr_palloc(fz_pool, total);
    *o++ = '[';
    for (i = 0; i < recs->nelts; i++) {
        const ku_slice_t *r = &APR_ARRAY_IDX(recs, i, ku_slice_t);

        if (i)
            *o++ = ',';
        memcpy(o, r->data, r->len);
        o += r->len;
    }
    *o++ = ']';
    joined = fz_must_be_json(text, (size_t)(o - text), "joined records");
    FZ_CHECK(json_object_equal(joined, whole), "the records are not the array's elements");
    json_object_put(joined);
    json_object_put(whole);
}

/* The same split with a limit of 1 to 4 records: within it, the same
 * verdict and records as without; beyond it, KU_ENC_TOO_MANY holding the
 * first max + 1 records; a body refused without the limit is refused with
 * it for the same reason, unless it had more records than max before the
 * fault (ndjson reads no further than the limit). */
static void check_split_max(const char *body, size_t len, ku_split_t mode,
                            ku_enc_status_t rc, const apr_array_header_t *recs, const char *err)
{
    int max = 1 + (int)(len % 4), i;
    apr_array_header_t *limited = NULL;
    const char *lerr = NULL;
    ku_enc_status_t lrc = ku_split_body_max(fz_pool, body, len, mode, max, &limited, &lerr);

    FZ_CHECK(limited != NULL, "limited split without a records array");
    if (lrc == KU_ENC_OK)
        FZ_CHECK(rc == KU_ENC_OK && limited->nelts == recs->nelts && limited->nelts <= max,
                 "a limited split accepted other than the unlimited one");
    else if (lrc == KU_ENC_TOO_MANY) {
        FZ_CHECK(mode != KU_SPLIT_NONE && limited->nelts == max + 1,
                 "too many records, but not max + 1 of them");
        FZ_CHECK(rc != KU_ENC_OK || recs->nelts > max, "too many records within the limit");
        FZ_CHECK(rc == KU_ENC_OK || mode == KU_SPLIT_NDJSON,
                 "json-array: too many records in a body that is not a valid array");
    }
    else
        FZ_CHECK(rc == KU_ENC_BAD_BODY && strcmp(err, lerr) == 0,
                 "a limited split refused a body for another reason");
    if (rc == KU_ENC_OK && recs->nelts > max)
        FZ_CHECK(lrc == KU_ENC_TOO_MANY, "more records than the limit were accepted");
    for (i = 0; rc == KU_ENC_OK && i < limited->nelts && i < recs->nelts; i++)
        FZ_CHECK(APR_ARRAY_IDX(limited, i, ku_slice_t).data == APR_ARRAY_IDX(recs, i, ku_slice_t).data
                 && APR_ARRAY_IDX(limited, i, ku_slice_t).len == APR_ARRAY_IDX(recs, i, ku_slice_t).len,
                 "a limited split's records differ");
}

static void fuzz_split(const char *body, size_t len, ku_split_t mode)
{
    static const ku_encode_opts_t body_only = { 0, 0, 0, 1, NULL };
    apr_array_header_t *recs = NULL;
    const char *err = NULL;
    ku_enc_status_t rc = ku_split_body(fz_pool, body, len, mode, &recs, &err);
    int i;

    FZ_CHECK(recs != NULL, "split without a records array");
    check_split_max(body, len, mode, rc, recs, err);
    if (mode == KU_SPLIT_NONE) {
        FZ_CHECK(rc == KU_ENC_OK && recs->nelts == 1, "split none is one record");
        FZ_CHECK(APR_ARRAY_IDX(recs, 0, ku_slice_t).data == body
                     && APR_ARRAY_IDX(recs, 0, ku_slice_t).len == len, "split none is the body");
        return;
    }
    if (rc != KU_ENC_OK)
        fz_check_error(err);
    else
        check_records(body, len, recs);
    if (mode == KU_SPLIT_NDJSON)
        check_ndjson(body, len, recs, rc == KU_ENC_OK);
    else
        check_json_array(body, len, recs, rc == KU_ENC_OK);
    /* each record becomes the JSON body of its own envelope */
    for (i = 0; rc == KU_ENC_OK && i < recs->nelts && i < 4; i++) {
        const ku_slice_t *r = &APR_ARRAY_IDX(recs, i, ku_slice_t);
        char *copy = fz_bytes((const uint8_t *)r->data, r->len);
        ku_request_t req;
        const char *out, *e;
        apr_size_t out_len;
        json_object *env;

        memset(&req, 0, sizeof(req));
        req.content_type = "application/json";
        req.body = copy;
        req.body_len = r->len;
        FZ_CHECK(fz_encode(&req, &body_only, &out, &out_len, &e) == KU_ENC_OK,
                 "a split record is refused as a JSON body");
        env = fz_must_be_json(out, out_len, "record envelope");
        json_object_put(env);
        free(copy);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t hdr[5] = { 0 };
    size_t pos = size < 5 ? size : 5, q, h, body_len;
    int flags, kind, i, was_b64, depth;
    char *query, *body;
    ku_request_t req;
    ku_encode_opts_t opts;
    apr_array_header_t *fields;
    const char *out, *err, *s;
    apr_size_t out_len;
    json_object *env, *v;
    ku_enc_status_t rc;

    apr_pool_clear(fz_pool);
    memcpy(hdr, data, pos);
    flags = hdr[1];
    q = hdr[2] < size - pos ? hdr[2] : size - pos;
    query = fz_cstr(data + pos, q);
    pos += q;
    h = hdr[3] < size - pos ? hdr[3] : size - pos;
    memset(&req, 0, sizeof(req));
    req.headers = headers_from(data + pos, h);
    pos += h;
    body_len = size - pos;
    body = fz_bytes(data + pos, body_len);

    req.method = METHODS[hdr[4] % N_METHODS];
    req.query = (flags & 0x80) ? NULL : query;
    req.uri = apr_pstrcat(fz_pool, "/p", req.query ? "?" : "", req.query, NULL);
    i = hdr[0] % N_TYPES;
    req.content_type = CONTENT_TYPES[i].kind == K_ANY ? query : CONTENT_TYPES[i].value;
    kind = CONTENT_TYPES[i].kind;
    req.body = body;
    req.body_len = body_len;

    memset(&opts, 0, sizeof(opts));
    opts.forward_method = flags & 1;
    opts.forward_uri = (flags >> 1) & 1;
    opts.forward_headers = (flags >> 2) & 1;
    opts.forward_body = (flags >> 3) & 1;
    fields = apr_array_make(fz_pool, 4, sizeof(ku_enc_field_t));
    if (flags & 0x40) {
        APR_ARRAY_PUSH(fields, ku_enc_field_t) = (ku_enc_field_t){ "service", "svc" };
        APR_ARRAY_PUSH(fields, ku_enc_field_t) = (ku_enc_field_t){ "empty", "" };
        APR_ARRAY_PUSH(fields, ku_enc_field_t) = (ku_enc_field_t){ "absent", NULL };
        APR_ARRAY_PUSH(fields, ku_enc_field_t) = (ku_enc_field_t){ "user", query };
        opts.fields = fields;
    }

    rc = fz_encode(&req, &opts, &out, &out_len, &err);
    if (rc != KU_ENC_OK) {
        FZ_CHECK(opts.forward_body, "failed although the body is not forwarded");
        FZ_CHECK(kind == K_JSON || kind == K_FORM || kind == K_MULTIPART || kind == K_ANY,
                 "failed on a body type that is never parsed");
        if (kind == K_JSON)
            FZ_CHECK(!(body_len > 0 && !memchr(body, '\0', body_len)
                       && fz_utf8_valid(body, body_len)
                       && fz_json_grammar(body, body_len, &depth) && depth <= FZ_JSON_DEPTH),
                     "valid JSON body refused");
        goto split;
    }

    env = fz_must_be_json(out, out_len, "envelope");
    FZ_CHECK(json_object_is_type(env, json_type_object), "envelope is not an object");
    /* a field is present exactly when its flag is on (config fields aside) */
    FZ_CHECK(json_object_object_get_ex(env, "method", NULL)
                 == (opts.forward_method && req.method != NULL), "method presence");
    FZ_CHECK(json_object_object_get_ex(env, "uri", NULL) == opts.forward_uri, "uri presence");
    FZ_CHECK(json_object_object_get_ex(env, "uri_args", NULL) == opts.forward_uri,
             "uri_args presence");
    FZ_CHECK(json_object_object_get_ex(env, "headers", NULL) == opts.forward_headers,
             "headers presence");
    FZ_CHECK(json_object_object_get_ex(env, "body", NULL) == opts.forward_body, "body presence");
    FZ_CHECK(json_object_object_get_ex(env, "body_args", NULL) == opts.forward_body,
             "body_args presence");
    if (!opts.forward_body)
        FZ_CHECK(!json_object_object_get_ex(env, "body_base64", NULL), "body_base64 without body");
    if ((s = str_field(env, "method")) && fz_utf8_valid(req.method, strlen(req.method)))
        FZ_CHECK(strcmp(s, req.method) == 0, "method not as received");
    if ((s = str_field(env, "uri")) && fz_utf8_valid(req.uri, strlen(req.uri)))
        FZ_CHECK(strcmp(s, req.uri) == 0, "uri not as received");
    if (json_object_object_get_ex(env, "uri_args", &v)) {
        fz_check_args(v, "uri_args shape");
        if (!req.query || !*req.query)
            FZ_CHECK(json_object_object_length(v) == 0, "uri_args without a query");
    }
    if (json_object_object_get_ex(env, "headers", &v)) {
        FZ_CHECK(v && json_object_is_type(v, json_type_object), "headers not an object");
        FZ_CHECK(json_object_object_length(v) <= apr_table_elts(req.headers)->nelts,
                 "more headers than received");
        json_object_object_foreach(v, name, val) {
            const char *c;

            for (c = name; *c; c++)
                FZ_CHECK(!(*c >= 'A' && *c <= 'Z'), "header name not lower-case");
            FZ_CHECK(val && json_object_is_type(val, json_type_string), "header value not a string");
        }
    }
    if (opts.forward_body) {
        json_object *args = NULL;

        fz_check_body_roundtrip(env, body, body_len, &was_b64);
        json_object_object_get_ex(env, "body_args", &args);
        if (kind == K_OTHER)
            FZ_CHECK(was_b64, "an opaque body type was not base64-encoded");
        if (kind != K_OTHER && kind != K_ANY)
            FZ_CHECK(was_b64 == !fz_utf8_valid(body, body_len),
                     "a text body type was base64-encoded although it is UTF-8");
        if (kind == K_TEXT || kind == K_OTHER)
            FZ_CHECK(args && json_object_is_type(args, json_type_object)
                         && json_object_object_length(args) == 0, "body_args of an unparsed type");
        if (kind == K_FORM)
            fz_check_args(args, "form body_args shape");
        if (kind == K_JSON) {
            int ok;
            json_object *mine;

            FZ_CHECK(!memchr(body, '\0', body_len) && fz_utf8_valid(body, body_len)
                         && fz_json_grammar(body, body_len, &depth),
                     "accepted a JSON body that is not RFC 8259 JSON");
            FZ_CHECK(depth <= FZ_JSON_DEPTH, "accepted a JSON body nested too deeply");
            mine = fz_jsonc_parse(body, body_len, FZ_MAX_DEPTH, &ok);
            if (ok && !mine) /* the body null: the envelope has no null, {} instead */
                FZ_CHECK(args && json_object_is_type(args, json_type_object)
                             && json_object_object_length(args) == 0,
                         "body_args of the JSON body null is not {}");
            else
                FZ_CHECK(ok && json_object_equal(mine, args), "body_args is not the parsed body");
            json_object_put(mine);
        }
        else if (kind != K_ANY)
            FZ_CHECK(args && json_object_is_type(args, json_type_object), "body_args not an object");
    }
    if (opts.fields) {
        FZ_CHECK((s = str_field(env, "service")) && strcmp(s, "svc") == 0, "config field");
        FZ_CHECK(!json_object_object_get_ex(env, "empty", NULL), "empty config field present");
        FZ_CHECK(!json_object_object_get_ex(env, "absent", NULL), "absent config field present");
        FZ_CHECK(json_object_object_get_ex(env, "user", NULL) == (*query != '\0'),
                 "config field presence");
    }
    json_object_put(env);

split:
    switch ((flags >> 4) & 3) {
    case 0:
        fuzz_split(body, body_len, KU_SPLIT_NONE);
        break;
    case 1:
        fuzz_split(body, body_len, KU_SPLIT_NDJSON);
        break;
    case 2:
        fuzz_split(body, body_len, KU_SPLIT_JSON_ARRAY);
        break;
    default:
        fuzz_split(body, body_len, KU_SPLIT_NDJSON);
        fuzz_split(body, body_len, KU_SPLIT_JSON_ARRAY);
    }
    free(body);
    free(query);
    return 0;
}
