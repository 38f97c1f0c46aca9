/* SPDX-License-Identifier: Apache-2.0 */
/* avro_defaults.h: the field defaults of an Avro schema, read from its JSON
 * text (Apache Avro C parses "default" but does not keep it). No httpd. */
#ifndef KU_AVRO_DEFAULTS_H
#define KU_AVRO_DEFAULTS_H

#include <avro.h>
#include <json-c/json.h>
#include "apr_pools.h"

typedef struct ku_avro_defaults ku_avro_defaults_t;

/* Reads the fields of every record the schema text defines, walking the
 * text beside schema, which Avro C parsed from the same text (so a record
 * is known by its Avro C schema, whatever its namespace rules). NULL and
 * *error when the text and the parsed schema cannot be matched. Free with
 * ku_avro_defaults_free (before the schema). */
ku_avro_defaults_t *ku_avro_defaults_read(const char *json, avro_schema_t schema,
                                          const char **error, apr_pool_t *p);
void ku_avro_defaults_free(ku_avro_defaults_t *d);

/* Whether field index of record (a record schema, or a link to one) has a
 * default; *value is it (NULL for JSON null), owned by d. */
int ku_avro_default_of(const ku_avro_defaults_t *d, avro_schema_t record, size_t index,
                       json_object **value);

/* Calls visit for each field that has a default, until it returns non-zero
 * (which this returns). */
typedef int (*ku_avro_default_visitor)(void *arg, avro_schema_t record, size_t index,
                                       json_object *value);
int ku_avro_defaults_each(const ku_avro_defaults_t *d, ku_avro_default_visitor visit,
                          void *arg);

#endif
