/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_rest_v2.c - libFuzzer target for rest_v2_parse.c, the v2 produce
 * dialect's parsers of client input (README "REST proxy dialects").
 *
 * Input: one byte choosing the embedded format (binary, json, text, avro,
 * jsonschema), then
 * the body; the body is also given, as a C string, to the route, the
 * Content-Type and the Accept parsers.
 * Invariants: a refusal is 400, 413 or 422 with its error_code and a
 * message; an accepted body is a JSON object json-c takes, with 1 to 50
 * records; a binary key or value is the bytes its base64 text names; a
 * json, avro or jsonschema one is JSON text json-c takes; with avro and
 * jsonschema every key and value has a schema (an id from 0 or a non-empty
 * text), and a refusal may also be 42201, 42202 or 42205; the route's topic has no slash and a
 * partition is -1 or a number that fits.
 */
#include "fuzz_common.h"
#include "rest_v2_parse.h"

#define FZ_V2_MAX_RECORDS 50

/* bytes as base64, without padding: what the input's text must be too. */
static char *unpadded_base64(const char *bytes, size_t len)
{
    char *out = apr_palloc(fz_pool, (apr_size_t)apr_base64_encode_len((int)len) + 1);
    size_t n;

    apr_base64_encode_binary(out, (const unsigned char *)bytes, (int)len);
    n = strlen(out);
    while (n && out[n - 1] == '=')
        out[--n] = '\0';
    return out;
}

static void check_embedded(json_object *given, const char *bytes, size_t len,
                           ku_v2_format_t format)
{
    if (!given) {
        FZ_CHECK(!bytes, "null gives no bytes");
        return;
    }
    FZ_CHECK(bytes != NULL, "a value gives bytes");
    if (format == KU_V2_BINARY) {
        char *text = apr_pstrdup(fz_pool, json_object_get_string(given));
        size_t n = strlen(text);

        while (n && text[n - 1] == '=')
            text[--n] = '\0';
        FZ_CHECK(!strcmp(text, unpadded_base64(bytes, len)), "binary: the bytes the text names");
    }
    else if (format == KU_V2_JSON || KU_V2_HAS_SCHEMA(format)) {
        int ok = 0;
        json_object *again = fz_jsonc_parse(bytes, len, FZ_MAX_DEPTH, &ok);

        FZ_CHECK(ok, "json: the value is JSON text");
        json_object_put(again);
    }
    else
        FZ_CHECK(len == (size_t)json_object_get_string_len(given)
                 && !memcmp(bytes, json_object_get_string(given), len), "text: the string's bytes");
}

static void check_records(const char *body, size_t len, ku_v2_format_t format,
                          const apr_array_header_t *records)
{
    int ok = 0, i;
    json_object *root = fz_jsonc_parse(body, len, FZ_MAX_DEPTH, &ok), *list;

    FZ_CHECK(ok && json_object_is_type(root, json_type_object)
             && json_object_object_get_ex(root, "records", &list), "accepted: an object with records");
    FZ_CHECK(records->nelts >= 1 && records->nelts <= FZ_V2_MAX_RECORDS
             && (size_t)records->nelts == json_object_array_length(list), "1 to 50 records, all");
    for (i = 0; i < records->nelts; i++) {
        const ku_v2_record_t *r = &APR_ARRAY_IDX(records, i, ku_v2_record_t);
        json_object *given = json_object_array_get_idx(list, (size_t)i), *key = NULL, *value = NULL;

        json_object_object_get_ex(given, "key", &key);
        json_object_object_get_ex(given, "value", &value);
        check_embedded(key, r->key, r->key_len, format);
        check_embedded(value, r->value, r->value_len, format);
        FZ_CHECK(r->partition >= -1 && r->timestamp >= 0, "partition and timestamp in range");
    }
    json_object_put(root);
}

static void check_other_parsers(const char *s)
{
    const char *topic = NULL;
    int32_t partition = 0;
    ku_v2_format_t format;
    ku_v2_error_t err;

    if (!ku_v2_route(fz_pool, s, &topic, &partition, &err))
        FZ_CHECK(!strchr(topic, '/') && *topic && partition >= -1, "route: a topic, a partition");
    else
        FZ_CHECK(err.status == 404 && (err.code == 404 || err.code == 40402), "route: 404");
    if (ku_v2_content_type(s, &format, &err))
        FZ_CHECK(err.status == 415 && err.code == 415 && err.message, "content type: 415");
    ku_v2_answer_type(fz_pool, s);
}

/* avro and jsonschema: every key and value has its schema. */
static void check_schemas(const apr_array_header_t *records, const ku_v2_schemas_t *s)
{
    int i;

    FZ_CHECK(s->key_id >= -1 && s->value_id >= -1, "an id is -1 or from 0");
    FZ_CHECK((!s->key_schema || *s->key_schema) && (!s->value_schema || *s->value_schema),
             "an inline schema is not empty");
    for (i = 0; i < records->nelts; i++) {
        const ku_v2_record_t *r = &APR_ARRAY_IDX(records, i, ku_v2_record_t);

        FZ_CHECK(!r->key || s->key_id >= 0 || s->key_schema, "a key has a key schema");
        FZ_CHECK(!r->value || s->value_id >= 0 || s->value_schema, "a value has a schema");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ku_v2_schemas_t schemas;
    ku_v2_format_t format;
    apr_array_header_t *records = NULL;
    ku_v2_error_t err = { 0, 0, NULL };
    char *body;
    int status;

    if (size < 1)
        return 0;
    format = (ku_v2_format_t)((data[0] & 0x7f) % 5);
    body = fz_bytes(data + 1, size - 1);
    status = ku_v2_parse_body(fz_pool, body, size - 1, format, FZ_V2_MAX_RECORDS,
                              data[0] & 0x80 ? 1 : -1, &records, &schemas, &err);
    if (status)
        FZ_CHECK((status == 400 || status == 413 || status == 422) && err.status == status
                 && (err.code == status || (status == 422 && KU_V2_HAS_SCHEMA(format)
                                            && err.code / 10 == 4220))
                 && err.message && *err.message,
                 "a refusal: 400, 413 or 422, its code and a message");
    else {
        check_records(body, size - 1, format, records);
        if (KU_V2_HAS_SCHEMA(format))
            check_schemas(records, &schemas);
    }
    free(body);
    body = fz_cstr(data + 1, size - 1);
    check_other_parsers(body);
    free(body);
    apr_pool_clear(fz_pool);
    return 0;
}
