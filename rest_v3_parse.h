/* SPDX-License-Identifier: Apache-2.0 */
/* rest_v3_parse.h: Confluent's v3 produce dialect, without httpd (README
 * "REST proxy dialects"): the /v3 routes below the Location, one record
 * object, a records:batch body, and a stream of concatenated record
 * objects read as they come. Errors are the v3 error object's status and
 * error_code (ku_v2_error_t, shared with the v2 dialect). */
#ifndef KU_REST_V3_PARSE_H
#define KU_REST_V3_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include "apr_pools.h"
#include "apr_tables.h"
#include "rest_v2_parse.h"
#include "rest_common.h"

typedef enum {
    KU_V3_CLUSTERS,     /* GET /v3/clusters */
    KU_V3_CLUSTER,      /* GET /v3/clusters/{cluster_id} */
    KU_V3_RECORDS,      /* POST /v3/clusters/{cluster_id}/topics/{topic}/records */
    KU_V3_BATCH         /* POST .../records:batch */
} ku_v3_route_kind_t;

typedef struct {
    ku_v3_route_kind_t kind;
    const char *cluster_id;     /* NULL for KU_V3_CLUSTERS */
    const char *topic;          /* the records routes only */
} ku_v3_route_t;

/* The route: path is what follows the Location. 0 and *route; 404 (code
 * 404) for a /v3 path that is no route; -1 when the path is not below
 * /v3 at all (the v2 routes may then answer it). */
int ku_v3_route(apr_pool_t *p, const char *path, ku_v3_route_t *route, ku_v2_error_t *err);

/* Which schema an AVRO, JSONSCHEMA or PROTOBUF key or value names: an
 * id, a subject (NULL: the one strategy names, TopicNameStrategy's
 * {topic}-key/-value by default) and version (0: latest), or an inline
 * schema registered under the subject. A strategy other than TOPIC_NAME
 * comes with an id or a schema (the parser refuses it otherwise). */
typedef struct {
    int id;                     /* -1: none */
    int version;                /* 0: latest */
    const char *subject;
    const char *schema;
    ku_rest_strategy_t strategy;
} ku_v3_schema_ref_t;

/* One record as a v3 body gave it. The key's and value's type are
 * "BINARY", "JSON", "STRING", "AVRO", "JSONSCHEMA" or "PROTOBUF" (BINARY
 * when the object names none), NULL when the request had no key or value
 * object. With the schema types the bytes are the data's compact JSON
 * text, to be written with the schema the ref names. */
typedef struct {
    ku_v2_record_t rec;         /* bytes, partition (-1), timestamp (0), headers */
    const char *key_type;
    const char *value_type;
    ku_v3_schema_ref_t key_schema;
    ku_v3_schema_ref_t value_schema;
    int key_schema_id;          /* the id used (the httpd side sets it); -1: none */
    int value_schema_id;
    const char *id;             /* records:batch: the entry's id */
    ku_v2_error_t err;          /* records:batch: err.status != 0, this entry failed */
} ku_v3_record_t;

/* One record object (a json-c object): 0, or 400 (code 400: not a record,
 * bad base64, a type we do not take (PROTOBUF in a build without it), a
 * bad timestamp, schema fields that do not go together). batch: an entry of
 * records:batch, which must carry an "id". */
int ku_v3_parse_record(apr_pool_t *p, struct json_object *o, int batch, ku_v3_record_t *rec,
                       ku_v2_error_t *err);

/* A records:batch body {"entries":[...]}: 0 and the entries
 * (ku_v3_record_t; an entry that is no good record has its err set, the
 * others still go), or 400 (not JSON, no entries, an entry without an id
 * or with an id seen before), 413 (more than max_records). */
int ku_v3_parse_batch(apr_pool_t *p, const char *body, size_t len, int max_records,
                      apr_array_header_t **entries, ku_v2_error_t *err);

/* RFC 3339 date-time ("2021-02-05T19:14:42.123Z", an offset or Z) to ms
 * since the epoch: 0, or -1. */
int ku_v3_parse_time(const char *s, int64_t *ms);

/* ms since the epoch as the v3 answer writes it, in UTC. */
const char *ku_v3_format_time(apr_pool_t *p, int64_t ms);

/* A stream of concatenated JSON objects, fed as the body arrives. */
typedef struct ku_v3_stream ku_v3_stream_t;

/* max_object: the most bytes one object may take. Freed with p. */
ku_v3_stream_t *ku_v3_stream_make(apr_pool_t *p, size_t max_object);

/* Feeds buf: 1 and *o (the caller puts it) once an object is complete,
 * *used saying how much of buf it took (feed the rest again); 0 when all
 * of buf was taken and the object goes on; -1 with err: not JSON, not an
 * object (400), an object over max_object (413). After -1 the stream
 * cannot go on. */
int ku_v3_stream_feed(ku_v3_stream_t *s, const char *buf, size_t len, size_t *used,
                      struct json_object **o, ku_v2_error_t *err);

/* Whether an object was begun and not finished (at the body's end: cut). */
int ku_v3_stream_pending(const ku_v3_stream_t *s);

#endif
