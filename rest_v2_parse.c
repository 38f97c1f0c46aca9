/* SPDX-License-Identifier: Apache-2.0 */
/* rest_v2_parse.c: the v2 produce dialect's route, media types and body
 * (see rest_v2_parse.h; README "REST proxy dialects"). */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <strings.h>

#include "apr_lib.h"
#include "apr_strings.h"
#include <json-c/json.h>

#include "protobuf_encode.h"
#include "rest_v2_parse.h"

/* Deeper JSON is refused rather than parsed (a value is rarely deep). */
#define KU_V2_JSON_DEPTH 64

static int refuse(ku_v2_error_t *err, int status, int code, const char *message)
{
    err->status = status;
    err->code = code;
    err->message = message;
    return status;
}

/* --- the route ----------------------------------------------------------------- */

int ku_v2_topic_name_ok(const char *topic)
{
    size_t len = strlen(topic);

    return len >= 1 && len <= 249 && strcmp(topic, ".") && strcmp(topic, "..")
        && strspn(topic, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                         "0123456789._-") == len;
}

/* A partition number in decimal digits, 0 to INT32_MAX. */
static int parse_partition(const char *s, int32_t *partition)
{
    apr_int64_t v = 0;

    if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 10)
        return -1;
    for (; *s; s++)
        v = v * 10 + (*s - '0');
    if (v > INT32_MAX)
        return -1;
    *partition = (int32_t)v;
    return 0;
}

int ku_v2_route(apr_pool_t *p, const char *path, const char **topic, int32_t *partition,
                ku_v2_error_t *err)
{
    char *copy, *last, *part[5];
    int n = 0;

    *partition = -1;
    if (!path || strncmp(path, "/topics/", 8))
        return refuse(err, 404, 404, "HTTP 404 Not Found");
    copy = apr_pstrdup(p, path + 1);
    /* A trailing or doubled slash is another route, as the peers see it. */
    if (strstr(copy, "//") || copy[strlen(copy) - 1] == '/')
        return refuse(err, 404, 404, "HTTP 404 Not Found");
    for (part[n] = apr_strtok(copy, "/", &last); part[n] && n < 4;
         part[++n] = apr_strtok(NULL, "/", &last))
        ;
    if (n == 4 && part[4])
        return refuse(err, 404, 404, "HTTP 404 Not Found");
    if ((n != 2 && n != 4) || (n == 4 && strcmp(part[2], "partitions")))
        return refuse(err, 404, 404, "HTTP 404 Not Found");
    *topic = part[1];
    if (n == 4 && parse_partition(part[3], partition))
        return refuse(err, 404, 40402, "Partition not found.");
    return 0;
}

/* --- media types ------------------------------------------------------------------ */

/* The media type without its parameters and spaces, in lower case. */
static char *media_type(apr_pool_t *p, const char *value, size_t len)
{
    const char *end = memchr(value, ';', len);
    char *type, *c;

    if (end)
        len = (size_t)(end - value);
    while (len && apr_isspace(*value))
        value++, len--;
    while (len && apr_isspace(value[len - 1]))
        len--;
    type = apr_pstrmemdup(p, value, len);
    for (c = type; *c; c++)
        *c = (char)apr_tolower(*c);
    return type;
}

int ku_v2_content_type(const char *content_type, ku_v2_format_t *format, ku_v2_error_t *err)
{
    static const struct { const char *type; int format; } types[] = {
        { "application/vnd.kafka.binary.v2+json", KU_V2_BINARY },
        { "application/vnd.kafka.json.v2+json", KU_V2_JSON },
        { "application/vnd.kafka.text.v2+json", KU_V2_TEXT },
        { "application/json", KU_V2_JSON },
        { "application/vnd.kafka.avro.v2+json", KU_V2_AVRO },
        { "application/vnd.kafka.jsonschema.v2+json", KU_V2_JSONSCHEMA },
        { "application/vnd.kafka.protobuf.v2+json", KU_V2_PROTOBUF },
    };
    char buf[64];
    size_t len, i;

    if (!content_type)
        return refuse(err, 415, 415, "HTTP 415 Unsupported Media Type");
    len = strcspn(content_type, ";");
    while (len && apr_isspace(content_type[len - 1]))
        len--;
    while (len && apr_isspace(*content_type))
        content_type++, len--;
    if (len >= sizeof(buf))
        return refuse(err, 415, 415, "HTTP 415 Unsupported Media Type");
    for (i = 0; i < len; i++)
        buf[i] = (char)apr_tolower(content_type[i]);
    buf[len] = '\0';
    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (strcmp(buf, types[i].type))
            continue;
        if (types[i].format == KU_V2_PROTOBUF && !ku_pb_available())
            return refuse(err, 415, 415, "this build has no Protobuf support: binary, json, "
                          "text, avro or jsonschema is");
        *format = (ku_v2_format_t)types[i].format;
        return 0;
    }
    return refuse(err, 415, 415, "HTTP 415 Unsupported Media Type");
}

/* Whether one Accept element (without parameters) names a type we answer
 * with, or a range that covers ours; q=0 refuses it. */
static const char *acceptable(apr_pool_t *p, const char *element, size_t len)
{
    const char *params = memchr(element, ';', len);
    char *type = media_type(p, element, len);

    if (params) {
        char *q = media_type(p, params + 1, len - (size_t)(params + 1 - element));

        if (!strncmp(q, "q=0", 3) && strspn(q + 3, ".0") == strlen(q + 3))
            return NULL;
    }
    if (!strcmp(type, "application/vnd.kafka.v2+json") || !strcmp(type, "*/*")
        || !strcmp(type, "application/*") || !*type)
        return "application/vnd.kafka.v2+json";
    if (!strcmp(type, "application/vnd.kafka+json"))
        return "application/vnd.kafka+json";
    if (!strcmp(type, "application/json"))
        return "application/json";
    return NULL;
}

const char *ku_v2_answer_type(apr_pool_t *p, const char *accept)
{
    const char *element = accept, *comma, *type;

    if (!accept || !*accept)
        return "application/vnd.kafka.v2+json";
    for (;;) {
        comma = strchr(element, ',');
        type = acceptable(p, element, comma ? (size_t)(comma - element) : strlen(element));
        if (type)
            return type;
        if (!comma)
            return NULL;
        element = comma + 1;
    }
}

/* --- the body ---------------------------------------------------------------------- */

static int base64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Standard base64 as the peers' Java decoder takes it: the padding may
 * be left out, anything else outside the alphabet is an error. */
int ku_v2_base64_decode(apr_pool_t *p, const char *in, size_t len, const char **out,
                        size_t *out_len)
{
    unsigned char *o;
    size_t i, n = 0, pad = 0;
    unsigned int acc = 0;
    int bits = 0;

    while (pad < 2 && len > pad && in[len - 1 - pad] == '=')
        pad++;
    if (pad && len % 4)
        return -1;
    len -= pad;
    if (len % 4 == 1)
        return -1;
    o = apr_palloc(p, len * 3 / 4 + 1);
    for (i = 0; i < len; i++) {
        int v = base64_value(in[i]);

        if (v < 0)
            return -1;
        acc = (acc << 6) | (unsigned int)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            o[n++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc)     /* bits left over that no byte holds: not canonical */
        return -1;
    o[n] = '\0';
    *out = (const char *)o;
    *out_len = n;
    return 0;
}

/* A key or value in the request's embedded format: NULL for null. */
static int embedded(apr_pool_t *p, json_object *o, ku_v2_format_t format, const char **out,
                    size_t *len, ku_v2_error_t *err, const char *what)
{
    *out = NULL;
    *len = 0;
    if (!o)
        return 0;
    if (format == KU_V2_JSON || KU_V2_HAS_SCHEMA(format)) {
        const char *text = json_object_to_json_string_ext(
            o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

        *len = strlen(text);
        *out = apr_pstrmemdup(p, text, *len);
        return 0;
    }
    if (!json_object_is_type(o, json_type_string))
        return refuse(err, 422, 422, apr_psprintf(p, "%s: a string is expected in the %s "
                                                  "embedded format", what,
                                                  format == KU_V2_BINARY ? "binary" : "text"));
    if (format == KU_V2_TEXT) {
        *len = (size_t)json_object_get_string_len(o);
        *out = apr_pstrmemdup(p, json_object_get_string(o), *len);
        return 0;
    }
    if (ku_v2_base64_decode(p, json_object_get_string(o), (size_t)json_object_get_string_len(o),
                      out, len))
        return refuse(err, 422, 422, apr_psprintf(p, "%s: invalid base64", what));
    return 0;
}

/* Strimzi's record headers: [{"key": name, "value": base64}]. */
static int record_headers(apr_pool_t *p, json_object *o, ku_v2_record_t *rec,
                          ku_v2_error_t *err)
{
    size_t i, n;

    if (!json_object_is_type(o, json_type_array))
        return refuse(err, 422, 422, "headers: an array is expected");
    n = json_object_array_length(o);
    rec->headers = apr_array_make(p, (int)n + 1, sizeof(ku_v2_header_t));
    for (i = 0; i < n; i++) {
        json_object *h = json_object_array_get_idx(o, i), *name, *value;
        ku_v2_header_t *out = apr_array_push(rec->headers);

        if (!json_object_is_type(h, json_type_object) || json_object_object_length(h) != 2
            || !json_object_object_get_ex(h, "key", &name)
            || !json_object_object_get_ex(h, "value", &value)
            || !json_object_is_type(name, json_type_string)
            || !json_object_is_type(value, json_type_string) || !json_object_get_string_len(name))
            return refuse(err, 422, 422, "headers: each is {\"key\": name, \"value\": base64}");
        out->name = apr_pstrdup(p, json_object_get_string(name));
        if (strlen(out->name) != (size_t)json_object_get_string_len(name))
            return refuse(err, 422, 422, "headers: a name must not hold NUL");
        if (ku_v2_base64_decode(p, json_object_get_string(value),
                          (size_t)json_object_get_string_len(value), &out->value,
                          &out->value_len))
            return refuse(err, 422, 422, "headers: a value is not valid base64");
    }
    return 0;
}

/* A whole number from min to max, as JSON gave it (no fraction, no string). */
static int whole_number(json_object *o, int64_t min, int64_t max, int64_t *v)
{
    if (!json_object_is_type(o, json_type_int))
        return -1;
    errno = 0;
    *v = json_object_get_int64(o);
    /* json-c clamps what int64 cannot hold, and says so in errno. */
    return errno || *v < min || *v > max ? -1 : 0;
}

static int parse_record(apr_pool_t *p, json_object *o, ku_v2_format_t format,
                        int32_t route_partition, ku_v2_record_t *rec, ku_v2_error_t *err)
{
    int64_t v;

    rec->partition = route_partition;
    if (!json_object_is_type(o, json_type_object))
        return refuse(err, 422, 422, "records: each is an object");
    json_object_object_foreach(o, name, value) {
        int status = 0;

        if (!strcmp(name, "key"))
            status = embedded(p, value, format, &rec->key, &rec->key_len, err, "key");
        else if (!strcmp(name, "value"))
            status = embedded(p, value, format, &rec->value, &rec->value_len, err, "value");
        else if (!strcmp(name, "partition")) {
            if (!value)
                continue;
            if (whole_number(value, 0, INT32_MAX, &v))
                return refuse(err, 422, 422, "partition: a whole number from 0 is expected");
            if (route_partition >= 0 && v != route_partition)
                return refuse(err, 422, 422, "partition: the path names another partition");
            rec->partition = (int32_t)v;
        }
        else if (!strcmp(name, "timestamp")) {
            if (value && whole_number(value, 1, INT64_MAX, &rec->timestamp))
                return refuse(err, 422, 422, "timestamp: milliseconds since the epoch "
                              "(a whole number from 1) are expected");
        }
        else if (!strcmp(name, "headers")) {
            if (value)
                status = record_headers(p, value, rec, err);
        }
        else
            return refuse(err, 422, 422, apr_psprintf(p, "records: unknown field '%s'", name));
        if (status)
            return status;
    }
    return 0;
}

/* The body as one JSON value, all of it; NULL when it is not JSON. */
json_object *ku_v2_parse_json(const char *body, size_t len)
{
    json_tokener *tok;
    json_object *o;
    size_t end;

    if (len > INT_MAX || memchr(body, '\0', len))
        return NULL;
    if (!(tok = json_tokener_new_ex(KU_V2_JSON_DEPTH)))
        return NULL;
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    o = json_tokener_parse_ex(tok, body, (int)len);
    end = o ? json_tokener_get_parse_end(tok) : 0;
    json_tokener_free(tok);
    /* Trailing white space only. */
    while (o && end < len && strchr(" \t\r\n", body[end]))
        end++;
    if (o && end != len) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

/* A schema id beside the records: a whole number from 0 (null: none). */
static int schema_id(apr_pool_t *p, json_object *root, const char *name, int *id,
                     ku_v2_error_t *err)
{
    json_object *o;
    int64_t v;

    *id = -1;
    if (!json_object_object_get_ex(root, name, &o) || !o)
        return 0;
    if (whole_number(o, 0, INT32_MAX, &v))
        return refuse(err, 422, 42205, apr_psprintf(p, "Invalid schema: %s: a whole number "
                                                    "from 0 is expected", name));
    *id = (int)v;
    return 0;
}

/* An inline schema beside the records: its text (null: none). */
static int schema_text(apr_pool_t *p, json_object *root, const char *name, const char **text,
                       ku_v2_error_t *err)
{
    json_object *o;

    *text = NULL;
    if (!json_object_object_get_ex(root, name, &o) || !o)
        return 0;
    if (!json_object_is_type(o, json_type_string) || !json_object_get_string_len(o)
        || strlen(json_object_get_string(o)) != (size_t)json_object_get_string_len(o))
        return refuse(err, 422, 42205, apr_psprintf(p, "Invalid schema: %s: the schema's "
                                                    "text is expected", name));
    *text = apr_pstrdup(p, json_object_get_string(o));
    return 0;
}

/* The schema fields, and the peers' check that every key and value has a
 * schema (the id wins when a body gives both, as the peers take it). */
static int parse_schemas(apr_pool_t *p, json_object *root, const apr_array_header_t *records,
                         ku_v2_schemas_t *s, ku_v2_error_t *err)
{
    int i, keys = 0, values = 0;

    if (schema_id(p, root, "key_schema_id", &s->key_id, err)
        || schema_id(p, root, "value_schema_id", &s->value_id, err)
        || schema_text(p, root, "key_schema", &s->key_schema, err)
        || schema_text(p, root, "value_schema", &s->value_schema, err))
        return err->status;
    for (i = 0; i < records->nelts; i++) {
        keys |= APR_ARRAY_IDX(records, i, ku_v2_record_t).key != NULL;
        values |= APR_ARRAY_IDX(records, i, ku_v2_record_t).value != NULL;
    }
    if (keys && s->key_id < 0 && !s->key_schema)
        return refuse(err, 422, 42201, "Request includes keys but does not include key schema");
    if (values && s->value_id < 0 && !s->value_schema)
        return refuse(err, 422, 42202, "Request includes values but does not include value "
                      "schema");
    return 0;
}

static int parse_records(apr_pool_t *p, json_object *root, ku_v2_format_t format,
                         int max_records, int32_t partition, apr_array_header_t **records,
                         ku_v2_error_t *err)
{
    json_object *list;
    size_t i, n;
    int status;

    if (!json_object_is_type(root, json_type_object)
        || !json_object_object_get_ex(root, "records", &list)
        || !json_object_is_type(list, json_type_array))
        return refuse(err, 422, 422, "records: an array of records is expected");
    n = json_object_array_length(list);
    if (!n)
        return refuse(err, 422, 422, "records: at least one record is expected");
    if (n > (size_t)max_records)
        return refuse(err, 413, 413, apr_psprintf(p, "records: more than %d in one "
                                                  "request", max_records));
    *records = apr_array_make(p, (int)n, sizeof(ku_v2_record_t));
    for (i = 0; i < n; i++) {
        ku_v2_record_t *rec = apr_array_push(*records);

        status = parse_record(p, json_object_array_get_idx(list, i), format, partition,
                              rec, err);
        if (status)
            return status;
    }
    return 0;
}

int ku_v2_parse_body(apr_pool_t *p, const char *body, size_t len, ku_v2_format_t format,
                     int max_records, int32_t partition, apr_array_header_t **records,
                     ku_v2_schemas_t *schemas, ku_v2_error_t *err)
{
    json_object *root = ku_v2_parse_json(body, len);
    ku_v2_schemas_t none = { -1, -1, NULL, NULL };
    int status;

    *schemas = none;
    if (!root)
        return refuse(err, 400, 400, "the body is not JSON");
    status = parse_records(p, root, format, max_records, partition, records, err);
    if (!status && KU_V2_HAS_SCHEMA(format))
        status = parse_schemas(p, root, *records, schemas, err);
    json_object_put(root);
    return status;
}
