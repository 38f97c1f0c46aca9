/* SPDX-License-Identifier: Apache-2.0 */
/* rest_v2_parse.h: the REST proxies' v2 produce dialect, without httpd
 * (README "REST proxy dialects"): the route below the Location, the media
 * types, and the body {"records":[...]} made into records. The errors are
 * the peers': an HTTP status and their error_code. */
#ifndef KU_REST_V2_PARSE_H
#define KU_REST_V2_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include "apr_pools.h"
#include "apr_tables.h"

/* How a record's key and value are written in the body. */
typedef enum {
    KU_V2_BINARY,   /* base64 strings */
    KU_V2_JSON,     /* any JSON value, produced as its compact text */
    KU_V2_TEXT,     /* Strimzi's: a JSON string, produced as its UTF-8 bytes */
    KU_V2_AVRO,     /* Avro's JSON encoding, written as Avro with a registry's schema */
    KU_V2_JSONSCHEMA, /* any JSON value, validated against a registry's JSON Schema */
    KU_V2_PROTOBUF  /* the proto3 JSON mapping, written as a registry's Protobuf message */
} ku_v2_format_t;

/* Whether a format's keys and values go through a schema. */
#define KU_V2_HAS_SCHEMA(f) \
    ((f) == KU_V2_AVRO || (f) == KU_V2_JSONSCHEMA || (f) == KU_V2_PROTOBUF)

/* The schemas a body names beside its records (the schema formats only):
 * an id (-1: none) or an inline schema text (NULL: none). */
typedef struct {
    int key_id;
    int value_id;
    const char *key_schema;
    const char *value_schema;
} ku_v2_schemas_t;

/* A refusal: the HTTP status, the peers' error_code and a safe message. */
typedef struct {
    int status;
    int code;
    const char *message;
} ku_v2_error_t;

typedef struct {
    const char *name;
    const char *value;
    size_t value_len;
} ku_v2_header_t;

/* One record as the body gave it; a NULL key or value was null or absent. */
typedef struct {
    const char *key;
    size_t key_len;
    const char *value;
    size_t value_len;
    int32_t partition;              /* -1: not given */
    int64_t timestamp;              /* ms since the epoch; 0: not given */
    apr_array_header_t *headers;    /* ku_v2_header_t, or NULL */
} ku_v2_record_t;

/* The route: path is what follows the Location ("/topics/T" or
 * "/topics/T/partitions/P"). 0, or 404 (no such route, code 404; a
 * partition that is no number, 40402). *partition is -1 on the topic route. */
int ku_v2_route(apr_pool_t *p, const char *path, const char **topic, int32_t *partition,
                ku_v2_error_t *err);

/* A Kafka topic name: 1-249 of [a-zA-Z0-9._-], not "." or "..". */
int ku_v2_topic_name_ok(const char *topic);

/* The request's Content-Type: 0 and *format, or 415 (an unknown type, or
 * protobuf in a build without Protobuf support). */
int ku_v2_content_type(const char *content_type, ku_v2_format_t *format, ku_v2_error_t *err);

/* The answer's media type for this Accept header (NULL or absent: ours),
 * or NULL when the client accepts none of them (406). */
const char *ku_v2_answer_type(apr_pool_t *p, const char *accept);

/* The body: 0 and the records (ku_v2_record_t) and *schemas, or 400 (not
 * JSON, code 400), 422 (JSON, but not records: code 422; a schema field of
 * the wrong type, 42205; a key without a key schema, 42201; a value
 * without a value schema, 42202), 413 (more than max_records, code 413).
 * partition >= 0: the route's, which a record may only repeat. With the
 * schema formats a key or value is its compact JSON text. */
int ku_v2_parse_body(apr_pool_t *p, const char *body, size_t len, ku_v2_format_t format,
                     int max_records, int32_t partition, apr_array_header_t **records,
                     ku_v2_schemas_t *schemas, ku_v2_error_t *err);

/* Shared with the v3 dialect (rest_v3_parse.c): */

/* Standard base64, padding optional, canonical: 0 and the bytes
 * (NUL-terminated beside *out_len), or -1. */
int ku_v2_base64_decode(apr_pool_t *p, const char *in, size_t len, const char **out,
                        size_t *out_len);

/* The whole text as one strict JSON value (trailing white space only, no
 * NUL, bounded depth): a json-c object the caller puts, or NULL. */
struct json_object *ku_v2_parse_json(const char *body, size_t len);

#endif
