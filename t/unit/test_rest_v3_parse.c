/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for rest_v3_parse.c (README "REST proxy dialects"): the /v3
 * routes, one record object in each data type, records:batch, RFC 3339
 * timestamps, the stream of concatenated objects fed in pieces, and each
 * refusal's status and error_code.
 * Ends with "N passed, M failed".
 */
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <json-c/json.h>

#include "protobuf_encode.h"
#include "rest_v3_parse.h"
#include "t/unit/check.h"

static apr_pool_t *pool;

static int bytes_are(const char *got, size_t len, const char *want, size_t want_len)
{
    return got && len == want_len && !memcmp(got, want, len);
}

static void test_routes(void)
{
    ku_v3_route_t r;
    ku_v2_error_t err;

    CHECK("route: /topics/t is not v3", ku_v3_route(pool, "/topics/t", &r, &err) == -1);
    CHECK("route: /v3x is not v3", ku_v3_route(pool, "/v3x/clusters", &r, &err) == -1);
    CHECK("route: /v3/clusters", !ku_v3_route(pool, "/v3/clusters", &r, &err)
          && r.kind == KU_V3_CLUSTERS);
    CHECK("route: /v3/clusters/c", !ku_v3_route(pool, "/v3/clusters/c", &r, &err)
          && r.kind == KU_V3_CLUSTER && !strcmp(r.cluster_id, "c"));
    CHECK("route: records", !ku_v3_route(pool, "/v3/clusters/c/topics/t/records", &r, &err)
          && r.kind == KU_V3_RECORDS && !strcmp(r.cluster_id, "c") && !strcmp(r.topic, "t"));
    CHECK("route: records:batch",
          !ku_v3_route(pool, "/v3/clusters/c/topics/t/records:batch", &r, &err)
          && r.kind == KU_V3_BATCH && !strcmp(r.topic, "t"));
    CHECK("route: /v3 alone is 404", ku_v3_route(pool, "/v3", &r, &err) == 404 && err.code == 404);
    CHECK("route: a trailing slash is 404",
          ku_v3_route(pool, "/v3/clusters/", &r, &err) == 404);
    CHECK("route: topics without records is 404",
          ku_v3_route(pool, "/v3/clusters/c/topics/t", &r, &err) == 404);
    CHECK("route: another last word is 404",
          ku_v3_route(pool, "/v3/clusters/c/topics/t/partitions", &r, &err) == 404);
    CHECK("route: more segments are 404",
          ku_v3_route(pool, "/v3/clusters/c/topics/t/records/x", &r, &err) == 404);
}

static void test_time(void)
{
    int64_t ms = 0;

    CHECK("time: Z", !ku_v3_parse_time("2021-02-05T19:14:42Z", &ms) && ms == 1612552482000LL);
    CHECK("time: milliseconds", !ku_v3_parse_time("2021-02-05T19:14:42.123Z", &ms)
          && ms == 1612552482123LL);
    CHECK("time: more digits are cut", !ku_v3_parse_time("2021-02-05T19:14:42.1239Z", &ms)
          && ms == 1612552482123LL);
    CHECK("time: an offset", !ku_v3_parse_time("2021-02-05T20:14:42+01:00", &ms)
          && ms == 1612552482000LL);
    CHECK("time: no zone is refused", ku_v3_parse_time("2021-02-05T19:14:42", &ms) == -1);
    CHECK("time: 30 February is refused", ku_v3_parse_time("2021-02-30T19:14:42Z", &ms) == -1);
    CHECK("time: 29 February of a leap year", !ku_v3_parse_time("2024-02-29T00:00:00Z", &ms));
    CHECK("time: a number is refused", ku_v3_parse_time("1612552482000", &ms) == -1);
    CHECK("time: trailing bytes are refused",
          ku_v3_parse_time("2021-02-05T19:14:42Zx", &ms) == -1);
    CHECK("time: formatted with milliseconds",
          !strcmp(ku_v3_format_time(pool, 1612552482123LL), "2021-02-05T19:14:42.123Z"));
    CHECK("time: formatted without",
          !strcmp(ku_v3_format_time(pool, 1612552482000LL), "2021-02-05T19:14:42Z"));
}

static int record(const char *text, ku_v3_record_t *rec, ku_v2_error_t *err)
{
    json_object *o = json_tokener_parse(text);
    int status = ku_v3_parse_record(pool, o, 0, rec, err);

    json_object_put(o);
    return status;
}

static void test_records(void)
{
    ku_v3_record_t rec;
    ku_v2_error_t err;
    const ku_v2_header_t *h;

    CHECK("record: binary key, JSON value, partition, timestamp, headers",
          !record("{\"partition_id\":2,\"timestamp\":\"2021-02-05T19:14:42.5Z\","
                  "\"key\":{\"type\":\"BINARY\",\"data\":\"AP8=\"},"
                  "\"value\":{\"type\":\"JSON\",\"data\":{\"a\": [1, 2]}},"
                  "\"headers\":[{\"name\":\"h\",\"value\":\"AAE=\"},{\"name\":\"n\"}]}",
                  &rec, &err)
          && bytes_are(rec.rec.key, rec.rec.key_len, "\0\xff", 2)
          && bytes_are(rec.rec.value, rec.rec.value_len, "{\"a\":[1,2]}", 11)
          && rec.rec.partition == 2 && rec.rec.timestamp == 1612552482500LL
          && !strcmp(rec.key_type, "BINARY") && !strcmp(rec.value_type, "JSON")
          && rec.rec.headers->nelts == 2);
    h = &APR_ARRAY_IDX(rec.rec.headers, 0, ku_v2_header_t);
    CHECK("record: a header's bytes", !strcmp(h->name, "h")
          && bytes_are(h->value, h->value_len, "\0\x01", 2));
    h = &APR_ARRAY_IDX(rec.rec.headers, 1, ku_v2_header_t);
    CHECK("record: a header without value", !strcmp(h->name, "n") && h->value_len == 0);
    CHECK("record: STRING is its UTF-8 bytes",
          !record("{\"value\":{\"type\":\"STRING\",\"data\":\"h\\u00e9\"}}", &rec, &err)
          && bytes_are(rec.rec.value, rec.rec.value_len, "h\xc3\xa9", 3)
          && !rec.key_type && rec.rec.partition == -1 && rec.rec.timestamp == 0);
    CHECK("record: no type is BINARY",
          !record("{\"value\":{\"data\":\"YWJj\"}}", &rec, &err)
          && bytes_are(rec.rec.value, rec.rec.value_len, "abc", 3)
          && !strcmp(rec.value_type, "BINARY"));
    CHECK("record: null data is no value",
          !record("{\"value\":{\"type\":\"JSON\",\"data\":null}}", &rec, &err) && !rec.rec.value);
    CHECK("record: bad base64 is 400",
          record("{\"value\":{\"type\":\"BINARY\",\"data\":\"a\"}}", &rec, &err) == 400
          && err.code == 400 && strstr(err.message, "base64"));
    CHECK("record: bad base64 in a header is 400",
          record("{\"headers\":[{\"name\":\"h\",\"value\":\"!!\"}]}", &rec, &err) == 400);
    CHECK("record: a header without name is 400",
          record("{\"headers\":[{\"value\":\"AA==\"}]}", &rec, &err) == 400);
    CHECK("record: AVRO with a schema_id: the data's JSON text and the id",
          !record("{\"value\":{\"type\":\"AVRO\",\"schema_id\":7,\"data\":{ \"a\" : 1 }}}",
                  &rec, &err)
          && !strcmp(rec.value_type, "AVRO") && rec.value_schema.id == 7
          && bytes_are(rec.rec.value, rec.rec.value_len, "{\"a\":1}", 7)
          && rec.key_schema.id == -1 && rec.value_schema_id == -1);
    CHECK("record: JSONSCHEMA with subject and schema_version",
          !record("{\"key\":{\"type\":\"JSONSCHEMA\",\"subject\":\"s\",\"schema_version\":2,"
                  "\"subject_name_strategy\":\"TOPIC_NAME\",\"data\":\"k\"}}", &rec, &err)
          && !strcmp(rec.key_type, "JSONSCHEMA") && !strcmp(rec.key_schema.subject, "s")
          && rec.key_schema.version == 2 && rec.key_schema.id == -1
          && bytes_are(rec.rec.key, rec.rec.key_len, "\"k\"", 3));
    CHECK("record: AVRO with an inline schema",
          !record("{\"value\":{\"type\":\"AVRO\",\"schema\":\"\\\"int\\\"\",\"data\":1}}", &rec,
                  &err) && !strcmp(rec.value_schema.schema, "\"int\""));
    if (ku_pb_available())
        CHECK("record: PROTOBUF with a schema_id",
              !record("{\"value\":{\"type\":\"PROTOBUF\",\"schema_id\":3,\"data\":{}}}",
                      &rec, &err) && !strcmp(rec.value_type, "PROTOBUF")
              && rec.value_schema.id == 3);
    else
        CHECK("record: PROTOBUF without Protobuf support is 400",
              record("{\"value\":{\"type\":\"PROTOBUF\",\"data\":1}}", &rec, &err) == 400
              && strstr(err.message, "no Protobuf support"));
    CHECK("record: a schema_id without a schema type is 400",
          record("{\"value\":{\"schema_id\":1,\"data\":1}}", &rec, &err) == 400);
    CHECK("record: schema_id and schema together are 400",
          record("{\"value\":{\"type\":\"AVRO\",\"schema_id\":1,\"schema\":\"x\",\"data\":1}}",
                 &rec, &err) == 400);
    CHECK("record: a negative schema_id is 400",
          record("{\"value\":{\"type\":\"AVRO\",\"schema_id\":-1,\"data\":1}}", &rec, &err)
          == 400);
    CHECK("record: schema_version 0 is 400",
          record("{\"value\":{\"type\":\"AVRO\",\"schema_version\":0,\"data\":1}}", &rec,
                 &err) == 400);
    CHECK("record: RECORD_NAME with an inline schema",
          !record("{\"value\":{\"type\":\"AVRO\",\"subject_name_strategy\":\"RECORD_NAME\","
                  "\"schema\":\"x\",\"data\":1}}", &rec, &err)
          && rec.value_schema.strategy == KU_REST_RECORD_NAME);
    CHECK("record: TOPIC_RECORD_NAME with a schema_id",
          !record("{\"value\":{\"type\":\"AVRO\",\"subject_name_strategy\":"
                  "\"TOPIC_RECORD_NAME\",\"schema_id\":4,\"data\":1}}", &rec, &err)
          && rec.value_schema.strategy == KU_REST_TOPIC_RECORD_NAME);
    CHECK("record: RECORD_NAME without schema_id or schema is 400 (no record name)",
          record("{\"value\":{\"type\":\"AVRO\",\"subject_name_strategy\":\"RECORD_NAME\","
                 "\"data\":1}}", &rec, &err) == 400
          && strstr(err.message, "needs schema_id or schema"));
    CHECK("record: RECORD_NAME with a subject named: the subject's latest",
          !record("{\"value\":{\"type\":\"AVRO\",\"subject_name_strategy\":\"RECORD_NAME\","
                  "\"subject\":\"s\",\"data\":1}}", &rec, &err)
          && !strcmp(rec.value_schema.subject, "s"));
    CHECK("record: an unknown subject_name_strategy is 400",
          record("{\"value\":{\"type\":\"AVRO\",\"subject_name_strategy\":\"OTHER\","
                 "\"schema_id\":1,\"data\":1}}", &rec, &err) == 400);
    CHECK("record: STRING data must be a string",
          record("{\"value\":{\"type\":\"STRING\",\"data\":1}}", &rec, &err) == 400);
    CHECK("record: an unknown field is 400",
          record("{\"values\":{\"data\":\"\"}}", &rec, &err) == 400);
    CHECK("record: an id outside a batch is 400",
          record("{\"id\":\"1\"}", &rec, &err) == 400);
    CHECK("record: a negative partition is 400",
          record("{\"partition_id\":-1}", &rec, &err) == 400);
    CHECK("record: a numeric timestamp is 400",
          record("{\"timestamp\":1612552482000}", &rec, &err) == 400);
    CHECK("record: not an object is 400", record("[1]", &rec, &err) == 400);
}

static int batch(const char *body, int max, apr_array_header_t **entries, ku_v2_error_t *err)
{
    return ku_v3_parse_batch(pool, body, strlen(body), max, entries, err);
}

static void test_batch(void)
{
    apr_array_header_t *e = NULL;
    ku_v2_error_t err;

    CHECK("batch: two entries, one of them bad",
          !batch("{\"entries\":[{\"id\":\"a\",\"value\":{\"type\":\"STRING\",\"data\":\"x\"}},"
                 "{\"id\":\"b\",\"value\":{\"data\":\"!\"}}]}", 10, &e, &err)
          && e->nelts == 2 && !APR_ARRAY_IDX(e, 0, ku_v3_record_t).err.status
          && !strcmp(APR_ARRAY_IDX(e, 0, ku_v3_record_t).id, "a")
          && APR_ARRAY_IDX(e, 1, ku_v3_record_t).err.status == 400
          && !strcmp(APR_ARRAY_IDX(e, 1, ku_v3_record_t).id, "b"));
    CHECK("batch: not JSON is 400", batch("{\"entries\":[", 10, &e, &err) == 400);
    CHECK("batch: no entries is 400", batch("{\"entries\":[]}", 10, &e, &err) == 400);
    CHECK("batch: another field is 400", batch("{\"records\":[]}", 10, &e, &err) == 400);
    CHECK("batch: an entry without id is 400",
          batch("{\"entries\":[{\"value\":{\"data\":\"\"}}]}", 10, &e, &err) == 400);
    CHECK("batch: an id given twice is 400",
          batch("{\"entries\":[{\"id\":\"a\"},{\"id\":\"a\"}]}", 10, &e, &err) == 400);
    CHECK("batch: more entries than allowed is 413",
          batch("{\"entries\":[{\"id\":\"a\"},{\"id\":\"b\"},{\"id\":\"c\"}]}", 2, &e, &err) == 413
          && err.code == 413);
    CHECK("batch: as many as allowed pass",
          !batch("{\"entries\":[{\"id\":\"a\"},{\"id\":\"b\"}]}", 2, &e, &err) && e->nelts == 2);
}

/* Feeds text one byte at a time; counts the objects, stops at an error. */
static int feed_bytewise(ku_v3_stream_t *s, const char *text, int *objects, ku_v2_error_t *err)
{
    size_t i, used;

    for (i = 0; text[i]; i++) {
        const char *at = text + i;
        size_t left = 1;

        while (left) {
            json_object *o;
            int got = ku_v3_stream_feed(s, at, left, &used, &o, err);

            if (got < 0)
                return -1;
            *objects += got;
            json_object_put(o);
            at += used, left -= used;
        }
    }
    return 0;
}

static void test_stream(void)
{
    const char *two = "{\"value\":{\"data\":\"YQ==\"}} \n{\"value\":{\"data\":\"Yg==\"}}\r\n";
    ku_v3_stream_t *s = ku_v3_stream_make(pool, 1000);
    ku_v2_error_t err;
    json_object *o;
    size_t used;
    int objects = 0;

    CHECK("stream: the first of two objects at once",
          ku_v3_stream_feed(s, two, strlen(two), &used, &o, &err) == 1
          && json_object_is_type(o, json_type_object) && used >= 25 && used <= 27);
    json_object_put(o);
    CHECK("stream: the second from what is left",
          ku_v3_stream_feed(s, two + used, strlen(two) - used, &used, &o, &err) == 1);
    json_object_put(o);
    CHECK("stream: white space after is nothing pending",
          ku_v3_stream_feed(s, "\r\n", 2, &used, &o, &err) == 0 && !ku_v3_stream_pending(s));
    s = ku_v3_stream_make(pool, 1000);
    CHECK("stream: byte by byte", !feed_bytewise(s, two, &objects, &err) && objects == 2);
    CHECK("stream: half an object is pending",
          ku_v3_stream_feed(s, "{\"val", 5, &used, &o, &err) == 0 && ku_v3_stream_pending(s));
    s = ku_v3_stream_make(pool, 1000);
    CHECK("stream: malformed JSON is 400",
          ku_v3_stream_feed(s, "{\"a\":}", 6, &used, &o, &err) == -1 && err.code == 400);
    s = ku_v3_stream_make(pool, 1000);
    CHECK("stream: an array is 400",
          ku_v3_stream_feed(s, "[1] ", 4, &used, &o, &err) == -1 && err.code == 400);
    s = ku_v3_stream_make(pool, 1000);
    CHECK("stream: NUL is 400",
          ku_v3_stream_feed(s, "{\0}", 3, &used, &o, &err) == -1 && err.code == 400);
    s = ku_v3_stream_make(pool, 10);
    CHECK("stream: an object over the limit is 413",
          ku_v3_stream_feed(s, "{\"value\":{}}", 12, &used, &o, &err) == -1 && err.code == 413);
    s = ku_v3_stream_make(pool, 1000);
    objects = 0;
    CHECK("stream: a UTF-8 character cut between pieces",
          !feed_bytewise(s, "{\"value\":{\"type\":\"STRING\",\"data\":\"\xde\xa1\xe2\x82\xac\"}}",
                         &objects, &err) && objects == 1);
    s = ku_v3_stream_make(pool, 1000);
    objects = 0;
    CHECK("stream: bad UTF-8 cut between pieces is 400",
          feed_bytewise(s, "{\"a\":\"\xde\"}", &objects, &err) == -1 && err.code == 400);
    s = ku_v3_stream_make(pool, 1000);
    CHECK("stream: a number is 400 at once",
          ku_v3_stream_feed(s, " 42", 3, &used, &o, &err) == -1 && err.code == 400);
    s = ku_v3_stream_make(pool, 12);
    objects = 0;
    CHECK("stream: the limit is per object",
          !feed_bytewise(s, "{\"value\":{}}{\"value\":{}}", &objects, &err) && objects == 2);
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    test_routes();
    test_time();
    test_records();
    test_batch();
    test_stream();
    apr_pool_destroy(pool);
    apr_terminate();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
