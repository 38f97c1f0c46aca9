/* SPDX-License-Identifier: Apache-2.0 */
/* avro_encode.c: a JSON document as Avro binary in the Confluent wire
 * format. Apache Avro C parses the schema and writes the binary; this file
 * walks the JSON (json-c) and the schema side by side and fills a generic
 * Avro value, naming the path of the first mismatch. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <avro.h>
#include <json-c/json.h>
#include "apr_strings.h"

#include "avro_encode.h"

struct ku_avro_schema {
    avro_schema_t schema;
};

ku_avro_schema_t *ku_avro_schema_parse(const char *json, const char **error, apr_pool_t *p)
{
    ku_avro_schema_t *s = calloc(1, sizeof(*s));

    if (!s || avro_schema_from_json_length(json, strlen(json), &s->schema)) {
        *error = apr_psprintf(p, "Avro C refuses the schema: %s", avro_strerror());
        free(s);
        return NULL;
    }
    return s;
}

void ku_avro_schema_free(ku_avro_schema_t *s)
{
    if (s) {
        avro_schema_decref(s->schema);
        free(s);
    }
}

/* --- filling a value ----------------------------------------------------- */

typedef struct {
    apr_pool_t *p;
    ku_avro_payload_t payload;
    const char *error;        /* the first mismatch, with its path */
} fill_ctx_t;

static int fill(fill_ctx_t *ctx, avro_value_t *v, json_object *j, const char *path);

static int mismatch(fill_ctx_t *ctx, const char *path, const char *what)
{
    ctx->error = apr_psprintf(ctx->p, "%s: %s", path, what);
    return -1;
}

static int is_number(json_object *j)
{
    return json_object_is_type(j, json_type_int) || json_object_is_type(j, json_type_double);
}

/* Avro's JSON form of bytes and fixed: a string whose code points 0-255
 * are the bytes. Returns the byte count, or -1 for a larger code point. */
static long json_bytes(apr_pool_t *p, json_object *j, unsigned char **out)
{
    const unsigned char *s = (const unsigned char *)json_object_get_string(j);
    size_t len = (size_t)json_object_get_string_len(j), i;
    long n = 0;

    *out = apr_palloc(p, len + 1);
    for (i = 0; i < len; i++) {
        if (s[i] < 0x80)
            (*out)[n++] = s[i];
        else if ((s[i] & 0xFE) == 0xC2 && i + 1 < len)  /* U+0080..U+00FF */
            (*out)[n++] = (unsigned char)(((s[i] & 0x03) << 6) | (s[i + 1] & 0x3F)), i++;
        else
            return -1;
    }
    return n;
}

static int fill_bytes(fill_ctx_t *ctx, avro_value_t *v, json_object *j, const char *path,
                      int fixed)
{
    unsigned char *bytes;
    long n;

    if (!json_object_is_type(j, json_type_string))
        return mismatch(ctx, path, fixed ? "expected fixed (a string)" : "expected bytes (a string)");
    if ((n = json_bytes(ctx->p, j, &bytes)) < 0)
        return mismatch(ctx, path, "bytes are code points U+0000 to U+00FF");
    if (fixed) {
        int64_t size = avro_schema_fixed_size(avro_value_get_schema(v));

        if (n != size)
            return mismatch(ctx, path, apr_psprintf(ctx->p, "expected %" APR_INT64_T_FMT
                                                    " bytes, got %ld", size, n));
        return avro_value_set_fixed(v, bytes, (size_t)n) ? mismatch(ctx, path, avro_strerror()) : 0;
    }
    return avro_value_set_bytes(v, bytes, (size_t)n) ? mismatch(ctx, path, avro_strerror()) : 0;
}

static int fill_record(fill_ctx_t *ctx, avro_value_t *v, json_object *j, const char *path)
{
    size_t n, i;

    if (!json_object_is_type(j, json_type_object))
        return mismatch(ctx, path, "expected an object (record)");
    avro_value_get_size(v, &n);
    for (i = 0; i < n; i++) {
        avro_value_t field;
        const char *name;
        json_object *fj = NULL;

        avro_value_get_by_index(v, i, &field, &name);
        if (!json_object_object_get_ex(j, name, &fj)
            && avro_value_get_type(&field) != AVRO_UNION && avro_value_get_type(&field) != AVRO_NULL)
            return mismatch(ctx, apr_pstrcat(ctx->p, path, ".", name, NULL), "missing");
        if (fill(ctx, &field, fj, apr_pstrcat(ctx->p, path, ".", name, NULL)))
            return -1;
    }
    {
        json_object_object_foreach(j, key, unused) {
            avro_value_t field;

            (void)unused;
            if (avro_value_get_by_name(v, key, &field, NULL))
                return mismatch(ctx, apr_pstrcat(ctx->p, path, ".", key, NULL),
                                "not a field of the record");
        }
    }
    return 0;
}

static int fill_array(fill_ctx_t *ctx, avro_value_t *v, json_object *j, const char *path)
{
    size_t i, n;

    if (!json_object_is_type(j, json_type_array))
        return mismatch(ctx, path, "expected an array");
    n = json_object_array_length(j);
    for (i = 0; i < n; i++) {
        avro_value_t item;

        avro_value_append(v, &item, NULL);
        if (fill(ctx, &item, json_object_array_get_idx(j, i),
                 apr_psprintf(ctx->p, "%s[%lu]", path, (unsigned long)i)))
            return -1;
    }
    return 0;
}

static int fill_map(fill_ctx_t *ctx, avro_value_t *v, json_object *j, const char *path)
{
    if (!json_object_is_type(j, json_type_object))
        return mismatch(ctx, path, "expected an object (map)");
    {
        json_object_object_foreach(j, key, val) {
            avro_value_t item;

            avro_value_add(v, key, &item, NULL, NULL);
            if (fill(ctx, &item, val, apr_pstrcat(ctx->p, path, ".", key, NULL)))
                return -1;
        }
    }
    return 0;
}

/* The name a union branch has in Avro's JSON encoding: a primitive's type
 * name, a named type's full name (the short name is accepted too). */
static int branch_named(avro_schema_t b, const char *tag)
{
    const char *ns, *name;
    size_t ns_len;

    /* A named type used again by name (a link): tagged by the type's name. */
    if (is_avro_link(b))
        b = avro_schema_link_target(b);
    ns = is_avro_named_type(b) ? avro_schema_namespace(b) : NULL;
    name = avro_schema_type_name(b);
    ns_len = ns ? strlen(ns) : 0;

    if (!strcmp(tag, name))
        return 1;
    return ns && ns_len && !strncmp(tag, ns, ns_len) && tag[ns_len] == '.'
           && !strcmp(tag + ns_len + 1, name);
}

/* Fills branch i of a union if the JSON fits it; nothing is left half
 * written when it does not (a scratch value is filled first). */
static int try_branch(fill_ctx_t *ctx, avro_value_t *v, size_t i, json_object *j,
                      const char *path)
{
    avro_schema_t b = avro_schema_union_branch(avro_value_get_schema(v), (int)i);
    avro_value_iface_t *iface = avro_generic_class_from_schema(b);
    avro_value_t scratch, branch;
    int rc = -1;

    if (iface && !avro_generic_value_new(iface, &scratch)) {
        if (!fill(ctx, &scratch, j, path) && !avro_value_set_branch(v, (int)i, &branch))
            rc = avro_value_copy(&branch, &scratch) ? -1 : 0;
        avro_value_decref(&scratch);
    }
    if (iface)
        avro_value_iface_decref(iface);
    return rc;
}

static int fill_union(fill_ctx_t *ctx, avro_value_t *v, json_object *j, const char *path)
{
    avro_schema_t u = avro_value_get_schema(v);
    size_t i, n = avro_schema_union_size(u);
    avro_value_t branch;

    if (!j) {
        for (i = 0; i < n; i++)
            if (is_avro_null(avro_schema_union_branch(u, (int)i)))
                return avro_value_set_branch(v, (int)i, &branch);
        return mismatch(ctx, path, "null (or missing) where the union has no null");
    }
    if (ctx->payload == KU_AVRO_JSON) {
        if (!json_object_is_type(j, json_type_object) || json_object_object_length(j) != 1)
            return mismatch(ctx, path, "expected a union tagged as {\"type\": value}");
        json_object_object_foreach(j, tag, inner) {
            for (i = 0; i < n; i++)
                if (branch_named(avro_schema_union_branch(u, (int)i), tag)) {
                    if (avro_value_set_branch(v, (int)i, &branch))
                        return mismatch(ctx, path, avro_strerror());
                    return fill(ctx, &branch, inner, apr_pstrcat(ctx->p, path, ".", tag, NULL));
                }
            return mismatch(ctx, path, apr_psprintf(ctx->p, "'%s' is no branch of the union", tag));
        }
    }
    for (i = 0; i < n; i++)
        if (!is_avro_null(avro_schema_union_branch(u, (int)i)) && !try_branch(ctx, v, i, j, path))
            return 0;
    return mismatch(ctx, path, "fits no branch of the union");
}

static int fill_enum(fill_ctx_t *ctx, avro_value_t *v, json_object *j, const char *path)
{
    int symbol;

    if (!json_object_is_type(j, json_type_string))
        return mismatch(ctx, path, "expected an enum symbol (a string)");
    symbol = avro_schema_enum_get_by_name(avro_value_get_schema(v), json_object_get_string(j));
    if (symbol < 0)
        return mismatch(ctx, path, apr_psprintf(ctx->p, "'%s' is no symbol of the enum",
                                                json_object_get_string(j)));
    return avro_value_set_enum(v, symbol);
}

static int fill(fill_ctx_t *ctx, avro_value_t *v, json_object *j, const char *path)
{
    switch (avro_value_get_type(v)) {
    case AVRO_NULL:
        return j ? mismatch(ctx, path, "expected null") : avro_value_set_null(v);
    case AVRO_BOOLEAN:
        if (!json_object_is_type(j, json_type_boolean))
            return mismatch(ctx, path, "expected a boolean");
        return avro_value_set_boolean(v, json_object_get_boolean(j));
    case AVRO_INT32:
        if (!json_object_is_type(j, json_type_int) || json_object_get_int64(j) < INT_MIN
            || json_object_get_int64(j) > INT_MAX)
            return mismatch(ctx, path, "expected int (a 32-bit integer)");
        return avro_value_set_int(v, (int32_t)json_object_get_int64(j));
    case AVRO_INT64:
        if (!json_object_is_type(j, json_type_int))
            return mismatch(ctx, path, "expected long (an integer)");
        return avro_value_set_long(v, json_object_get_int64(j));
    case AVRO_FLOAT:
        if (!is_number(j))
            return mismatch(ctx, path, "expected float (a number)");
        return avro_value_set_float(v, (float)json_object_get_double(j));
    case AVRO_DOUBLE:
        if (!is_number(j))
            return mismatch(ctx, path, "expected double (a number)");
        return avro_value_set_double(v, json_object_get_double(j));
    case AVRO_STRING:
        if (!json_object_is_type(j, json_type_string))
            return mismatch(ctx, path, "expected a string");
        return avro_value_set_string_len(v, json_object_get_string(j),
                                         (size_t)json_object_get_string_len(j) + 1);
    case AVRO_BYTES:
        return fill_bytes(ctx, v, j, path, 0);
    case AVRO_FIXED:
        return fill_bytes(ctx, v, j, path, 1);
    case AVRO_ENUM:
        return fill_enum(ctx, v, j, path);
    case AVRO_RECORD:
        return fill_record(ctx, v, j, path);
    case AVRO_ARRAY:
        return fill_array(ctx, v, j, path);
    case AVRO_MAP:
        return fill_map(ctx, v, j, path);
    case AVRO_UNION:
        return fill_union(ctx, v, j, path);
    default:
        return mismatch(ctx, path, "a schema type this module cannot write");
    }
}

/* --- the wire format ------------------------------------------------------- */

void ku_confluent_header(char *buf, int id)
{
    buf[0] = 0;
    buf[1] = (char)((unsigned)id >> 24);
    buf[2] = (char)((unsigned)id >> 16);
    buf[3] = (char)((unsigned)id >> 8);
    buf[4] = (char)id;
}

static int write_framed(apr_pool_t *p, avro_value_t *v, int id, char **out, size_t *out_len)
{
    size_t size;
    avro_writer_t w;
    char *buf;
    int rc;

    if (avro_value_sizeof(v, &size))
        return -1;
    buf = apr_palloc(p, size + 5);
    ku_confluent_header(buf, id);
    w = avro_writer_memory(buf + 5, (int64_t)size);
    rc = avro_value_write(w, v);
    avro_writer_free(w);
    *out = buf;
    *out_len = size + 5;
    return rc ? -1 : 0;
}

int ku_avro_encode(apr_pool_t *p, const ku_avro_schema_t *s, int id, ku_avro_payload_t payload,
                   const char *doc, size_t len, char **out, size_t *out_len,
                   const char **error)
{
    fill_ctx_t ctx = { p, payload, NULL };
    json_tokener *tok = json_tokener_new();
    /* With its NUL: a number at the very end is complete, not cut short. */
    json_object *j = json_tokener_parse_ex(tok, apr_pstrmemdup(p, doc, len), (int)len + 1);
    avro_value_iface_t *iface;
    avro_value_t v;
    int rc = -1;

    if (json_tokener_get_error(tok) != json_tokener_success
        || json_tokener_get_parse_end(tok) < len) {
        *error = "$: the body is not one JSON document";
        json_tokener_free(tok);
        json_object_put(j);
        return -1;
    }
    json_tokener_free(tok);
    iface = avro_generic_class_from_schema(s->schema);
    if (iface && !avro_generic_value_new(iface, &v)) {
        if (!fill(&ctx, &v, j, "$"))
            rc = write_framed(p, &v, id, out, out_len);
        if (rc && !ctx.error)
            ctx.error = apr_psprintf(p, "$: %s", avro_strerror());
        avro_value_decref(&v);
    }
    else
        ctx.error = apr_psprintf(p, "$: %s", avro_strerror());
    if (iface)
        avro_value_iface_decref(iface);
    json_object_put(j);
    *error = ctx.error;
    return rc;
}
