/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_avro_encode.c - libFuzzer target for avro_encode.c (with the field
 * defaults of avro_defaults.c): a JSON body written as Avro binary in the
 * Confluent wire format.
 *
 * Input: the body, as is, encoded with two fixed schemas (a record with a
 * field of every type, most with defaults, a nested record, array, map and
 * unions; and a top-level union), each in both payload encodings.
 * Invariants: an accepted body gives magic 0 and the id, then Avro binary
 * that Avro C's reader reads back as one whole value of the schema, to the
 * last byte; a refused one has an error naming a path ("$...").
 */
#include <avro.h>

#include "fuzz_common.h"
#include "avro_encode.h"

static const char *const schemas[] = {
    "{\"type\":\"record\",\"name\":\"Event\",\"namespace\":\"ku.fz\",\"fields\":["
    "{\"name\":\"id\",\"type\":\"long\"},"
    "{\"name\":\"n\",\"type\":\"null\",\"default\":null},"
    "{\"name\":\"flag\",\"type\":\"boolean\",\"default\":true},"
    "{\"name\":\"i\",\"type\":\"int\",\"default\":-7},"
    "{\"name\":\"f\",\"type\":\"float\",\"default\":\"NaN\"},"
    "{\"name\":\"d\",\"type\":\"double\",\"default\":2.5},"
    "{\"name\":\"s\",\"type\":\"string\",\"default\":\"x\"},"
    "{\"name\":\"b\",\"type\":\"bytes\",\"default\":\"\\u00ff\"},"
    "{\"name\":\"fx\",\"type\":{\"type\":\"fixed\",\"name\":\"Two\",\"size\":2},\"default\":\"ab\"},"
    "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"Kind\",\"symbols\":[\"A\",\"B\"]},"
    "\"default\":\"B\"},"
    "{\"name\":\"a\",\"type\":{\"type\":\"array\",\"items\":\"int\"},\"default\":[1]},"
    "{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":\"string\"},\"default\":{}},"
    "{\"name\":\"r\",\"type\":{\"type\":\"record\",\"name\":\"Addr\",\"fields\":["
    "{\"name\":\"city\",\"type\":\"string\"},"
    "{\"name\":\"zip\",\"type\":\"string\",\"default\":\"0\"}]},\"default\":{\"city\":\"P\"}},"
    "{\"name\":\"u\",\"type\":[\"string\",\"null\",\"Addr\"],\"default\":\"d\"},"
    "{\"name\":\"o\",\"type\":[\"null\",\"int\"]},"
    "{\"name\":\"k\",\"type\":\"Kind\",\"default\":\"A\"}]}",
    "[\"null\",\"int\",\"string\",{\"type\":\"record\",\"name\":\"R\",\"fields\":["
    "{\"name\":\"x\",\"type\":[\"null\",\"R\"],\"default\":null},"
    "{\"name\":\"y\",\"type\":\"double\",\"default\":0}]}]",
};
#define FZ_SCHEMAS (sizeof(schemas) / sizeof(schemas[0]))

static ku_avro_schema_t *parsed[FZ_SCHEMAS];
static avro_schema_t readers[FZ_SCHEMAS];

static void parse_once(void)
{
    const char *error = NULL;
    size_t i;

    if (parsed[0])
        return;
    for (i = 0; i < FZ_SCHEMAS; i++) {
        parsed[i] = ku_avro_schema_parse(schemas[i], &error, fz_pool);
        FZ_CHECK(parsed[i], "the harness's schemas parse");
        FZ_CHECK(!avro_schema_from_json_length(schemas[i], strlen(schemas[i]), &readers[i]),
                 "Avro C parses the harness's schemas");
    }
}

/* Avro C's reader takes the datum back whole: one value, no byte left. */
static int reads_back(avro_schema_t schema, const char *bytes, size_t len)
{
    avro_value_iface_t *iface = avro_generic_class_from_schema(schema);
    avro_reader_t reader = avro_reader_memory(bytes, (int64_t)len);
    avro_value_t v;
    size_t read_size = 0;
    int ok = 0;

    if (iface && !avro_generic_value_new(iface, &v)) {
        /* what was read is as long as the datum: no byte left over */
        ok = !avro_value_read(reader, &v) && !avro_value_sizeof(&v, &read_size)
             && read_size == len;
        if (!ok)
            fprintf(stderr, "read back: %s (%zu of %zu bytes)\n", avro_strerror(), read_size, len);
        avro_value_decref(&v);
    }
    avro_reader_free(reader);
    if (iface)
        avro_value_iface_decref(iface);
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fz_bytes(data, size);
    size_t i;
    int payload;

    parse_once();
    for (i = 0; i < FZ_SCHEMAS; i++)
        for (payload = KU_AVRO_JSON; payload <= KU_AVRO_SIMPLE_JSON; payload++) {
            const char *error = NULL;
            char *out = NULL;
            size_t len = 0;

            if (ku_avro_encode(fz_pool, parsed[i], 258, (ku_avro_payload_t)payload, s, size,
                               &out, &len, &error)) {
                FZ_CHECK(error && error[0] == '$', "a refusal names a path");
                continue;
            }
            FZ_CHECK(len >= 5 && !memcmp(out, "\0\0\0\1\2", 5), "magic 0, then the id");
            FZ_CHECK(reads_back(readers[i], out + 5, len - 5),
                     "Avro C reads the datum back whole");
        }
    free(s);
    apr_pool_clear(fz_pool);
    return 0;
}
