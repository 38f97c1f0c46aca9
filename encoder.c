/* SPDX-License-Identifier: Apache-2.0 */
/* encoder.c: the Kafka message envelope (see encoder.h), written directly
 * into a pool buffer, json-c only for parsed body_args; and the split of
 * a body into records. The body parsers are body_args.c and multipart.c. */
#include "body_args.h"
#include "encoder.h"
#include "json_args.h"
#include "json_text.h"
#include "utf8.h"

#include <limits.h>
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>
#include <json-c/json.h>

/* json-c and apr_base64 take int lengths; stay well clear of INT_MAX so the
 * base64 form of a body (4/3 larger) still fits. */
#define KU_MAX_BODY ((apr_size_t)(INT_MAX / 2))

/* ------------------------------------------------- the envelope, written
 *
 * The envelope is written straight into one pool buffer, as json-c would
 * print the same object (JSON_C_TO_STRING_PLAIN | NOSLASHESCAPE: no spaces,
 * members in insertion order, json-c's escapes): only the parsed values
 * (uri_args, headers, body_args) still go through a json-c tree. */

typedef struct {
    const char *name;     /* member name, NULL: unused */
    const char *str;      /* a string value, escaped when written */
    apr_size_t str_len;
    const char *json;     /* or JSON text written as it is */
    apr_size_t json_len;
} env_member_t;

/* json-c's json_escape_str: \b \n \r \t \f \" \\ by name, other bytes
 * below 0x20 as \u00xx (lower case hex), everything else as it is. What
 * escaping adds to each byte, looked up once per byte. */
static const unsigned char escape_extra[256] = {
    5, 5, 5, 5, 5, 5, 5, 5, 1, 1, 1, 5, 1, 1, 5, 5,   /* \b \t \n \f \r: 1 */
    5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,
    ['"'] = 1, ['\\'] = 1,
};

static apr_size_t escaped_len(const char *s, apr_size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    apr_size_t i, n = len;

    for (i = 0; i < len; i++)
        n += escape_extra[u[i]];
    return n;
}

static char *write_escaped(char *o, const char *s, apr_size_t len)
{
    static const char hex[] = "0123456789abcdef";
    apr_size_t i, run = 0;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        char e;

        if (!escape_extra[c])
            continue;
        memcpy(o, s + run, i - run);
        o += i - run;
        run = i + 1;
        e = c == '"' ? '"' : c == '\\' ? '\\' : c == '\b' ? 'b' : c == '\n' ? 'n'
          : c == '\r' ? 'r' : c == '\t' ? 't' : c == '\f' ? 'f' : 0;
        *o++ = '\\';
        if (e)
            *o++ = e;
        else {
            memcpy(o, "u00", 3);
            o[3] = hex[c >> 4];
            o[4] = hex[c & 0xf];
            o += 5;
        }
    }
    memcpy(o, s + run, len - run);
    return o + (len - run);
}

/* Adds a member, or replaces the value of one of that name in its place
 * (json_object_object_add). */
static void member_set(env_member_t *m, int *n, const char *name, const char *str,
                       apr_size_t str_len, const char *json, apr_size_t json_len)
{
    int i;

    for (i = 0; i < *n && strcmp(m[i].name, name); i++)
        ;
    if (i == *n)
        (*n)++;
    m[i].name = name;
    m[i].str = str;
    m[i].str_len = str_len;
    m[i].json = json;
    m[i].json_len = json_len;
}

/* A json-c value's text, copied to the pool; NULL prints as null. */
static const char *json_text(apr_pool_t *p, json_object *value, apr_size_t *len)
{
    size_t n;
    const char *s;

    if (!value) {
        *len = 4;
        return "null";
    }
    s = json_object_to_json_string_length(
        value, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
    *len = n;
    return apr_pstrmemdup(p, s, n);
}

static void member_json(apr_pool_t *p, env_member_t *m, int *n, const char *name,
                        json_object *value)
{
    apr_size_t len;
    const char *text = json_text(p, value, &len);

    json_object_put(value);
    member_set(m, n, name, NULL, 0, text, len);
}

static void member_str(env_member_t *m, int *n, const char *name, const char *s)
{
    member_set(m, n, name, s, strlen(s), NULL, 0);
}

/* A JSON body json-c would print unchanged but for whitespace: its text is
 * body_args as it is, without a json-c tree (json_text.c). */
static int compact_json_body(apr_pool_t *p, const ku_request_t *req, int body_utf8,
                             const char **text, apr_size_t *len)
{
    return req->body_len && body_utf8 && !memchr(req->body, '\0', req->body_len)
           && ku_json_compact(p, req->body, req->body_len, text, len);
}

/* body, body_args and (when the body had to be encoded) body_base64. */
static const char *add_body_fields(apr_pool_t *p, env_member_t *m, int *n,
                                   const ku_request_t *req)
{
    ku_body_kind_t kind = ku_body_kind(p, req->content_type);
    const char *body = req->body ? req->body : "", *err, *args_text = NULL;
    apr_size_t args_len = 0;
    json_object *args;
    int as_base64, body_utf8;

    if (req->body_len > KU_MAX_BODY)
        return "body too large to encode";
    body_utf8 = ku_utf8_valid(body, req->body_len);
    if (kind == KU_BODY_JSON && compact_json_body(p, req, body_utf8, &args_text, &args_len))
        args = NULL;
    else if ((err = ku_parse_body_args(p, req->content_type, req->body, req->body_len,
                                       kind, &args)))
        return err;
    else if (!args) /* the JSON body null: the envelope has no null fields */
        args = json_object_new_object();
    /* Unknown types are opaque; known ones stay raw only if they are text. */
    as_base64 = kind == KU_BODY_OTHER || !body_utf8;
    if (as_base64) {
        apr_size_t len;
        const char *enc = ku_base64(p, body, req->body_len, &len);

        member_set(m, n, "body", enc, len, NULL, 0);
    }
    else
        member_set(m, n, "body", body, req->body_len, NULL, 0);
    if (args_text)
        member_set(m, n, "body_args", NULL, 0, args_text, args_len);
    else
        member_json(p, m, n, "body_args", args);
    if (as_base64)
        member_set(m, n, "body_base64", NULL, 0, "true", 4);
    return NULL;
}

/* ------------------------------------------------------ other fields */

static void add_uri_fields(apr_pool_t *p, env_member_t *m, int *n, const ku_request_t *req)
{
    json_object *args = NULL;

    if (req->uri)
        member_str(m, n, "uri", ku_utf8_safe_cstr(p, req->uri));
    /* Lenient parsing never fails: the query was already accepted by httpd. */
    ku_parse_form(p, req->query ? req->query : "", req->query ? strlen(req->query) : 0,
               0, &args);
    member_json(p, m, n, "uri_args", args);
}

static void add_headers_field(apr_pool_t *p, env_member_t *m, int *n,
                              const ku_request_t *req)
{
    json_object *headers = json_object_new_object();

    if (req->headers) {
        const apr_array_header_t *arr = apr_table_elts(req->headers);
        const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
        int i;

        for (i = 0; i < arr->nelts; i++) {
            char *name, *c;
            const char *value;
            json_object *prev;

            if (!e[i].key)
                continue;
            name = apr_pstrdup(p, ku_utf8_safe_cstr(p, e[i].key));
            for (c = name; *c; c++)
                *c = (char)apr_tolower(*c);
            value = ku_utf8_safe_cstr(p, e[i].val ? e[i].val : "");
            /* A name still listed twice is merged the way httpd merges. */
            if (json_object_object_get_ex(headers, name, &prev))
                value = apr_pstrcat(p, json_object_get_string(prev), ", ", value, NULL);
            json_object_object_add(headers, name, json_object_new_string(value));
        }
    }
    member_json(p, m, n, "headers", headers);
}

/* ---------------------------------------------------------------- entry */

static void add_config_fields(apr_pool_t *p, env_member_t *m, int *n,
                              const apr_array_header_t *fields)
{
    const ku_enc_field_t *field = fields ? (const ku_enc_field_t *)fields->elts : NULL;
    int i;

    for (i = 0; fields && i < fields->nelts; i++)
        if (field[i].value && *field[i].value)
            member_str(m, n, field[i].name, ku_utf8_safe_cstr(p, field[i].value));
}

static void write_envelope(apr_pool_t *p, const env_member_t *m, int n,
                           const char **out, apr_size_t *out_len)
{
    apr_size_t len = 2; /* {} */
    char *buf, *o;
    int i;

    for (i = 0; i < n; i++) {
        len += (i > 0) + 3 + escaped_len(m[i].name, strlen(m[i].name)); /* ,"name": */
        len += m[i].json ? m[i].json_len : 2 + escaped_len(m[i].str, m[i].str_len);
    }
    o = buf = apr_palloc(p, len + 1);
    *o++ = '{';
    for (i = 0; i < n; i++) {
        if (i > 0)
            *o++ = ',';
        *o++ = '"';
        o = write_escaped(o, m[i].name, strlen(m[i].name));
        *o++ = '"';
        *o++ = ':';
        if (m[i].json) {
            memcpy(o, m[i].json, m[i].json_len);
            o += m[i].json_len;
        }
        else {
            *o++ = '"';
            o = write_escaped(o, m[i].str, m[i].str_len);
            *o++ = '"';
        }
    }
    *o++ = '}';
    *o = '\0';
    *out = buf;
    if (out_len)
        *out_len = (apr_size_t)(o - buf);
}

ku_enc_status_t ku_encode_envelope(apr_pool_t *p, const ku_request_t *req,
                                   const ku_encode_opts_t *opts,
                                   const char **out, apr_size_t *out_len,
                                   const char **error)
{
    int n = 0, max = 7 + (opts->fields ? opts->fields->nelts : 0);
    env_member_t *m = apr_palloc(p, sizeof(*m) * (apr_size_t)max);
    const char *err;

    if (opts->forward_method && req->method)
        member_str(m, &n, "method", ku_utf8_safe_cstr(p, req->method));
    if (opts->forward_uri)
        add_uri_fields(p, m, &n, req);
    if (opts->forward_headers)
        add_headers_field(p, m, &n, req);
    if (opts->forward_body && (err = add_body_fields(p, m, &n, req))) {
        if (error)
            *error = err;
        return KU_ENC_BAD_BODY;
    }
    add_config_fields(p, m, &n, opts->fields);
    write_envelope(p, m, n, out, out_len);
    return KU_ENC_OK;
}

/* ---------------------------------------------------------------- split */

/* Whether s is one valid JSON value (starting with first, unless 0): the
 * text-only check first, json-c when that cannot tell. */
static int json_value_is(apr_pool_t *p, const char *s, apr_size_t len, char first)
{
    json_object *value = NULL;
    const char *text;
    apr_size_t n = 0;

    if (ku_utf8_valid(s, len) && !memchr(s, '\0', len) && ku_json_compact(p, s, len, &text, &n))
        return !first || text[0] == first;
    if (first || ku_parse_json_body(p, s, len, &value))
        return 0;
    json_object_put(value);
    return 1;
}

static void push_slice(apr_array_header_t *records, const char *data, apr_size_t len)
{
    ku_slice_t *slice = apr_array_push(records);
    slice->data = data;
    slice->len = len;
}

static int is_blank(const char *s, apr_size_t len)
{
    while (len && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'))
        s++, len--;
    return len == 0;
}

/* The error split_ndjson and push_array_elements stop on when a body has
 * more records than it may. */
static const char too_many_records[] = "too many records";

static int is_full(const apr_array_header_t *records, int max)
{
    return max > 0 && records->nelts > max;
}

static const char *split_ndjson(apr_pool_t *p, const char *body, apr_size_t len,
                                int max, apr_array_header_t *records)
{
    apr_size_t start = 0, line = 0;

    while (start < len) {
        const char *nl = memchr(body + start, '\n', len - start);
        apr_size_t end = nl ? (apr_size_t)(nl - body) : len, n = end - start;

        line++;
        if (n && body[start + n - 1] == '\r')
            n--;
        if (!is_blank(body + start, n)) {
            if (!json_value_is(p, body + start, n, 0))
                return apr_psprintf(p, "invalid JSON on line %" APR_SIZE_T_FMT, line);
            push_slice(records, body + start, n);
            if (is_full(records, max))
                return too_many_records;
        }
        start = end + 1;
    }
    return NULL;
}

/* Pushes the text of each top-level element of a JSON array that was
 * already validated, as the client wrote it. */
static void push_array_elements(const char *body, apr_size_t len, int max,
                                apr_array_header_t *records)
{
    apr_size_t i = 0, start;
    int depth = 0, in_string = 0;

    while (i < len && body[i] != '[')
        i++;
    for (start = ++i; i < len; i++) {
        char c = body[i];

        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = 0;
        }
        else if (c == '"')
            in_string = 1;
        else if (c == '[' || c == '{')
            depth++;
        else if (depth && (c == ']' || c == '}'))
            depth--;
        else if (!depth && (c == ',' || c == ']')) {
            apr_size_t from = start, to = i;

            while (from < to && strchr(" \t\r\n", body[from]))
                from++;
            while (to > from && strchr(" \t\r\n", body[to - 1]))
                to--;
            if (to > from)
                push_slice(records, body + from, to - from);
            start = i + 1;
            if (c == ']' || is_full(records, max))
                return;
        }
    }
}

static const char *split_json_array(apr_pool_t *p, const char *body, apr_size_t len,
                                    int max, apr_array_header_t *records)
{
    json_object *value = NULL;
    const char *err = NULL;
    int is_array = json_value_is(p, body, len, '[');

    if (!is_array) {
        err = ku_parse_json_body(p, body, len, &value);
        is_array = value && json_object_is_type(value, json_type_array);
        json_object_put(value);
    }
    if (err)
        return err;
    if (!is_array)
        return "JSON body is not an array";
    push_array_elements(body, len, max, records);
    return is_full(records, max) ? too_many_records : NULL;
}

ku_enc_status_t ku_split_body(apr_pool_t *p, const char *body, apr_size_t len,
                              ku_split_t mode, apr_array_header_t **records,
                              const char **error)
{
    return ku_split_body_max(p, body, len, mode, 0, records, error);
}

ku_enc_status_t ku_split_body_max(apr_pool_t *p, const char *body, apr_size_t len,
                                  ku_split_t mode, int max, apr_array_header_t **records,
                                  const char **error)
{
    const char *err;

    *records = apr_array_make(p, 16, sizeof(ku_slice_t));
    if (mode == KU_SPLIT_NONE) {
        push_slice(*records, body, len);
        return KU_ENC_OK;
    }
    if (is_blank(body, len))
        err = "no records in the body";
    else if (mode == KU_SPLIT_NDJSON)
        err = split_ndjson(p, body, len, max, *records);
    else
        err = split_json_array(p, body, len, max, *records);
    if (!err && (*records)->nelts == 0)
        err = "no records in the body";
    if (err) {
        if (error)
            *error = err;
        return err == too_many_records ? KU_ENC_TOO_MANY : KU_ENC_BAD_BODY;
    }
    return KU_ENC_OK;
}
