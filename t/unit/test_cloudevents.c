/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for cloudevents.c: the content modes, the required
 * attributes, RFC 3339 times and the data of each mode (README
 * "CloudEvents"). */
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "cloudevents.h"
#include "check.h"

static apr_pool_t *pool;

static const char *attr(const ku_ce_event_t *ev, const char *name)
{
    int i;

    for (i = 0; i < ev->attrs->nelts; i++)
        if (!strcmp(APR_ARRAY_IDX(ev->attrs, i, ku_ce_attr_t).name, name))
            return APR_ARRAY_IDX(ev->attrs, i, ku_ce_attr_t).value;
    return NULL;
}

static void test_mode(void)
{
    CHECK("no Content-Type: binary", ku_ce_mode(NULL) == KU_CE_BINARY);
    CHECK("application/json: binary", ku_ce_mode("application/json") == KU_CE_BINARY);
    CHECK("structured", ku_ce_mode("application/cloudevents+json; charset=UTF-8")
                        == KU_CE_STRUCTURED);
    CHECK("structured, any case", ku_ce_mode("Application/CloudEvents+JSON") == KU_CE_STRUCTURED);
    CHECK("batched", ku_ce_mode("application/cloudevents-batch+json") == KU_CE_BATCH);
    CHECK("another event format", ku_ce_mode("application/cloudevents+avro") == KU_CE_UNSUPPORTED);
}

static void test_time(void)
{
    CHECK("Z", ku_ce_time_valid("2018-04-05T17:31:00Z"));
    CHECK("fraction and offset", ku_ce_time_valid("2018-04-05T17:31:00.123456+02:00"));
    CHECK("lower-case t and z", ku_ce_time_valid("2018-04-05t17:31:00z"));
    CHECK("leap day", ku_ce_time_valid("2024-02-29T00:00:00Z"));
    CHECK("no leap day in 2023", !ku_ce_time_valid("2023-02-29T00:00:00Z"));
    CHECK("no offset", !ku_ce_time_valid("2018-04-05T17:31:00"));
    CHECK("a date alone", !ku_ce_time_valid("2018-04-05"));
    CHECK("a space for T", !ku_ce_time_valid("2018-04-05 17:31:00Z"));
    CHECK("month 13", !ku_ce_time_valid("2018-13-05T17:31:00Z"));
    CHECK("hour 24", !ku_ce_time_valid("2018-04-05T24:00:00Z"));
    CHECK("a dot without digits", !ku_ce_time_valid("2018-04-05T17:31:00.Z"));
    CHECK("trailing text", !ku_ce_time_valid("2018-04-05T17:31:00Zx"));
    CHECK("offset without colon", !ku_ce_time_valid("2018-04-05T17:31:00+0200"));
    CHECK("empty", !ku_ce_time_valid(""));
}

static const char *binary(apr_table_t *h, const char *type, ku_ce_event_t *ev)
{
    const char *error = NULL;

    if (ku_ce_from_binary(pool, h, type, "{\"a\":1}", 7, ev, &error))
        return error;
    return "ok";
}

static apr_table_t *good_headers(void)
{
    apr_table_t *h = apr_table_make(pool, 8);

    apr_table_set(h, "ce-specversion", "1.0");
    apr_table_set(h, "CE-ID", "A234-1234");
    apr_table_set(h, "ce-source", "/mycontext");
    apr_table_set(h, "ce-type", "com.example.someevent");
    apr_table_set(h, "Accept", "*/*");
    return h;
}

static void test_binary(void)
{
    ku_ce_event_t ev;
    apr_table_t *h = good_headers();

    apr_table_set(h, "ce-partitionkey", "k1");
    apr_table_set(h, "ce-comexampleext", "caf%C3%A9%20au%20lait");
    CHECK("binary: valid", !strcmp(binary(h, "application/json", &ev), "ok"));
    CHECK("binary: header names any case", !strcmp(attr(&ev, "id"), "A234-1234"));
    CHECK("binary: values percent-decoded", !strcmp(attr(&ev, "comexampleext"), "café au lait"));
    CHECK("binary: partitionkey apart", !strcmp(ev.partitionkey, "k1") && !attr(&ev, "partitionkey"));
    CHECK("binary: Content-Type is datacontenttype", !strcmp(ev.datacontenttype, "application/json"));
    CHECK("binary: other headers are no attributes", ev.attrs->nelts == 5);
    CHECK("binary: the body is the data", ev.data_len == 7);

    h = good_headers();
    apr_table_unset(h, "ce-id");
    CHECK("binary: id missing", !strcmp(binary(h, NULL, &ev), "CloudEvents attribute 'id' missing"));
    h = good_headers();
    apr_table_set(h, "ce-source", "");
    CHECK("binary: source empty", !strcmp(binary(h, NULL, &ev), "CloudEvents attribute 'source' empty"));
    h = good_headers();
    apr_table_set(h, "ce-specversion", "0.3");
    CHECK("binary: specversion 0.3", !strcmp(binary(h, NULL, &ev),
                                             "CloudEvents attribute 'specversion' must be 1.0"));
    h = good_headers();
    apr_table_unset(h, "ce-type");
    CHECK("binary: type missing", !strcmp(binary(h, NULL, &ev), "CloudEvents attribute 'type' missing"));
    h = good_headers();
    apr_table_set(h, "ce-time", "yesterday");
    CHECK("binary: time not RFC 3339", !strcmp(binary(h, NULL, &ev),
          "CloudEvents attribute 'time' is not an RFC 3339 date-time"));
    h = good_headers();
    apr_table_set(h, "ce-Bad_Name", "x");
    CHECK("binary: a bad attribute name", strstr(binary(h, NULL, &ev), "'ce-bad_name'") != NULL);
    h = good_headers();
    apr_table_set(h, "ce-x", "a%00b");
    CHECK("binary: a NUL decoded", strstr(binary(h, NULL, &ev), "not UTF-8 text") != NULL);
    CHECK("binary: no headers at all", !strcmp(binary(apr_table_make(pool, 1), NULL, &ev),
          "CloudEvents attribute 'specversion' missing"));
}

static const char *json(const char *body, int batch, apr_array_header_t **events)
{
    const char *error = NULL;
    int rc = ku_ce_from_json(pool, body, strlen(body), batch, 3, events, &error);

    return rc == -2 ? "too many" : rc ? error : "ok";
}

#define EV "\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\",\"type\":\"t\""

static void test_structured(void)
{
    apr_array_header_t *evs;
    const ku_ce_event_t *ev;

    CHECK("structured: valid", !strcmp(json("{" EV ",\"data\":{\"x\":[1,2]},\"ext1\":5,"
                                             "\"partitionkey\":\"pk\"}", 0, &evs), "ok"));
    ev = &APR_ARRAY_IDX(evs, 0, ku_ce_event_t);
    CHECK("structured: JSON data as JSON text", !strcmp(ev->data, "{\"x\":[1,2]}"));
    CHECK("structured: an integer extension as text", !strcmp(attr(ev, "ext1"), "5"));
    CHECK("structured: partitionkey", !strcmp(ev->partitionkey, "pk"));
    CHECK("structured: the value is the body", ev->json_len > 60);
    json("{" EV ",\"datacontenttype\":\"text/plain\",\"data\":\"hi \\\"you\\\"\"}", 0, &evs);
    ev = &APR_ARRAY_IDX(evs, 0, ku_ce_event_t);
    CHECK("structured: text data as it is", !strcmp(ev->data, "hi \"you\""));
    json("{" EV ",\"data\":\"hi\"}", 0, &evs);
    ev = &APR_ARRAY_IDX(evs, 0, ku_ce_event_t);
    CHECK("structured: a string without type is JSON", !strcmp(ev->data, "\"hi\""));
    json("{" EV ",\"data_base64\":\"AAEC\"}", 0, &evs);
    ev = &APR_ARRAY_IDX(evs, 0, ku_ce_event_t);
    CHECK("structured: data_base64 decoded", ev->data_len == 3 && ev->data[2] == 2);
    CHECK("structured: bad base64", strstr(json("{" EV ",\"data_base64\":\"A*==\"}", 0, &evs),
                                           "data_base64") != NULL);
    CHECK("structured: both data kinds", strstr(json("{" EV ",\"data\":1,\"data_base64\":\"\"}",
                                                     0, &evs), "both") != NULL);
    CHECK("structured: id a number", !strcmp(json("{\"specversion\":\"1.0\",\"id\":1,"
          "\"source\":\"/s\",\"type\":\"t\"}", 0, &evs),
          "CloudEvents attribute 'id' has a value of the wrong type"));
    CHECK("structured: source missing", !strcmp(json("{\"specversion\":\"1.0\",\"id\":\"1\","
          "\"type\":\"t\"}", 0, &evs), "CloudEvents attribute 'source' missing"));
    CHECK("structured: bad time", strstr(json("{" EV ",\"time\":\"2020-01-01\"}", 0, &evs),
                                         "'time'") != NULL);
    CHECK("structured: an object attribute", strstr(json("{" EV ",\"x\":{}}", 0, &evs),
                                                    "wrong type") != NULL);
    CHECK("structured: a bad attribute name", strstr(json("{" EV ",\"Bad\":\"1\"}", 0, &evs),
                                                     "name 'Bad'") != NULL);
    CHECK("structured: not JSON", strstr(json("{" EV, 0, &evs), "invalid JSON") != NULL);
    CHECK("structured: an array", strstr(json("[]", 0, &evs), "not a JSON object") != NULL);
}

static void test_batch(void)
{
    apr_array_header_t *evs;

    CHECK("batch: two events", !strcmp(json("[{" EV "},{" EV ",\"data\":2}]", 1, &evs), "ok")
                               && evs->nelts == 2);
    CHECK("batch: each event's own JSON",
          !strcmp(APR_ARRAY_IDX(evs, 1, ku_ce_event_t).json, "{" EV ",\"data\":2}"));
    CHECK("batch: empty", !strcmp(json("[]", 1, &evs), "ok") && evs->nelts == 0);
    CHECK("batch: the bad event named", !strcmp(json("[{" EV "},{\"specversion\":\"1.0\"}]", 1,
          &evs), "event 1: CloudEvents attribute 'id' missing"));
    CHECK("batch: an object", !strcmp(json("{" EV "}", 1, &evs),
                                      "CloudEvents batch is not a JSON array"));
    CHECK("batch: more than the limit", !strcmp(json("[{},{},{},{}]", 1, &evs), "too many"));
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    test_mode();
    test_time();
    test_binary();
    test_structured();
    test_batch();
    printf("%d passed, %d failed\n", passed, failed);
    apr_pool_destroy(pool);
    apr_terminate();
    return failed != 0;
}
