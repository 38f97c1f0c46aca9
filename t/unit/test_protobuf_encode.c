/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for protobuf_encode.cc: each case encodes a JSON document and
 * compares the bytes with the Protobuf wire format written out by hand
 * (tag = field << 3 | wire type, varints, length-delimited strings and
 * messages) after the Confluent header and the message indexes. Also the
 * Avro references of avro_refs.c. Ends with "N passed, M failed"; exits
 * non-zero when anything failed. Without Protobuf support (configure
 * --without-protobuf) only the refusal is checked.
 */
#include <stdio.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "avro_refs.h"
#include "protobuf_encode.h"
#include "t/unit/check.h"

static apr_pool_t *pool;

static const char shop[] =
    "syntax = \"proto3\";\n"
    "package ku.shop;\n"
    "import \"common.proto\";\n"
    "import \"google/protobuf/timestamp.proto\";\n"
    "message Order {\n"
    "  int64 id = 1;\n"
    "  ku.common.Money total = 2;\n"
    "  google.protobuf.Timestamp at = 3;\n"
    "  message Line { string sku = 1; int32 qty = 2; }\n"
    "  repeated Line lines = 4;\n"
    "}\n"
    "message Refund { int64 order_id = 1; }\n";
static const ku_pb_file_t common[] = {
    { "common.proto", "syntax = \"proto3\";\npackage ku.common;\n"
                      "message Money { string currency = 1; int64 cents = 2; }\n" },
};

/* Encodes doc as message (NULL: the first) with id 7; compares what
 * follows the 5-byte header with want, or expects an error containing
 * want_error. */
static void expect(const char *label, const char *message, const char *doc, const char *want,
                   size_t want_len, const char *want_error)
{
    char why[512];
    ku_pb_schema_t *s = ku_pb_schema_parse(shop, common, 1, message, why, sizeof(why));
    const char *error = NULL;
    char *out = NULL;
    size_t len = 0;
    int rc;

    if (!s) {
        CHECK(label, 0);
        printf("     schema: %s\n", why);
        return;
    }
    rc = ku_pb_encode(pool, s, 7, doc, strlen(doc), &out, &len, &error);
    if (want)
        CHECK(label, rc == 0 && len == want_len + 5 && !memcmp(out, "\0\0\0\0\7", 5)
                     && !memcmp(out + 5, want, want_len));
    else
        CHECK(label, rc == -1 && error && strstr(error, want_error));
    if (rc == 0 && !want)
        printf("     encoded, %zu bytes\n", len);
    if (rc && want)
        printf("     error: %s\n", error);
    ku_pb_schema_free(s);
}

static void expect_schema_error(const char *label, const char *text, const char *message,
                                const char *want)
{
    char why[512] = "";
    ku_pb_schema_t *s = ku_pb_schema_parse(text, common, 1, message, why, sizeof(why));

    CHECK(label, !s && strstr(why, want));
    if (s || !strstr(why, want))
        printf("     got: %s\n", s ? "a schema" : why);
    ku_pb_schema_free(s);
}

static void test_protobuf(void)
{
    /* indexes [0]: 00; id=5: 08 05; total {currency "EUR", cents 250}:
     * 12 08 0a 03 'E' 'U' 'R' 10 fa 01; at 1970-01-01T00:00:10Z: 1a 02 08 0a */
    static const char order[] = "\0\x08\x05\x12\x08\x0a\x03" "EUR" "\x10\xfa\x01\x1a\x02\x08\x0a";
    /* a string int64 and lines[{sku "a", qty 2}]: 22 05 0a 01 'a' 10 02 */
    static const char lines[] = "\0\x08\x05\x22\x05\x0a\x01" "a" "\x10\x02";
    /* indexes [1]: count 1 (02), index 1 (02); order_id=9: 08 09 */
    static const char refund[] = "\x02\x02\x08\x09";
    /* indexes [0, 0] (Order.Line): 04 00 00; sku "b": 0a 01 'b' */
    static const char line[] = "\x04\x00\x00\x0a\x01" "b";

    expect("first message, import, well-known Timestamp", NULL,
           "{\"id\":5,\"total\":{\"currency\":\"EUR\",\"cents\":250},\"at\":\"1970-01-01T00:00:10Z\"}",
           order, sizeof(order) - 1, NULL);
    expect("int64 as a JSON string, a repeated nested message", "ku.shop.Order",
           "{\"id\":\"5\",\"lines\":[{\"sku\":\"a\",\"qty\":2}]}", lines, sizeof(lines) - 1, NULL);
    expect("the second message: indexes [1]", "ku.shop.Refund", "{\"orderId\":9}",
           refund, sizeof(refund) - 1, NULL);
    expect("a nested message: indexes [0, 0]", "ku.shop.Order.Line", "{\"sku\":\"b\"}",
           line, sizeof(line) - 1, NULL);
    expect("an unknown field is refused, named", NULL, "{\"id\":1,\"nope\":2}", NULL, 0, "nope");
    expect("a wrong type is refused, the field named", NULL,
           "{\"id\":1,\"total\":{\"cents\":\"lots\"}}", NULL, 0, "cents");
    expect("a bad timestamp is refused", NULL, "{\"at\":\"yesterday\"}", NULL, 0, "at");
    expect("nested deeper than 64: refused before libprotobuf parses", NULL,
           "{\"val\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
           "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
           NULL, 0, "deeper than 64");
    {
        /* 70 brackets and an escaped quote in a string: text, not nesting */
        char doc[160], want[100];
        char text[72];

        memset(text, '[', 70);
        memcpy(text + 70, "\"", 2);
        snprintf(doc, sizeof(doc), "{\"total\":{\"currency\":\"%.70s\\\"\"}}", text);
        /* 00; total: 12 49, currency: 0a 47 + 71 bytes */
        memcpy(want, "\0\x12\x49\x0a\x47", 5);
        memcpy(want + 5, text, 71);
        expect("brackets inside strings do not count", NULL, doc, want, 76, NULL);
    }
    expect("not JSON", NULL, "{\"id\":", NULL, 0, "");
    expect("not an object", NULL, "[1]", NULL, 0, "");
    expect_schema_error("a missing import is named", "syntax = \"proto3\";\nimport \"x.proto\";\n"
                        "message A { int32 a = 1; }\n", NULL, "x.proto");
    expect_schema_error("a syntax error is located", "syntax = \"proto3\";\nmessage A { int32 }\n",
                        NULL, "line 2");
    expect_schema_error("an unknown message= is named", shop, "ku.shop.Nope", "ku.shop.Nope");
    expect_schema_error("message= from an import is refused", shop, "ku.common.Money",
                        "ku.common.Money");
    expect_schema_error("no message at all", "syntax = \"proto3\";\n", NULL, "no message");
}

static void test_avro_refs(void)
{
    ku_sr_ref_t refs[] = {
        { "ku.t.Money", "{\"type\":\"record\",\"name\":\"Money\",\"namespace\":\"ku.t\","
                        "\"fields\":[{\"name\":\"c\",\"type\":\"long\"}]}" },
        { "ku.t.Customer", "{\"type\":\"record\",\"name\":\"Customer\",\"namespace\":\"ku.t\","
                           "\"fields\":[{\"name\":\"credit\",\"type\":\"Money\"}]}" },
    };
    const char *error = NULL;
    const char *out = ku_avro_inline_refs(
        pool, "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"ku.t\",\"fields\":["
              "{\"name\":\"buyer\",\"type\":\"Customer\"},"
              "{\"name\":\"seller\",\"type\":[\"null\",\"ku.t.Customer\"]},"
              "{\"name\":\"fees\",\"type\":{\"type\":\"array\",\"items\":\"ku.t.Money\"}}]}",
        refs, 2, &error);

    CHECK("Avro: the first use of a reference is its definition, nested ones too",
          out && strstr(out, "\"buyer\",\"type\":{\"type\":\"record\",\"name\":\"Customer\"")
              && strstr(out, "\"credit\",\"type\":{\"type\":\"record\",\"name\":\"Money\""));
    CHECK("Avro: later uses stay names",
          out && strstr(out, "[\"null\",\"ku.t.Customer\"]") && strstr(out, "\"items\":\"ku.t.Money\""));
    if (out)
        printf("     %s\n", out);
    CHECK("Avro: a reference that is no JSON",
          !ku_avro_inline_refs(pool, "\"ku.t.Money\"", (ku_sr_ref_t[]){ { "ku.t.Money", "{" } }, 1,
                               &error) && strstr(error, "ku.t.Money"));
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    if (ku_pb_available())
        test_protobuf();
    else
        expect_schema_error("no Protobuf support: refused, saying so", shop, NULL,
                            "no Protobuf support");
    test_avro_refs();
    apr_pool_destroy(pool);
    apr_terminate();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
