/* SPDX-License-Identifier: Apache-2.0 */
/* rest_common.h: what the v2 and v3 REST dialects share around schemas
 * and refusals, without httpd (README "REST proxy dialects"): the peers'
 * error for a registry lookup, the status page's reason for a refused
 * request, and the subject a subject name strategy names. */
#ifndef KU_REST_COMMON_H
#define KU_REST_COMMON_H

#include "apr_pools.h"
#include "record_header.h"
#include "reject.h"
#include "rest_v2_parse.h"
#include "schema_registry.h"

/* A record's headers: its own from the body (ku_v2_header_t, or NULL),
 * then the request's a Location's record header rules selected
 * (ku_header_t, or NULL), counted together (README "REST proxy
 * dialects"). 0 and *out (ku_header_t, NULL for none), or 413/413 in err
 * when they are more than max. */
int ku_rest_record_headers(apr_pool_t *p, const apr_array_header_t *own,
                           const apr_array_header_t *request, int max,
                           const apr_array_header_t **out, ku_v2_error_t *err);

/* Fills err and returns status. */
int ku_rest_refuse(ku_v2_error_t *err, int status, int code, const char *message);

/* A failed lookup or registration in the peers' terms: invalid_status and
 * invalid_code for a schema that is the client's fault (v2 422/42205, v3
 * 400/400), 503/50302 for a registry that cannot be reached, else 500. */
int ku_rest_lookup_refusal(apr_pool_t *p, ku_sr_status_t st, const char *why,
                           int invalid_status, int invalid_code, ku_v2_error_t *err);

/* The registry's schemaType for a format's name ("avro"/"AVRO",
 * "jsonschema"/"JSONSCHEMA", "protobuf"/"PROTOBUF"), NULL for others. */
const char *ku_rest_registry_type(const char *format);

/* Whether schema is of the registry type; if not, 0 and err set with
 * invalid_status/invalid_code, saying that what (the schema asked for)
 * does not fit needs (e.g. "the avro embedded format"). */
int ku_rest_schema_fits(apr_pool_t *p, const ku_sr_schema_t *schema, const char *type,
                        const char *what, const char *needs, int invalid_status,
                        int invalid_code, ku_v2_error_t *err);

/* The status page's reason for a request refused with this HTTP status
 * (the same for both dialects). */
ku_reject_t ku_rest_reject_reason(int status);

/* Confluent's subject name strategies. */
typedef enum {
    KU_REST_TOPIC_NAME,         /* {topic}-key / {topic}-value */
    KU_REST_RECORD_NAME,        /* the schema's record name */
    KU_REST_TOPIC_RECORD_NAME   /* {topic}-{record name} */
} ku_rest_strategy_t;

/* "TOPIC_NAME", "RECORD_NAME", "TOPIC_RECORD_NAME": 0 and *out, or -1. */
int ku_rest_strategy_parse(const char *name, ku_rest_strategy_t *out);

/* The record name in a schema's text of the registry type: an Avro named
 * type's full name (namespace.name), a Protobuf file's first message's
 * full name (package.Message), a JSON Schema's "title". NULL and *why when
 * the text is not such a schema or names none. */
const char *ku_rest_record_name(apr_pool_t *p, const char *type, const char *text,
                                const char **why);

/* The subject the strategy names for an inline schema (text, of the
 * registry type) of topic's key (is_key) or value. NULL and *why when the
 * strategy needs a record name the schema does not have. */
const char *ku_rest_subject(apr_pool_t *p, ku_rest_strategy_t strategy, const char *topic,
                            int is_key, const char *type, const char *text, const char **why);

#endif
