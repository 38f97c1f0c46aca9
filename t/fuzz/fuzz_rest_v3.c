/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_rest_v3.c - libFuzzer target for rest_v3_parse.c, the v3 produce
 * dialect's parsers of client input (README "REST proxy dialects").
 *
 * Input: one byte, then the body. The low bits of the byte choose how the
 * body is read: as a stream of concatenated record objects fed in pieces
 * (the byte's high bits give the piece size), or as a records:batch body.
 * The body is also given, as a C string, to the route and time parsers.
 * Invariants: every refusal is 400 or 413 with that error_code and a
 * message; the stream gives only objects, and a stream fed in pieces gives
 * as many as one fed whole (or both are refused); an accepted record has a type for each key or
 * value it carries, schema fields only with AVRO, JSONSCHEMA or PROTOBUF, a record-name subject
 * name strategy only with a schema, an id or a subject, a partition of -1 or more and
 * a timestamp of 0 or more; an inline schema's subject under its strategy (rest_common.c) is
 * named or refused with a reason, and the topic's under TOPIC_NAME and TOPIC_RECORD_NAME; a batch has 1 to 50 entries, each with an id; a timestamp parsed,
 * written and parsed again is the same.
 */
#include "fuzz_common.h"
#include "rest_common.h"
#include "rest_v3_parse.h"

#define FZ_V3_MAX_RECORDS 50

static void check_error(const ku_v2_error_t *err, const char *what)
{
    FZ_CHECK((err->status == 400 || err->status == 413) && err->code == err->status
             && err->message && *err->message, what);
}

/* The subject an inline schema gets under its strategy, and its record
 * name read as each schema type. */
static void check_subject(const ku_v3_schema_ref_t *ref, const char *type)
{
    const char *registry_type = ku_rest_registry_type(type), *why = NULL, *subject;
    static const char *const types[] = { "AVRO", "JSON", "PROTOBUF" };
    size_t i;

    FZ_CHECK(registry_type != NULL, "subject: a schema type");
    subject = ku_rest_subject(fz_pool, ref->strategy, "t", 0, registry_type, ref->schema, &why);
    FZ_CHECK(subject ? *subject != '\0' : why && *why, "subject: named, or refused with a reason");
    FZ_CHECK(!subject || ref->strategy == KU_REST_RECORD_NAME || !strncmp(subject, "t-", 2),
             "subject: the topic's under TOPIC_NAME and TOPIC_RECORD_NAME");
    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        const char *name;

        why = NULL;
        name = ku_rest_record_name(fz_pool, types[i], ref->schema, &why);
        FZ_CHECK(name ? *name != '\0' : why != NULL, "record name: a name, or why not");
    }
}

static void check_record(json_object *o)
{
    ku_v3_record_t rec;
    ku_v2_error_t err = { 0, 0, NULL };

    if (ku_v3_parse_record(fz_pool, o, 0, &rec, &err)) {
        check_error(&err, "record: a refusal is 400 with a message");
        return;
    }
    FZ_CHECK(!rec.rec.key || rec.key_type, "record: a key has a type");
    FZ_CHECK(!rec.rec.value || rec.value_type, "record: a value has a type");
    FZ_CHECK(rec.key_schema.id >= -1 && rec.value_schema.id >= -1
             && rec.key_schema.version >= 0 && rec.value_schema.version >= 0,
             "record: a schema id is -1 or more, a version 0 or more");
    FZ_CHECK((rec.value_schema.id < 0 && !rec.value_schema.subject && !rec.value_schema.schema
              && !rec.value_schema.version) || (rec.value_type
              && (!strcmp(rec.value_type, "AVRO") || !strcmp(rec.value_type, "JSONSCHEMA")
                  || !strcmp(rec.value_type, "PROTOBUF"))),
             "record: schema fields only with AVRO, JSONSCHEMA or PROTOBUF");
    FZ_CHECK(rec.value_schema.strategy == KU_REST_TOPIC_NAME || rec.value_schema.schema
             || rec.value_schema.id >= 0 || rec.value_schema.subject,
             "record: a record-name strategy with a schema, an id or a subject");
    if (rec.value_schema.schema)
        check_subject(&rec.value_schema, rec.value_type);
    FZ_CHECK(rec.rec.partition >= -1 && rec.rec.timestamp >= 0, "record: partition, timestamp");
}

/* Feeds the body in pieces of step bytes: the objects it gave, or -1
 * (refused, or it ends inside an object). */
static int feed_stream(const char *body, size_t len, size_t step, int check)
{
    ku_v3_stream_t *s = ku_v3_stream_make(fz_pool, 4096);
    ku_v2_error_t err = { 0, 0, NULL };
    size_t at = 0;
    int objects = 0;

    while (at < len) {
        size_t piece = len - at < step ? len - at : step, used;
        const char *buf = body + at;

        at += piece;
        while (piece) {
            json_object *o;
            int got = ku_v3_stream_feed(s, buf, piece, &used, &o, &err);

            if (got < 0) {
                check_error(&err, "stream: a refusal is 400 or 413 with a message");
                return -1;
            }
            FZ_CHECK(used <= piece, "stream: takes no more than it was given");
            if (got) {
                FZ_CHECK(json_object_is_type(o, json_type_object), "stream: objects only");
                if (check)
                    check_record(o);
                json_object_put(o);
                objects++;
            }
            buf += used, piece -= used;
        }
    }
    /* A body that ends inside an object is refused as a whole. */
    return ku_v3_stream_pending(s) ? -1 : objects;
}

static void check_batch(const char *body, size_t len)
{
    apr_array_header_t *entries = NULL;
    ku_v2_error_t err = { 0, 0, NULL };
    int i;

    if (ku_v3_parse_batch(fz_pool, body, len, FZ_V3_MAX_RECORDS, &entries, &err)) {
        check_error(&err, "batch: a refusal is 400 or 413 with a message");
        return;
    }
    FZ_CHECK(entries->nelts >= 1 && entries->nelts <= FZ_V3_MAX_RECORDS, "batch: 1 to 50");
    for (i = 0; i < entries->nelts; i++) {
        const ku_v3_record_t *e = &APR_ARRAY_IDX(entries, i, ku_v3_record_t);

        FZ_CHECK(e->id && *e->id && strlen(e->id) <= 80, "batch: each entry has an id");
        if (e->err.status)
            check_error(&e->err, "batch: a bad entry is 400 with a message");
    }
}

static void check_other_parsers(const char *s)
{
    ku_v3_route_t route;
    ku_v2_error_t err;
    int64_t ms, again;
    int found = ku_v3_route(fz_pool, s, &route, &err);

    if (found > 0)
        FZ_CHECK(err.status == 404 && err.code == 404, "route: 404");
    else if (!found)
        FZ_CHECK((route.kind == KU_V3_CLUSTERS || (route.cluster_id && *route.cluster_id
                                                   && !strchr(route.cluster_id, '/')))
                 && (route.kind < KU_V3_RECORDS || (route.topic && !strchr(route.topic, '/'))),
                 "route: a cluster id and a topic without slashes");
    if (!ku_v3_parse_time(s, &ms) && ms > -62135596800000LL && ms < 253402300799000LL) {
        const char *text = ku_v3_format_time(fz_pool, ms);

        FZ_CHECK(text && !ku_v3_parse_time(text, &again) && again == ms,
                 "time: written and read again, the same");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *body;

    if (size < 1)
        return 0;
    body = fz_bytes(data + 1, size - 1);
    if (data[0] & 1) {
        check_batch(body, size - 1);
    }
    else {
        int whole = feed_stream(body, size - 1, size, 1);
        int pieces = feed_stream(body, size - 1, (size_t)(data[0] >> 1) + 1, 0);

        FZ_CHECK(whole < 0 ? pieces < 0 : pieces == whole,
                 "stream: in pieces as many objects as whole");
    }
    free(body);
    body = fz_cstr(data + 1, size - 1);
    check_other_parsers(body);
    free(body);
    apr_pool_clear(fz_pool);
    return 0;
}
