/* SPDX-License-Identifier: Apache-2.0 */
/* schema_registry.h: schemas from a Confluent-compatible Schema Registry
 * (libcurl), cached per child for a TTL. No httpd. */
#ifndef KU_SCHEMA_REGISTRY_H
#define KU_SCHEMA_REGISTRY_H

#include "apr_pools.h"
#include "avro_encode.h"
#include "json_schema.h"
#include "schema_registry_conf.h"
#include "schema_ref.h"
#include "protobuf_encode.h"


typedef enum {
    KU_SR_OK,
    KU_SR_UNAVAILABLE,        /* unreachable, 5xx, subject/version missing: 503 */
    KU_SR_BROKEN,             /* a mistake that cannot heal by itself (wrong
                                 credentials, a schema we cannot use): 500 */
    KU_SR_INVALID             /* the client's: no such schema id, an inline
                                 schema we or the registry refuse */
} ku_sr_status_t;

/* One subject/version as the registry gave it. */
typedef struct {
    int id;
    int is_avro;              /* else JSON Schema or Protobuf */
    int is_protobuf;
    const char *schema;       /* the schema text */
    ku_avro_schema_t *avro;   /* parsed, when is_avro */
    ku_pb_schema_t *pb;       /* parsed, when is_protobuf */
    ku_js_schema_t *json;     /* compiled, when neither */
} ku_sr_schema_t;

/* A schema's references (README: Schema Registry), fetched with it: at
 * most this many, this deep. */
#define KU_SR_MAX_REFS 31
#define KU_SR_MAX_REF_DEPTH KU_PB_MAX_IMPORT_DEPTH


/* The schema of subject at version ("latest" or a number), with the
 * schemas it references; for a PROTOBUF subject, message (a full name, or
 * NULL: the first) is the one encoded. Served from the
 * child's cache while younger than the TTL; fetched (outside any lock) when
 * older or missing; a failed refetch keeps the cached one. The result stays
 * valid until pool p is cleared. On failure *error says why. *warning is set
 * on the first failed fetch of a streak (whether or not a cached schema is
 * used): the caller logs it, so a registry that is down is logged once. */
ku_sr_status_t ku_sr_lookup(apr_pool_t *p, const ku_sr_conf_t *conf, const char *subject,
                            const char *version, const char *message,
                            const ku_sr_schema_t **out, const char **error,
                            const char **warning);

/* The schema the registry keeps as id (GET /schemas/ids/N), cached as
 * ku_sr_lookup's; no such id is KU_SR_INVALID. */
ku_sr_status_t ku_sr_lookup_id(apr_pool_t *p, const ku_sr_conf_t *conf, int id,
                               const ku_sr_schema_t **out, const char **error,
                               const char **warning);

/* An inline schema of type ("AVRO" or "JSON"), parsed here first, then
 * registered under subject (POST /subjects/S/versions) and given the id
 * the registry answers; cached as ku_sr_lookup's, by the schema's text. A
 * schema we or the registry refuse (invalid, incompatible) is
 * KU_SR_INVALID. */
ku_sr_status_t ku_sr_register(apr_pool_t *p, const ku_sr_conf_t *conf, const char *subject,
                              const char *type, const char *schema,
                              const ku_sr_schema_t **out, const char **error,
                              const char **warning);

#endif
