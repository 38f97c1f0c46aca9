/* SPDX-License-Identifier: Apache-2.0 */
/* schema_registry.h: schemas from a Confluent-compatible Schema Registry
 * (libcurl), cached per child for a TTL. No httpd. */
#ifndef KU_SCHEMA_REGISTRY_H
#define KU_SCHEMA_REGISTRY_H

#include "apr_pools.h"
#include "avro_encode.h"
#include "json_schema.h"

/* Where and how to ask. */
typedef struct {
    const char *url;          /* base, e.g. http://host:8081 (no trailing /) */
    int ttl;                  /* seconds a fetched schema is used */
    int ssl_verify;
    const char *ca_file;      /* NULL: the system's */
    const char *user;         /* NULL: no basic auth */
    const char *password;
    const char *headers;      /* NULL, or "Name: value\n" lines sent on every request */
    const char *cert_file;    /* NULL, or mTLS: the client certificate (PEM file) */
    const char *key_pem;      /* and its key (PEM text) */
} ku_sr_conf_t;

typedef enum {
    KU_SR_OK,
    KU_SR_UNAVAILABLE,        /* unreachable, 5xx, subject/version missing: 503 */
    KU_SR_BROKEN              /* a mistake that cannot heal by itself (wrong
                                 credentials, a schema we cannot use): 500 */
} ku_sr_status_t;

/* One subject/version as the registry gave it. */
typedef struct {
    int id;
    int is_avro;              /* else JSON Schema */
    const char *schema;       /* the schema text */
    ku_avro_schema_t *avro;   /* parsed, when is_avro */
    ku_js_schema_t *json;     /* compiled, when not */
} ku_sr_schema_t;

/* The schema of subject at version ("latest" or a number). Served from the
 * child's cache while younger than the TTL; fetched (outside any lock) when
 * older or missing; a failed refetch keeps the cached one. The result stays
 * valid until pool p is cleared. On failure *error says why. *warning is set
 * on the first failed fetch of a streak (whether or not a cached schema is
 * used): the caller logs it, so a registry that is down is logged once. */
ku_sr_status_t ku_sr_lookup(apr_pool_t *p, const ku_sr_conf_t *conf, const char *subject,
                            const char *version, const ku_sr_schema_t **out,
                            const char **error, const char **warning);

#endif
