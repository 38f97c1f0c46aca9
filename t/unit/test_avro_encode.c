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
    if (want)
        CHECK(label, rc == 0 && len == want_len + 5 && !memcmp(out, "\0\0\0\0\7", 5)
                     && !memcmp(out + 5, want, want_len));
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

    apr_pool_destroy(pool);
    apr_terminate();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
