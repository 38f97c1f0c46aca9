/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for avro_encode.c: each case encodes a JSON document and
 * compares the bytes with Avro binary written out by hand from the Avro spec
 * (zig-zag varints, length-prefixed strings, union index, block-counted
 * arrays and maps), after the 5-byte Confluent header. Ends with
 * "N passed, M failed"; exits non-zero when anything failed.
 */
#include <stdio.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "avro_encode.h"
#include "t/unit/check.h"

static apr_pool_t *pool;

/* A schema the module must refuse: the error holds why. */
static void expect_refused(const char *label, const char *schema, const char *why)
{
    const char *error = NULL;
    ku_avro_schema_t *s = ku_avro_schema_parse(schema, &error, pool);

    CHECK(label, !s && error && strstr(error, why));
    printf("     error: %s\n", error ? error : "(none)");
    ku_avro_schema_free(s);
}

/* Encodes doc with schema and id 7; compares with want (after the header)
 * or, when want is NULL, expects a mismatch whose message starts with path. */
static void expect(const char *label, const char *schema, ku_avro_payload_t payload,
                   const char *doc, const char *want, size_t want_len, const char *path)
{
    const char *error = NULL;
    ku_avro_schema_t *s = ku_avro_schema_parse(schema, &error, pool);
    char *out = NULL;
    size_t len = 0;
    int rc;

    if (!s) {
        CHECK(label, 0);
        printf("     schema: %s\n", error);
        return;
    }
    rc = ku_avro_encode(pool, s, 7, payload, doc, strlen(doc), &out, &len, &error);
    if (want) {
        CHECK(label, rc == 0 && len == want_len + 5 && !memcmp(out, "\0\0\0\0\7", 5)
                     && !memcmp(out + 5, want, want_len));
        if (rc)
            printf("     error: %s\n", error);
        else if (len != want_len + 5 || memcmp(out + 5, want, want_len)) {
            size_t i;

            printf("     got:");
            for (i = 5; i < len; i++)
                printf(" %02x", (unsigned char)out[i]);
            printf("\n");
        }
    }
    else {
        CHECK(label, rc != 0 && error && !strncmp(error, path, strlen(path)));
        printf("     error: %s\n", error ? error : "(none)");
    }
    ku_avro_schema_free(s);
}

#define REC(fields) "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"ku\",\"fields\":[" fields "]}"

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);

    expect("int zig-zag", "\"int\"", KU_AVRO_JSON, "-3", "\x05", 1, NULL);
    expect("long", "\"long\"", KU_AVRO_JSON, "300", "\xd8\x04", 2, NULL);
    expect("string", "\"string\"", KU_AVRO_JSON, "\"ab\"", "\x04" "ab", 3, NULL);
    expect("bytes as code points", "\"bytes\"", KU_AVRO_JSON, "\"\\u0000\\u00ff\"",
           "\x04\x00\xff", 3, NULL);
    expect("record", REC("{\"name\":\"a\",\"type\":\"int\"},{\"name\":\"b\",\"type\":\"string\"}"),
           KU_AVRO_JSON, "{\"b\":\"x\",\"a\":1}", "\x02\x02x", 3, NULL);
    expect("array in blocks", "{\"type\":\"array\",\"items\":\"int\"}", KU_AVRO_JSON, "[1,2]",
           "\x04\x02\x04\x00", 4, NULL);
    expect("map", "{\"type\":\"map\",\"values\":\"boolean\"}", KU_AVRO_JSON, "{\"k\":true}",
           "\x02\x02k\x01\x00", 5, NULL);
    expect("enum", "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"B\"]}", KU_AVRO_JSON,
           "\"B\"", "\x02", 1, NULL);
    expect("tagged union", "[\"null\",\"string\"]", KU_AVRO_JSON, "{\"string\":\"x\"}",
           "\x02\x02x", 3, NULL);
    expect("union null", "[\"null\",\"string\"]", KU_AVRO_JSON, "null", "\x00", 1, NULL);
    expect("simple_json union", "[\"null\",\"int\",\"string\"]", KU_AVRO_SIMPLE_JSON, "\"x\"",
           "\x04\x02x", 3, NULL);
    expect("missing optional field", REC("{\"name\":\"o\",\"type\":[\"null\",\"int\"]}"),
           KU_AVRO_SIMPLE_JSON, "{}", "\x00", 1, NULL);
    expect("fixed", "{\"type\":\"fixed\",\"name\":\"F\",\"size\":2}", KU_AVRO_JSON, "\"ab\"",
           "ab", 2, NULL);
    expect("named union branch by full name",
           "[\"null\"," REC("{\"name\":\"a\",\"type\":\"int\"}") "]", KU_AVRO_JSON,
           "{\"ku.R\":{\"a\":2}}", "\x02\x04", 2, NULL);

    expect("wrong type names the path",
           REC("{\"name\":\"a\",\"type\":{\"type\":\"array\",\"items\":\"int\"}}"), KU_AVRO_JSON,
           "{\"a\":[1,\"x\"]}", NULL, 0, "$.a[1]: expected int");
    expect("missing field", REC("{\"name\":\"a\",\"type\":\"int\"}"), KU_AVRO_JSON, "{}", NULL, 0,
           "$.a: missing");
    expect("unknown field", REC("{\"name\":\"a\",\"type\":\"int\"}"), KU_AVRO_JSON,
           "{\"a\":1,\"z\":2}", NULL, 0, "$.z: not a field");
    expect("untagged union in avro_json", "[\"null\",\"string\"]", KU_AVRO_JSON, "\"x\"", NULL, 0,
           "$: expected a union tagged");
    expect("int out of range", "\"int\"", KU_AVRO_JSON, "2147483648", NULL, 0, "$: expected int");
    expect("bad enum symbol", "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"]}",
           KU_AVRO_JSON, "\"C\"", NULL, 0, "$: 'C' is no symbol");
    expect("not JSON", "\"int\"", KU_AVRO_JSON, "1 2", NULL, 0, "$: the body is not one");
    /* a: Inner{x 1} = 02; b: branch 1 (02), Inner{x 2} = 04 */
    expect("a union branch naming a type defined before (a link)",
           "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"n\",\"fields\":["
           "{\"name\":\"a\",\"type\":{\"type\":\"record\",\"name\":\"Inner\","
           "\"fields\":[{\"name\":\"x\",\"type\":\"int\"}]}},"
           "{\"name\":\"b\",\"type\":[\"null\",\"Inner\"]}]}",
           KU_AVRO_JSON, "{\"a\":{\"x\":1},\"b\":{\"n.Inner\":{\"x\":2}}}", "\x02\x02\x04", 3, NULL);

    /* Field defaults (README: Schema Registry): a field the JSON lacks is
     * written with the schema's default, in Avro's JSON form for defaults
     * (a union's default is its first branch's, untagged). */
    expect("default null", REC("{\"name\":\"a\",\"type\":\"null\",\"default\":null}"),
           KU_AVRO_JSON, "{}", "", 0, NULL);
    expect("default boolean", REC("{\"name\":\"a\",\"type\":\"boolean\",\"default\":true}"),
           KU_AVRO_JSON, "{}", "\x01", 1, NULL);
    expect("default int", REC("{\"name\":\"a\",\"type\":\"int\",\"default\":-3}"),
           KU_AVRO_JSON, "{}", "\x05", 1, NULL);
    expect("default long", REC("{\"name\":\"a\",\"type\":\"long\",\"default\":300}"),
           KU_AVRO_JSON, "{}", "\xd8\x04", 2, NULL);
    expect("default float", REC("{\"name\":\"a\",\"type\":\"float\",\"default\":1.5}"),
           KU_AVRO_JSON, "{}", "\x00\x00\xc0\x3f", 4, NULL);
    expect("default double from an integer",
           REC("{\"name\":\"a\",\"type\":\"double\",\"default\":2}"),
           KU_AVRO_JSON, "{}", "\x00\x00\x00\x00\x00\x00\x00\x40", 8, NULL);
    expect("default double NaN", REC("{\"name\":\"a\",\"type\":\"double\",\"default\":\"NaN\"}"),
           KU_AVRO_JSON, "{}", "\x00\x00\x00\x00\x00\x00\xf8\x7f", 8, NULL);
    expect("default string", REC("{\"name\":\"a\",\"type\":\"string\",\"default\":\"web\"}"),
           KU_AVRO_JSON, "{}", "\x06web", 4, NULL);
    expect("default bytes as code points",
           REC("{\"name\":\"a\",\"type\":\"bytes\",\"default\":\"\\u0001\\u00ff\"}"),
           KU_AVRO_JSON, "{}", "\x04\x01\xff", 3, NULL);
    expect("default fixed",
           REC("{\"name\":\"a\",\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"size\":2},"
               "\"default\":\"ab\"}"), KU_AVRO_JSON, "{}", "ab", 2, NULL);
    expect("default enum",
           REC("{\"name\":\"a\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":"
               "[\"A\",\"B\"]},\"default\":\"B\"}"), KU_AVRO_JSON, "{}", "\x02", 1, NULL);
    expect("default array",
           REC("{\"name\":\"a\",\"type\":{\"type\":\"array\",\"items\":\"int\"},\"default\":[1,2]}"),
           KU_AVRO_JSON, "{}", "\x04\x02\x04\x00", 4, NULL);
    expect("default map",
           REC("{\"name\":\"a\",\"type\":{\"type\":\"map\",\"values\":\"boolean\"},"
               "\"default\":{\"k\":true}}"), KU_AVRO_JSON, "{}", "\x02\x02k\x01\x00", 5, NULL);
    expect("default record, its own missing field from its own default",
           REC("{\"name\":\"a\",\"type\":{\"type\":\"record\",\"name\":\"In\",\"fields\":["
               "{\"name\":\"x\",\"type\":\"int\"},"
               "{\"name\":\"y\",\"type\":\"string\",\"default\":\"d\"}]},"
               "\"default\":{\"x\":1}}"), KU_AVRO_JSON, "{}", "\x02\x02" "d", 3, NULL);
    expect("default union: the first branch, untagged",
           REC("{\"name\":\"a\",\"type\":[\"string\",\"null\"],\"default\":\"x\"}"),
           KU_AVRO_JSON, "{}", "\x00\x02x", 3, NULL);
    expect("default union null over a nullable field",
           REC("{\"name\":\"a\",\"type\":[\"null\",\"int\"],\"default\":null}"),
           KU_AVRO_SIMPLE_JSON, "{}", "\x00", 1, NULL);
    expect("default nested union in a record default: first branch",
           REC("{\"name\":\"a\",\"type\":{\"type\":\"record\",\"name\":\"In\",\"fields\":["
               "{\"name\":\"u\",\"type\":[\"int\",\"string\"]}]},"
               "\"default\":{\"u\":5}}"), KU_AVRO_JSON, "{}", "\x00\x0a", 2, NULL);
    expect("a given value wins over the default",
           REC("{\"name\":\"a\",\"type\":\"int\",\"default\":1}"), KU_AVRO_JSON, "{\"a\":2}",
           "\x04", 1, NULL);
    expect("default inside an array item record",
           "{\"type\":\"array\",\"items\":" REC("{\"name\":\"a\",\"type\":\"int\"},"
           "{\"name\":\"b\",\"type\":\"int\",\"default\":7}") "}", KU_AVRO_JSON,
           "[{\"a\":1}]", "\x02\x02\x0e\x00", 4, NULL);
    expect("default of a record referenced by name",
           REC("{\"name\":\"p\",\"type\":{\"type\":\"record\",\"name\":\"P\",\"fields\":["
               "{\"name\":\"z\",\"type\":\"int\",\"default\":3}]}},"
               "{\"name\":\"q\",\"type\":\"P\"}"), KU_AVRO_JSON,
           "{\"p\":{},\"q\":{}}", "\x06\x06", 2, NULL);
    expect("default in a union branch record, simple_json",
           "[\"null\"," REC("{\"name\":\"a\",\"type\":\"int\",\"default\":4}") "]",
           KU_AVRO_SIMPLE_JSON, "{}", "\x02\x08", 2, NULL);
    expect("a missing field without a default is still refused",
           REC("{\"name\":\"a\",\"type\":\"int\",\"default\":1},{\"name\":\"b\",\"type\":\"int\"}"),
           KU_AVRO_JSON, "{}", NULL, 0, "$.b: missing");
    expect_refused("a default that does not fit its type",
                   REC("{\"name\":\"a\",\"type\":\"int\",\"default\":\"x\"}"),
                   "a field default does not fit its type: R.a: expected int");
    expect_refused("a union default that fits only a later branch",
                   REC("{\"name\":\"a\",\"type\":[\"null\",\"int\"],\"default\":1}"),
                   "R.a: expected null");
    expect_refused("a record that holds itself (no finite value)",
                   REC("{\"name\":\"a\",\"type\":\"int\"},{\"name\":\"self\",\"type\":\"R\"}"),
                   "record R holds itself");
    expect_refused("a record that holds itself through another record",
                   REC("{\"name\":\"s\",\"type\":{\"type\":\"record\",\"name\":\"S\",\"fields\":["
                       "{\"name\":\"r\",\"type\":\"R\"}]}}"),
                   "record R holds itself");
    expect("a record that holds itself through a union is fine",
           REC("{\"name\":\"a\",\"type\":\"int\"},"
               "{\"name\":\"next\",\"type\":[\"null\",\"R\"],\"default\":null}"),
           KU_AVRO_JSON, "{\"a\":1,\"next\":{\"ku.R\":{\"a\":2}}}", "\x02\x02\x04\x00", 4, NULL);
    expect("a union branch that names a record defined before, simple_json",
           REC("{\"name\":\"p\",\"type\":{\"type\":\"record\",\"name\":\"P\",\"fields\":["
               "{\"name\":\"z\",\"type\":\"int\"}]}},"
               "{\"name\":\"q\",\"type\":[\"null\",\"P\"]}"), KU_AVRO_SIMPLE_JSON,
           "{\"p\":{\"z\":1},\"q\":{\"z\":2}}", "\x02\x02\x04", 3, NULL);
    expect_refused("a record default that needs itself",
                   REC("{\"name\":\"a\",\"type\":\"int\",\"default\":1},"
                       "{\"name\":\"self\",\"type\":[\"R\",\"null\"],\"default\":{}}"),
                   "nest too deep");

    apr_pool_destroy(pool);
    apr_terminate();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
