/* SPDX-License-Identifier: Apache-2.0 */
/* rest_v3_parse.c: the v3 produce dialect's routes, record objects,
 * records:batch and the stream of record objects (see rest_v3_parse.h;
 * README "REST proxy dialects"). */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>

#include "apr_hash.h"
#include "apr_strings.h"
#include <json-c/json.h>

#include "protobuf_encode.h"
#include "rest_v3_parse.h"

/* As the v2 dialect: deeper JSON is refused rather than parsed. */
#define KU_V3_JSON_DEPTH 64
/* Confluent's bound on a batch entry's id. */
#define KU_V3_ID_MAX 80

static int refuse(ku_v2_error_t *err, int status, int code, const char *message)
{
    err->status = status;
    err->code = code;
    err->message = message;
    return status;
}

static int not_found(ku_v2_error_t *err)
{
    return refuse(err, 404, 404, "HTTP 404 Not Found");
}

/* --- the routes --------------------------------------------------------------- */

int ku_v3_route(apr_pool_t *p, const char *path, ku_v3_route_t *route, ku_v2_error_t *err)
{
    char *copy, *last, *part[7];
    int n = 0;

    if (!path || (strcmp(path, "/v3") && strncmp(path, "/v3/", 4)))
        return -1;
    copy = apr_pstrdup(p, path + 1);
    /* A trailing or doubled slash is another route. */
    if (strstr(copy, "//") || copy[strlen(copy) - 1] == '/')
        return not_found(err);
    for (part[n] = apr_strtok(copy, "/", &last); part[n] && n < 6;
         part[++n] = apr_strtok(NULL, "/", &last))
        ;
    if (n == 6 && part[6])
        return not_found(err);
    memset(route, 0, sizeof(*route));
    if (n < 2 || strcmp(part[1], "clusters"))
        return not_found(err);
    if (n == 2) {
        route->kind = KU_V3_CLUSTERS;
        return 0;
    }
    route->cluster_id = part[2];
    if (n == 3) {
        route->kind = KU_V3_CLUSTER;
        return 0;
    }
    if (n != 6 || strcmp(part[3], "topics"))
        return not_found(err);
    route->topic = part[4];
    if (!strcmp(part[5], "records"))
        route->kind = KU_V3_RECORDS;
    else if (!strcmp(part[5], "records:batch"))
        route->kind = KU_V3_BATCH;
    else
        return not_found(err);
    return 0;
}

/* --- time --------------------------------------------------------------------- */

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* n decimal digits at s: the number, or -1. */
static int digits(const char *s, int n)
{
    int v = 0, i;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int days_in_month(int y, int m)
{
    static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return days[m - 1] + (m == 2 && leap);
}

int ku_v3_parse_time(const char *s, int64_t *ms)
{
    int y = digits(s, 4), mo, d, h, mi, sec, frac = 0, scale = 100, off = 0;
    const char *c;

    if (y < 0 || s[4] != '-' || (mo = digits(s + 5, 2)) < 1 || mo > 12 || s[7] != '-'
        || (d = digits(s + 8, 2)) < 1 || d > days_in_month(y, mo)
        || (s[10] != 'T' && s[10] != 't') || (h = digits(s + 11, 2)) < 0 || h > 23
        || s[13] != ':' || (mi = digits(s + 14, 2)) < 0 || mi > 59 || s[16] != ':'
        || (sec = digits(s + 17, 2)) < 0 || sec > 60)
        return -1;
    c = s + 19;
    if (*c == '.') {
        if (c[1] < '0' || c[1] > '9')
            return -1;
        for (c++; *c >= '0' && *c <= '9'; c++, scale /= 10)
            frac += scale ? (*c - '0') * scale : 0;
    }
    if (*c == '+' || *c == '-') {
        int oh = digits(c + 1, 2), om = oh >= 0 && c[3] == ':' ? digits(c + 4, 2) : -1;

        if (oh < 0 || oh > 23 || om < 0 || om > 59 || c[6])
            return -1;
        off = (oh * 60 + om) * (*c == '-' ? -1 : 1);
    }
    else if ((*c != 'Z' && *c != 'z') || c[1])
        return -1;
    if (sec == 60)      /* a leap second: the next second, as Java reads it */
        sec = 59, frac += 1000;
    *ms = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) - (int64_t)off * 60)
          * 1000 + frac;
    return 0;
}

const char *ku_v3_format_time(apr_pool_t *p, int64_t ms)
{
    time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    int millis = (int)(ms - (int64_t)secs * 1000);
    struct tm tm;
    const char *text;

    if (!gmtime_r(&secs, &tm))
        return NULL;
    text = apr_psprintf(p, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                        tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return millis ? apr_psprintf(p, "%s.%03dZ", text, millis) : apr_pstrcat(p, text, "Z", NULL);
}

/* --- one record ------------------------------------------------------------------ */

#define KU_V3_HAS_SCHEMA(t) \
    (!strcmp((t), "AVRO") || !strcmp((t), "JSONSCHEMA") || !strcmp((t), "PROTOBUF"))

/* One schema field of a key or value object. */
static int schema_field(apr_pool_t *p, const char *what, const char *name, json_object *v,
                        ku_v3_schema_ref_t *ref, ku_v2_error_t *err)
{
    int64_t n;

    if (!v)
        return 0;
    if (!strcmp(name, "schema_id") || !strcmp(name, "schema_version")) {
        errno = 0;
        if (!json_object_is_type(v, json_type_int) || (n = json_object_get_int64(v)) < 0
            || n > INT32_MAX || errno || (n == 0 && !strcmp(name, "schema_version")))
            return refuse(err, 400, 400, apr_psprintf(p, "%s.%s: a whole number is expected",
                                                      what, name));
        *(!strcmp(name, "schema_id") ? &ref->id : &ref->version) = (int)n;
        return 0;
    }
    if (!strcmp(name, "subject_name_strategy")) {
        if (!json_object_is_type(v, json_type_string)
            || ku_rest_strategy_parse(json_object_get_string(v), &ref->strategy))
            return refuse(err, 400, 400, apr_psprintf(p, "%s.subject_name_strategy: "
                                                      "TOPIC_NAME, RECORD_NAME or "
                                                      "TOPIC_RECORD_NAME is expected", what));
        return 0;
    }
    if (!json_object_is_type(v, json_type_string) || !json_object_get_string_len(v)
        || strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
        return refuse(err, 400, 400, apr_psprintf(p, "%s.%s: a string is expected", what, name));
    *(!strcmp(name, "subject") ? &ref->subject : &ref->schema)
        = apr_pstrdup(p, json_object_get_string(v));
    return 0;
}

static int is_schema_field(const char *name)
{
    return !strcmp(name, "schema") || !strcmp(name, "schema_id")
        || !strcmp(name, "schema_version") || !strcmp(name, "subject")
        || !strcmp(name, "subject_name_strategy");
}

/* A key or value object {type, data, schema fields}: its bytes (NULL for
 * null data), type and schema. */
static int record_data(apr_pool_t *p, json_object *o, const char *what, const char **type,
                       ku_v3_schema_ref_t *ref, const char **out, size_t *len,
                       ku_v2_error_t *err)
{
    json_object *data = NULL;
    int schema_fields = 0;

    *type = "BINARY";
    *out = NULL;
    *len = 0;
    if (!json_object_is_type(o, json_type_object))
        return refuse(err, 400, 400, apr_psprintf(p, "%s: an object {\"type\", \"data\"} is "
                                                  "expected", what));
    json_object_object_foreach(o, name, v) {
        if (!strcmp(name, "type")) {
            const char *t = json_object_get_string(v);

            if (!json_object_is_type(v, json_type_string))
                return refuse(err, 400, 400, apr_psprintf(p, "%s.type: a string is expected",
                                                          what));
            if (strcmp(t, "BINARY") && strcmp(t, "JSON") && strcmp(t, "STRING")
                && !KU_V3_HAS_SCHEMA(t))
                return refuse(err, 400, 400, apr_psprintf(
                    p, "%s.type: BINARY, JSON, STRING, AVRO, JSONSCHEMA or PROTOBUF is "
                    "expected", what));
            if (!strcmp(t, "PROTOBUF") && !ku_pb_available())
                return refuse(err, 400, 400, apr_psprintf(
                    p, "%s.type: this build has no Protobuf support", what));
            *type = apr_pstrdup(p, t);
        }
        else if (!strcmp(name, "data"))
            data = v;
        else if (is_schema_field(name)) {
            if (schema_field(p, what, name, v, ref, err))
                return err->status;
            schema_fields += v != NULL;
        }
        else
            return refuse(err, 400, 400, apr_psprintf(p, "%s: unknown field '%s'", what, name));
    }
    if (schema_fields && !KU_V3_HAS_SCHEMA(*type))
        return refuse(err, 400, 400, apr_psprintf(p, "%s: schema fields need the type AVRO, "
                                                  "JSONSCHEMA or PROTOBUF", what));
    /* A subject named wins over the strategy. Else the record name comes
     * from the schema: latest or a version of a subject we cannot name yet
     * is no schema. */
    if (ref->strategy != KU_REST_TOPIC_NAME && !ref->subject && ref->id < 0 && !ref->schema)
        return refuse(err, 400, 400, apr_psprintf(p, "%s: subject_name_strategy %s needs "
                                                  "schema_id or schema", what,
                                                  ref->strategy == KU_REST_RECORD_NAME
                                                      ? "RECORD_NAME" : "TOPIC_RECORD_NAME"));
    if (ref->id >= 0 && (ref->schema || ref->version))
        return refuse(err, 400, 400, apr_psprintf(p, "%s: schema_id, schema_version and "
                                                  "schema name one schema each", what));
    if (ref->schema && ref->version)
        return refuse(err, 400, 400, apr_psprintf(p, "%s: schema_version and schema name "
                                                  "one schema each", what));
    if (!data)
        return 0;
    if (!strcmp(*type, "JSON") || KU_V3_HAS_SCHEMA(*type)) {
        const char *text = json_object_to_json_string_ext(
            data, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

        *len = strlen(text);
        *out = apr_pstrmemdup(p, text, *len);
        return 0;
    }
    if (!json_object_is_type(data, json_type_string))
        return refuse(err, 400, 400, apr_psprintf(p, "%s.data: a string is expected for %s",
                                                  what, *type));
    if (!strcmp(*type, "STRING")) {
        *len = (size_t)json_object_get_string_len(data);
        *out = apr_pstrmemdup(p, json_object_get_string(data), *len);
        return 0;
    }
    if (ku_v2_base64_decode(p, json_object_get_string(data),
                            (size_t)json_object_get_string_len(data), out, len))
        return refuse(err, 400, 400, apr_psprintf(p, "%s.data: not a base64 string", what));
    return 0;
}

/* headers: [{"name": n, "value": base64 or null}]. */
static int record_headers(apr_pool_t *p, json_object *o, ku_v2_record_t *rec,
                          ku_v2_error_t *err)
{
    size_t i, n;

    if (!json_object_is_type(o, json_type_array))
        return refuse(err, 400, 400, "headers: an array is expected");
    n = json_object_array_length(o);
    rec->headers = apr_array_make(p, (int)n + 1, sizeof(ku_v2_header_t));
    for (i = 0; i < n; i++) {
        json_object *h = json_object_array_get_idx(o, i), *name = NULL, *value = NULL;
        ku_v2_header_t *out = apr_array_push(rec->headers);
        int fields = json_object_is_type(h, json_type_object) ? json_object_object_length(h) : 0;

        if (!json_object_object_get_ex(h, "name", &name)
            || !json_object_is_type(name, json_type_string) || !json_object_get_string_len(name)
            || fields != 1 + json_object_object_get_ex(h, "value", &value)
            || (value && !json_object_is_type(value, json_type_string)))
            return refuse(err, 400, 400, "headers: each is {\"name\": name, \"value\": base64}");
        out->name = apr_pstrdup(p, json_object_get_string(name));
        if (strlen(out->name) != (size_t)json_object_get_string_len(name))
            return refuse(err, 400, 400, "headers: a name must not hold NUL");
        out->value = "";
        out->value_len = 0;
        if (value && ku_v2_base64_decode(p, json_object_get_string(value),
                                         (size_t)json_object_get_string_len(value),
                                         &out->value, &out->value_len))
            return refuse(err, 400, 400, "headers: a value is not a base64 string");
    }
    return 0;
}

static int record_field(apr_pool_t *p, const char *name, json_object *v, int batch,
                        ku_v3_record_t *r, ku_v2_error_t *err)
{
    int64_t n;

    if (!strcmp(name, "key"))
        return v ? record_data(p, v, "key", &r->key_type, &r->key_schema, &r->rec.key,
                               &r->rec.key_len, err) : 0;
    if (!strcmp(name, "value"))
        return v ? record_data(p, v, "value", &r->value_type, &r->value_schema, &r->rec.value,
                               &r->rec.value_len, err) : 0;
    if (!strcmp(name, "partition_id")) {
        errno = 0;
        if (v && (!json_object_is_type(v, json_type_int)
                  || (n = json_object_get_int64(v)) < 0 || n > INT32_MAX || errno))
            return refuse(err, 400, 400, "partition_id: a whole number from 0 is expected");
        r->rec.partition = v ? (int32_t)n : -1;
        return 0;
    }
    if (!strcmp(name, "timestamp")) {
        if (v && (!json_object_is_type(v, json_type_string)
                  || ku_v3_parse_time(json_object_get_string(v), &r->rec.timestamp)
                  || r->rec.timestamp < 1))
            return refuse(err, 400, 400, "timestamp: an RFC 3339 date-time after the epoch "
                          "is expected");
        return 0;
    }
    if (!strcmp(name, "headers"))
        return v ? record_headers(p, v, &r->rec, err) : 0;
    if (batch && !strcmp(name, "id")) {
        if (!json_object_is_type(v, json_type_string) || !json_object_get_string_len(v)
            || json_object_get_string_len(v) > KU_V3_ID_MAX)
            return refuse(err, 400, 400, "id: a string of 1 to 80 characters is expected");
        r->id = apr_pstrdup(p, json_object_get_string(v));
        return 0;
    }
    return refuse(err, 400, 400, apr_psprintf(p, "unknown field '%s'", name));
}

int ku_v3_parse_record(apr_pool_t *p, json_object *o, int batch, ku_v3_record_t *rec,
                       ku_v2_error_t *err)
{
    int status;

    memset(rec, 0, sizeof(*rec));
    rec->rec.partition = -1;
    rec->key_schema.id = rec->value_schema.id = -1;
    rec->key_schema_id = rec->value_schema_id = -1;
    if (!json_object_is_type(o, json_type_object))
        return refuse(err, 400, 400, "a record is an object");
    json_object_object_foreach(o, name, value) {
        if ((status = record_field(p, name, value, batch, rec, err)))
            return status;
    }
    return 0;
}

/* --- records:batch ---------------------------------------------------------------- */

/* An entry's id, wherever its other fields went wrong: NULL when it has none. */
static const char *entry_id(apr_pool_t *p, json_object *o)
{
    json_object *id;

    if (!json_object_object_get_ex(o, "id", &id) || !json_object_is_type(id, json_type_string)
        || !json_object_get_string_len(id) || json_object_get_string_len(id) > KU_V3_ID_MAX)
        return NULL;
    return apr_pstrdup(p, json_object_get_string(id));
}

static int parse_entries(apr_pool_t *p, json_object *root, int max_records,
                         apr_array_header_t **entries, ku_v2_error_t *err)
{
    apr_hash_t *seen = apr_hash_make(p);
    json_object *list;
    size_t i, n;

    if (!json_object_is_type(root, json_type_object) || json_object_object_length(root) != 1
        || !json_object_object_get_ex(root, "entries", &list)
        || !json_object_is_type(list, json_type_array))
        return refuse(err, 400, 400, "entries: an array of records is expected");
    if (!(n = json_object_array_length(list)))
        return refuse(err, 400, 400, "entries: at least one record is expected");
    if (n > (size_t)max_records)
        return refuse(err, 413, 413, apr_psprintf(p, "entries: more than %d in one request",
                                                  max_records));
    *entries = apr_array_make(p, (int)n, sizeof(ku_v3_record_t));
    for (i = 0; i < n; i++) {
        json_object *o = json_object_array_get_idx(list, i);
        ku_v3_record_t *e = apr_array_push(*entries);
        const char *id = json_object_is_type(o, json_type_object) ? entry_id(p, o) : NULL;

        if (!id)
            return refuse(err, 400, 400, "entries: each needs an id (a string of 1 to 80 "
                          "characters)");
        if (apr_hash_get(seen, id, APR_HASH_KEY_STRING))
            return refuse(err, 400, 400, apr_psprintf(p, "entries: the id '%s' is given "
                                                      "twice", id));
        apr_hash_set(seen, id, APR_HASH_KEY_STRING, id);
        if (ku_v3_parse_record(p, o, 1, e, &e->err) && !e->err.status)
            e->err.status = 400;
        e->id = id;
    }
    return 0;
}

int ku_v3_parse_batch(apr_pool_t *p, const char *body, size_t len, int max_records,
                      apr_array_header_t **entries, ku_v2_error_t *err)
{
    json_object *root = ku_v2_parse_json(body, len);
    int status;

    if (!root)
        return refuse(err, 400, 400, "the body is not JSON");
    status = parse_entries(p, root, max_records, entries, err);
    json_object_put(root);
    return status;
}

/* --- the stream of record objects ------------------------------------------------- */

/* json-c's incremental parse finds where an object ends; its bytes, kept
 * here, are then parsed again in one call, strictly: json-c checks UTF-8
 * only within one call and lets pieces of a malformed number through, so
 * a stream cut anywhere reads the same as one body. */
struct ku_v3_stream {
    json_tokener *tok;
    size_t max_object;
    char *text;         /* the bytes of the object under way */
    size_t taken;
    size_t size;
    int pending;        /* something other than white space was fed since the last object */
};

static apr_status_t stream_cleanup(void *data)
{
    ku_v3_stream_t *s = data;

    json_tokener_free(s->tok);
    free(s->text);
    return APR_SUCCESS;
}

ku_v3_stream_t *ku_v3_stream_make(apr_pool_t *p, size_t max_object)
{
    ku_v3_stream_t *s = apr_pcalloc(p, sizeof(*s));

    if (!(s->tok = json_tokener_new_ex(KU_V3_JSON_DEPTH)))
        return NULL;
    json_tokener_set_flags(s->tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
    s->max_object = max_object;
    apr_pool_cleanup_register(p, s, stream_cleanup, apr_pool_cleanup_null);
    return s;
}

static int blank(const char *buf, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++)
        if (!strchr(" \t\r\n", buf[i]))
            return 0;
    return 1;
}

/* Whether the next object may begin here: only objects, as a scalar's end
 * would depend on what follows it. */
static int begins_object(const char *buf, size_t len)
{
    size_t lead = 0;

    while (lead < len && strchr(" \t\r\n", buf[lead]))
        lead++;
    return lead == len || buf[lead] == '{';
}

/* Keeps the bytes of the object under way: 0, or -1 past max_object. */
static int keep(ku_v3_stream_t *s, const char *buf, size_t len)
{
    if (s->taken + len > s->max_object)
        return -1;
    if (s->taken + len > s->size) {
        size_t size = s->size ? s->size : 256;
        char *text;

        while (size < s->taken + len)
            size *= 2;
        if (!(text = realloc(s->text, size)))
            return -1;
        s->text = text, s->size = size;
    }
    memcpy(s->text + s->taken, buf, len);
    s->taken += len;
    return 0;
}

int ku_v3_stream_feed(ku_v3_stream_t *s, const char *buf, size_t len, size_t *used,
                      json_object **o, ku_v2_error_t *err)
{
    size_t take = len > INT_MAX ? INT_MAX : len;
    json_object *found;

    *o = NULL;
    *used = 0;
    if (memchr(buf, '\0', take))
        return refuse(err, 400, 400, "the body is not JSON"), -1;
    if (!s->pending && !begins_object(buf, take))
        return refuse(err, 400, 400, "a record is an object"), -1;
    found = json_tokener_parse_ex(s->tok, buf, (int)take);
    if (!found && json_tokener_get_error(s->tok) != json_tokener_continue)
        return refuse(err, 400, 400, "the body is not JSON"), -1;
    *used = found ? json_tokener_get_parse_end(s->tok) : take;
    json_object_put(found);
    s->pending |= !blank(buf, *used);
    if (keep(s, buf, *used))
        return refuse(err, 413, 413, "a record is larger than the body limit"), -1;
    if (!found)
        return 0;
    json_tokener_reset(s->tok);
    *o = ku_v2_parse_json(s->text, s->taken);
    s->taken = 0;
    s->pending = 0;
    if (!*o)
        return refuse(err, 400, 400, "the body is not JSON"), -1;
    if (!json_object_is_type(*o, json_type_object)) {
        json_object_put(*o);
        *o = NULL;
        return refuse(err, 400, 400, "a record is an object"), -1;
    }
    return 1;
}

int ku_v3_stream_pending(const ku_v3_stream_t *s)
{
    return s->pending;
}
