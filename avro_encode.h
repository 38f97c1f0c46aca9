/* SPDX-License-Identifier: Apache-2.0 */
/* avro_encode.h: a JSON document as Avro binary in the Confluent wire
 * format, for a writer schema (Apache Avro C). No httpd. */
#ifndef KU_AVRO_ENCODE_H
#define KU_AVRO_ENCODE_H

#include <stddef.h>
#include "apr_pools.h"

/* Avro's JSON encoding (unions tagged {"type": value}), or plain JSON whose
 * unions are resolved here: null, then the first branch that fits. */
typedef enum { KU_AVRO_JSON, KU_AVRO_SIMPLE_JSON } ku_avro_payload_t;

typedef struct ku_avro_schema ku_avro_schema_t;

/* Parses a schema (the registry's "schema" string). NULL and *error on a
 * schema Avro C refuses. Free with ku_avro_schema_free. */
ku_avro_schema_t *ku_avro_schema_parse(const char *json, const char **error, apr_pool_t *p);
void ku_avro_schema_free(ku_avro_schema_t *s);

/* Encodes the JSON text doc[0..len) as: 0x00, id (4 bytes big endian),
 * Avro binary. Returns 0, or -1 with *error naming the first offending path
 * ("$.a.b[2]: expected int") when the document does not match. */
int ku_avro_encode(apr_pool_t *p, const ku_avro_schema_t *s, int id, ku_avro_payload_t payload,
                   const char *doc, size_t len, char **out, size_t *out_len,
                   const char **error);

/* The Confluent wire format's 5 bytes: magic 0, then id big endian. */
void ku_confluent_header(char *buf, int id);

#endif
