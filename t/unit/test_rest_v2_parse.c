/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for rest_v2_parse.c (README "REST proxy dialects"): the
 * routes below the Location, the media types, the body's records in each
 * embedded format, and each refusal's status and error_code.
 * Ends with "N passed, M failed".
 */
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "protobuf_encode.h"
#include "rest_v2_parse.h"
#include "t/unit/check.h"

static apr_pool_t *pool;

static ku_v2_schemas_t schemas;

static int parse(const char *body, ku_v2_format_t format, int max, int32_t partition,
                 apr_array_header_t **records, ku_v2_error_t *err)
{
    return ku_v2_parse_body(pool, body, strlen(body), format, max, partition, records,
                            &schemas, err);
}

static const ku_v2_record_t *record(const apr_array_header_t *records, int i)
{
    return &APR_ARRAY_IDX(records, i, ku_v2_record_t);
}

static int bytes_are(const char *got, size_t len, const char *want, size_t want_len)
{
    return got && len == want_len && !memcmp(got, want, len);
}

static void test_routes(void)
{
    const char *topic = NULL;
    int32_t partition = 7;
    ku_v2_error_t err;

    CHECK("route: /topics/t", !ku_v2_route(pool, "/topics/t", &topic, &partition, &err)
          && !strcmp(topic, "t") && partition == -1);
    CHECK("route: /topics/t/partitions/2",
          !ku_v2_route(pool, "/topics/t/partitions/2", &topic, &partition, &err)
          && !strcmp(topic, "t") && partition == 2);
    CHECK("route: a partition that is no number is 40402",
          ku_v2_route(pool, "/topics/t/partitions/x", &topic, &partition, &err) == 404
          && err.code == 40402);
    CHECK("route: a partition past int32 is 40402",
          ku_v2_route(pool, "/topics/t/partitions/2147483648", &topic, &partition, &err) == 404
          && err.code == 40402);
    CHECK("route: /topics alone is 404",
          ku_v2_route(pool, "/topics", &topic, &partition, &err) == 404 && err.code == 404);
    CHECK("route: a trailing slash is 404",
          ku_v2_route(pool, "/topics/t/", &topic, &partition, &err) == 404);
    CHECK("route: /topics/t/partitions is 404",
          ku_v2_route(pool, "/topics/t/partitions", &topic, &partition, &err) == 404);
    CHECK("route: more segments are 404",
          ku_v2_route(pool, "/topics/t/partitions/1/x", &topic, &partition, &err) == 404);
    CHECK("route: another word than partitions is 404",
          ku_v2_route(pool, "/topics/t/records/1", &topic, &partition, &err) == 404);
    CHECK("route: NULL (not below the Location) is 404",
          ku_v2_route(pool, NULL, &topic, &partition, &err) == 404);
    CHECK("topic names: Kafka's rules", ku_v2_topic_name_ok("a.b_c-1")
          && !ku_v2_topic_name_ok("..") && !ku_v2_topic_name_ok("a b")
          && !ku_v2_topic_name_ok(""));
}

static void test_media_types(void)
{
    ku_v2_format_t f = KU_V2_TEXT;
    ku_v2_error_t err;

    CHECK("content type: binary",
          !ku_v2_content_type("application/vnd.kafka.binary.v2+json", &f, &err)
          && f == KU_V2_BINARY);
    CHECK("content type: json, with a charset and in capitals",
          !ku_v2_content_type("Application/VND.kafka.json.v2+json; charset=utf-8", &f, &err)
          && f == KU_V2_JSON);
    CHECK("content type: Strimzi's text",
          !ku_v2_content_type("application/vnd.kafka.text.v2+json", &f, &err) && f == KU_V2_TEXT);
    CHECK("content type: plain application/json is json",
          !ku_v2_content_type("application/json", &f, &err) && f == KU_V2_JSON);
    CHECK("content type: avro",
          !ku_v2_content_type("application/vnd.kafka.avro.v2+json", &f, &err) && f == KU_V2_AVRO);
    CHECK("content type: jsonschema",
          !ku_v2_content_type("application/vnd.kafka.jsonschema.v2+json", &f, &err)
          && f == KU_V2_JSONSCHEMA);
    if (ku_pb_available())
        CHECK("content type: protobuf",
              !ku_v2_content_type("application/vnd.kafka.protobuf.v2+json", &f, &err)
              && f == KU_V2_PROTOBUF);
    else
        CHECK("content type: protobuf without Protobuf support is 415",
              ku_v2_content_type("application/vnd.kafka.protobuf.v2+json", &f, &err) == 415
              && strstr(err.message, "no Protobuf support"));
    CHECK("content type: text/plain is 415",
          ku_v2_content_type("text/plain", &f, &err) == 415 && err.code == 415);
    CHECK("content type: none is 415", ku_v2_content_type(NULL, &f, &err) == 415);
    CHECK("accept: absent is ours",
          !strcmp(ku_v2_answer_type(pool, NULL), "application/vnd.kafka.v2+json"));
    CHECK("accept: */* is ours",
          !strcmp(ku_v2_answer_type(pool, "*/*"), "application/vnd.kafka.v2+json"));
    CHECK("accept: application/json is answered as such",
          !strcmp(ku_v2_answer_type(pool, "text/html, application/json;q=0.5"),
                  "application/json"));
    CHECK("accept: application/vnd.kafka+json",
          !strcmp(ku_v2_answer_type(pool, "application/vnd.kafka+json"),
                  "application/vnd.kafka+json"));
    CHECK("accept: text/html only is NULL (406)", !ku_v2_answer_type(pool, "text/html"));
    CHECK("accept: q=0 refuses", !ku_v2_answer_type(pool, "application/json;q=0"));
}

static void test_bodies(void)
{
    apr_array_header_t *recs = NULL;
    ku_v2_error_t err;
    const ku_v2_record_t *r;
    const ku_v2_header_t *h;

    CHECK("binary: key and value decoded",
          !parse("{\"records\":[{\"key\":\"AAE=\",\"value\":\"aGk\"}]}", KU_V2_BINARY, 10, -1,
                 &recs, &err)
          && recs->nelts == 1 && bytes_are(record(recs, 0)->key, record(recs, 0)->key_len, "\0\1", 2)
          && bytes_are(record(recs, 0)->value, record(recs, 0)->value_len, "hi", 2)
          && record(recs, 0)->partition == -1 && !record(recs, 0)->timestamp);
    CHECK("binary: bad base64 is 422",
          parse("{\"records\":[{\"value\":\"a*b=\"}]}", KU_V2_BINARY, 10, -1, &recs, &err) == 422
          && err.code == 422 && strstr(err.message, "base64"));
    CHECK("binary: a number is 422",
          parse("{\"records\":[{\"value\":12}]}", KU_V2_BINARY, 10, -1, &recs, &err) == 422);
    CHECK("binary: non-canonical base64 (bits left over) is 422",
          parse("{\"records\":[{\"value\":\"aGj=\"}]}", KU_V2_BINARY, 10, -1, &recs, &err) == 422);
    CHECK("json: the value's compact text, null key absent",
          !parse("{\"records\":[{\"key\":null,\"value\":{ \"a\" : [1, \"x/y\"] }}]}", KU_V2_JSON,
                 10, -1, &recs, &err)
          && !record(recs, 0)->key
          && !strcmp(record(recs, 0)->value, "{\"a\":[1,\"x/y\"]}"));
    CHECK("json: a string key is its JSON text",
          !parse("{\"records\":[{\"key\":\"k\",\"value\":1}]}", KU_V2_JSON, 10, -1, &recs, &err)
          && bytes_are(record(recs, 0)->key, record(recs, 0)->key_len, "\"k\"", 3));
    CHECK("text: the string's bytes",
          !parse("{\"records\":[{\"value\":\"caf\\u00e9\"}]}", KU_V2_TEXT, 10, -1, &recs, &err)
          && bytes_are(record(recs, 0)->value, record(recs, 0)->value_len, "caf\xc3\xa9", 5));
    CHECK("partition, timestamp and headers",
          !parse("{\"records\":[{\"value\":\"x\",\"partition\":2,\"timestamp\":1700000000000,"
                 "\"headers\":[{\"key\":\"h\",\"value\":\"AHY=\"}]}]}", KU_V2_TEXT, 10, -1,
                 &recs, &err)
          && (r = record(recs, 0))->partition == 2 && r->timestamp == 1700000000000LL
          && r->headers && r->headers->nelts == 1
          && !strcmp((h = &APR_ARRAY_IDX(r->headers, 0, ku_v2_header_t))->name, "h")
          && bytes_are(h->value, h->value_len, "\0v", 2));
    CHECK("headers: a bad one is 422",
          parse("{\"records\":[{\"value\":\"x\",\"headers\":[{\"key\":\"h\"}]}]}", KU_V2_TEXT, 10,
                -1, &recs, &err) == 422);
    CHECK("headers: bad base64 is 422",
          parse("{\"records\":[{\"value\":\"x\",\"headers\":[{\"key\":\"h\",\"value\":\"!\"}]}]}",
                KU_V2_TEXT, 10, -1, &recs, &err) == 422);
    CHECK("partition: negative is 422",
          parse("{\"records\":[{\"value\":1,\"partition\":-1}]}", KU_V2_JSON, 10, -1, &recs,
                &err) == 422);
    CHECK("partition: a string is 422",
          parse("{\"records\":[{\"value\":1,\"partition\":\"1\"}]}", KU_V2_JSON, 10, -1, &recs,
                &err) == 422);
    CHECK("partition route: records take the path's partition",
          !parse("{\"records\":[{\"value\":1}]}", KU_V2_JSON, 10, 3, &recs, &err)
          && record(recs, 0)->partition == 3);
    CHECK("partition route: another partition in a record is 422",
          parse("{\"records\":[{\"value\":1,\"partition\":1}]}", KU_V2_JSON, 10, 3, &recs,
                &err) == 422);
    CHECK("timestamp: a fraction is 422",
          parse("{\"records\":[{\"value\":1,\"timestamp\":1.5}]}", KU_V2_JSON, 10, -1, &recs,
                &err) == 422);
    CHECK("an unknown record field is 422",
          parse("{\"records\":[{\"value\":1,\"topic\":\"t\"}]}", KU_V2_JSON, 10, -1, &recs,
                &err) == 422 && strstr(err.message, "topic"));
    CHECK("schema fields beside records are ignored",
          !parse("{\"value_schema_id\":null,\"records\":[{\"value\":1}]}", KU_V2_JSON, 10, -1,
                 &recs, &err));
    CHECK("malformed JSON is 400",
          parse("{\"records\":[{\"value\":1}", KU_V2_JSON, 10, -1, &recs, &err) == 400
          && err.code == 400);
    CHECK("trailing garbage is 400",
          parse("{\"records\":[{\"value\":1}]} x", KU_V2_JSON, 10, -1, &recs, &err) == 400);
    CHECK("a NUL in the body is 400",
          ku_v2_parse_body(pool, "{\"records\":[]}\0", 15, KU_V2_JSON, 10, -1, &recs, &schemas,
                           &err)
          == 400);
    CHECK("no records array is 422",
          parse("{\"records\":{}}", KU_V2_JSON, 10, -1, &recs, &err) == 422);
    CHECK("an empty records array is 422",
          parse("{\"records\":[]}", KU_V2_JSON, 10, -1, &recs, &err) == 422);
    CHECK("a record that is no object is 422",
          parse("{\"records\":[1]}", KU_V2_JSON, 10, -1, &recs, &err) == 422);
    CHECK("more records than allowed is 413",
          parse("{\"records\":[{\"value\":1},{\"value\":2},{\"value\":3}]}", KU_V2_JSON, 2, -1,
                &recs, &err) == 413 && err.code == 413);
    CHECK("as many records as allowed pass",
          !parse("{\"records\":[{\"value\":1},{\"value\":2}]}", KU_V2_JSON, 2, -1, &recs, &err)
          && recs->nelts == 2);
}

static void test_schemas(void)
{
    apr_array_header_t *recs = NULL;
    ku_v2_error_t err;

    CHECK("avro: ids and the value as compact JSON",
          !parse("{\"key_schema_id\":3,\"value_schema_id\":0,\"records\":[{\"key\":\"k\","
                 "\"value\":{ \"a\" : 1 }}]}", KU_V2_AVRO, 10, -1, &recs, &err)
          && schemas.key_id == 3 && schemas.value_id == 0 && !schemas.value_schema
          && bytes_are(record(recs, 0)->value, record(recs, 0)->value_len, "{\"a\":1}", 7)
          && bytes_are(record(recs, 0)->key, record(recs, 0)->key_len, "\"k\"", 3));
    CHECK("jsonschema: an inline value schema",
          !parse("{\"value_schema\":\"{\\\"type\\\":\\\"integer\\\"}\",\"records\":"
                 "[{\"value\":5}]}", KU_V2_JSONSCHEMA, 10, -1, &recs, &err)
          && schemas.value_id == -1 && !strcmp(schemas.value_schema, "{\"type\":\"integer\"}")
          && schemas.key_id == -1 && !schemas.key_schema);
    CHECK("avro: a value without a value schema is 42202",
          parse("{\"key_schema_id\":1,\"records\":[{\"key\":1,\"value\":2}]}", KU_V2_AVRO, 10,
                -1, &recs, &err) == 422 && err.code == 42202);
    CHECK("avro: a key without a key schema is 42201",
          parse("{\"value_schema_id\":1,\"records\":[{\"key\":1,\"value\":2}]}", KU_V2_AVRO,
                10, -1, &recs, &err) == 422 && err.code == 42201);
    CHECK("avro: no key needs no key schema",
          !parse("{\"value_schema_id\":1,\"records\":[{\"key\":null,\"value\":2}]}",
                 KU_V2_AVRO, 10, -1, &recs, &err));
    CHECK("avro: an id that is a string is 42205",
          parse("{\"value_schema_id\":\"1\",\"records\":[{\"value\":2}]}", KU_V2_AVRO, 10, -1,
                &recs, &err) == 422 && err.code == 42205);
    CHECK("avro: a negative id is 42205",
          parse("{\"value_schema_id\":-1,\"records\":[{\"value\":2}]}", KU_V2_AVRO, 10, -1,
                &recs, &err) == 422 && err.code == 42205);
    CHECK("avro: a schema that is no string is 42205",
          parse("{\"value_schema\":{},\"records\":[{\"value\":2}]}", KU_V2_AVRO, 10, -1,
                &recs, &err) == 422 && err.code == 42205);
    CHECK("json: schema fields are ignored",
          !parse("{\"value_schema\":{},\"records\":[{\"value\":2}]}", KU_V2_JSON, 10, -1,
                 &recs, &err) && schemas.value_id == -1 && !schemas.value_schema);
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    test_routes();
    test_media_types();
    test_bodies();
    test_schemas();
    apr_pool_destroy(pool);
    apr_terminate();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
