/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for rest_common.c (README "REST proxy dialects"): the record
 * name each schema type gives a subject name strategy, the subjects the
 * strategies name, the refusal a registry lookup becomes in each dialect,
 * the status page's reasons, and a record's headers (its own, then the
 * request's, counted together). Ends with "N passed, M failed".
 */
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "protobuf_encode.h"
#include "rest_common.h"
#include "t/unit/check.h"

static apr_pool_t *pool;

static int is(const char *got, const char *want)
{
    return got && !strcmp(got, want);
}

static void test_record_names(void)
{
    const char *why = NULL;

    CHECK("record name: an Avro record with a namespace",
          is(ku_rest_record_name(pool, "AVRO", "{\"type\":\"record\",\"name\":\"Order\","
                                 "\"namespace\":\"ku.shop\",\"fields\":[]}", &why),
             "ku.shop.Order"));
    CHECK("record name: an Avro name with dots is already full",
          is(ku_rest_record_name(pool, "AVRO", "{\"type\":\"enum\",\"name\":\"a.B\","
                                 "\"namespace\":\"x\",\"symbols\":[\"C\"]}", &why), "a.B"));
    CHECK("record name: an Avro record without namespace",
          is(ku_rest_record_name(pool, "AVRO", "{\"type\":\"record\",\"name\":\"R\","
                                 "\"fields\":[]}", &why), "R"));
    why = NULL;
    CHECK("record name: an Avro primitive has none",
          !ku_rest_record_name(pool, "AVRO", "\"int\"", &why) && why);
    why = NULL;
    CHECK("record name: an Avro array has none",
          !ku_rest_record_name(pool, "AVRO", "{\"type\":\"array\",\"items\":\"int\"}", &why)
          && why);
    CHECK("record name: a JSON Schema's title",
          is(ku_rest_record_name(pool, "JSON", "{\"title\":\"Order\",\"type\":\"object\"}",
                                 &why), "Order"));
    why = NULL;
    CHECK("record name: a JSON Schema without title has none",
          !ku_rest_record_name(pool, "JSON", "{\"type\":\"object\"}", &why)
          && strstr(why, "title"));
    why = NULL;
    CHECK("record name: not JSON has none",
          !ku_rest_record_name(pool, "JSON", "{", &why) && why);
    why = NULL;
    if (ku_pb_available()) {
        CHECK("record name: a .proto's first message",
              is(ku_rest_record_name(pool, "PROTOBUF", "syntax = \"proto3\";\npackage ku.t;\n"
                                     "message First { int32 a = 1; }\n"
                                     "message Second { int32 b = 1; }\n", &why),
                 "ku.t.First"));
        why = NULL;
        CHECK("record name: a .proto without a message has none",
              !ku_rest_record_name(pool, "PROTOBUF", "syntax = \"proto3\";\n", &why) && why);
    }
    else
        CHECK("record name: no Protobuf support, no name",
              !ku_rest_record_name(pool, "PROTOBUF", "message A {}", &why) && why);
}

static void test_subjects(void)
{
    const char *avro = "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"ku\","
                       "\"fields\":[]}";
    const char *why = NULL;
    ku_rest_strategy_t s;

    CHECK("strategy: names", !ku_rest_strategy_parse("TOPIC_NAME", &s) && s == KU_REST_TOPIC_NAME
          && !ku_rest_strategy_parse("RECORD_NAME", &s) && s == KU_REST_RECORD_NAME
          && !ku_rest_strategy_parse("TOPIC_RECORD_NAME", &s)
          && s == KU_REST_TOPIC_RECORD_NAME);
    CHECK("strategy: another name", ku_rest_strategy_parse("topic_name", &s) == -1);
    CHECK("subject: TOPIC_NAME, value",
          is(ku_rest_subject(pool, KU_REST_TOPIC_NAME, "t", 0, "AVRO", NULL, &why), "t-value"));
    CHECK("subject: TOPIC_NAME, key",
          is(ku_rest_subject(pool, KU_REST_TOPIC_NAME, "t", 1, "AVRO", avro, &why), "t-key"));
    CHECK("subject: RECORD_NAME",
          is(ku_rest_subject(pool, KU_REST_RECORD_NAME, "t", 0, "AVRO", avro, &why), "ku.Order"));
    CHECK("subject: TOPIC_RECORD_NAME",
          is(ku_rest_subject(pool, KU_REST_TOPIC_RECORD_NAME, "t", 1, "AVRO", avro, &why),
             "t-ku.Order"));
    why = NULL;
    CHECK("subject: RECORD_NAME without a record name",
          !ku_rest_subject(pool, KU_REST_RECORD_NAME, "t", 0, "AVRO", "\"int\"", &why) && why);
}

static void test_refusals(void)
{
    ku_v2_error_t err;
    ku_sr_schema_t avro = { 7, 1, 0, "{}", NULL, NULL, NULL };

    CHECK("lookup: invalid, v2's code",
          ku_rest_lookup_refusal(pool, KU_SR_INVALID, "no id", 422, 42205, &err) == 422
          && err.code == 42205 && is(err.message, "Invalid schema: no id"));
    CHECK("lookup: invalid, v3's code",
          ku_rest_lookup_refusal(pool, KU_SR_INVALID, "no id", 400, 400, &err) == 400
          && err.code == 400);
    CHECK("lookup: unavailable is 503/50302",
          ku_rest_lookup_refusal(pool, KU_SR_UNAVAILABLE, "down", 400, 400, &err) == 503
          && err.code == 50302);
    CHECK("lookup: broken is 500",
          ku_rest_lookup_refusal(pool, KU_SR_BROKEN, "auth", 422, 42205, &err) == 500
          && err.code == 500);
    CHECK("fits: an Avro schema for AVRO",
          ku_rest_schema_fits(pool, &avro, "AVRO", "id 7", "x", 400, 400, &err));
    CHECK("fits: an Avro schema for PROTOBUF is refused, naming both",
          !ku_rest_schema_fits(pool, &avro, "PROTOBUF", "schema id 7", "the type PROTOBUF",
                               400, 400, &err)
          && err.status == 400 && strstr(err.message, "an Avro schema")
          && strstr(err.message, "a Protobuf one"));
    CHECK("types: the registry's names",
          is(ku_rest_registry_type("avro"), "AVRO") && is(ku_rest_registry_type("JSONSCHEMA"),
                                                          "JSON")
          && is(ku_rest_registry_type("protobuf"), "PROTOBUF") && !ku_rest_registry_type("JSON"));
    CHECK("reasons: one map for both dialects",
          ku_rest_reject_reason(400) == KU_REJECT_BAD_REQUEST
          && ku_rest_reject_reason(422) == KU_REJECT_BAD_REQUEST
          && ku_rest_reject_reason(403) == KU_REJECT_TOPIC_NOT_ALLOWED
          && ku_rest_reject_reason(413) == KU_REJECT_TOO_LARGE
          && ku_rest_reject_reason(503) == KU_REJECT_UNAVAILABLE
          && ku_rest_reject_reason(404) == KU_REJECT_OTHER
          && ku_rest_reject_reason(415) == KU_REJECT_OTHER);
}

static apr_array_header_t *own_headers(int n)
{
    apr_array_header_t *a = apr_array_make(pool, n, sizeof(ku_v2_header_t));
    int i;

    for (i = 0; i < n; i++) {
        ku_v2_header_t *h = apr_array_push(a);

        h->name = "own";
        h->value = "a\0b";
        h->value_len = 3;
    }
    return a;
}

static apr_array_header_t *request_headers(int n)
{
    apr_array_header_t *a = apr_array_make(pool, n, sizeof(ku_header_t));
    int i;

    for (i = 0; i < n; i++) {
        ku_header_t *h = apr_array_push(a);

        h->name = "x-tenant";
        h->value = "t1";
        h->value_len = 0;
    }
    return a;
}

static void test_record_headers(void)
{
    const apr_array_header_t *out = NULL;
    const apr_array_header_t *request = request_headers(2);
    ku_v2_error_t err = { 0, 0, NULL };
    const ku_header_t *h;

    CHECK("headers: none at all is NULL",
          !ku_rest_record_headers(pool, NULL, NULL, 3, &out, &err) && !out);
    CHECK("headers: the request's alone are shared",
          !ku_rest_record_headers(pool, own_headers(0), request, 3, &out, &err)
          && out == request);
    CHECK("headers: the record's own first, then the request's, bytes kept",
          !ku_rest_record_headers(pool, own_headers(1), request, 3, &out, &err)
          && out && out->nelts == 3 && (h = (const ku_header_t *)out->elts)
          && is(h[0].name, "own") && h[0].value_len == 3 && !memcmp(h[0].value, "a\0b", 3)
          && is(h[1].name, "x-tenant") && is(h[2].value, "t1"));
    CHECK("headers: the request's array is left as it was", request->nelts == 2);
    CHECK("headers: one more than max together is 413/413",
          ku_rest_record_headers(pool, own_headers(2), request, 3, &out, &err) == 413
          && err.status == 413 && err.code == 413 && !out
          && is(err.message, "too many record headers: at most 3 per record"));
    CHECK("headers: the body's own alone are counted too",
          ku_rest_record_headers(pool, own_headers(4), NULL, 3, &out, &err) == 413);
    CHECK("headers: the request's alone are counted too",
          ku_rest_record_headers(pool, NULL, request_headers(4), 3, &out, &err) == 413);
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    test_record_names();
    test_subjects();
    test_refusals();
    test_record_headers();
    apr_pool_destroy(pool);
    apr_terminate();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
