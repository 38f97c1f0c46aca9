/* SPDX-License-Identifier: Apache-2.0 */
/* schema.h: a record's value and key in the Confluent wire format, with the
 * schemas KafkaUpstreamValueSchema and KafkaUpstreamKeySchema name. */
#ifndef KU_SCHEMA_H
#define KU_SCHEMA_H

#include "httpd.h"
#include "conf.h"
#include "schema_registry.h"

/* Encodes data[0..len) with the value (is_key 0) or key (is_key 1) schema;
 * without such a schema *out is data, unchanged. Returns OK, 400 (the data
 * does not match: *error names the path), 503 (the registry cannot be
 * reached or lacks the subject/version) or 500 (a mistake that cannot
 * heal: wrong credentials, a schema Avro C refuses). */
int ku_schema_encode(request_rec *r, const ku_dir_conf_t *conf, int is_key, const char *data,
                     apr_size_t len, const char **out, apr_size_t *out_len, const char **error);

/* The Location's registry settings (KafkaUpstreamSchemaRegistry*); .url is
 * NULL without a registry. */
ku_sr_conf_t ku_schema_registry_conf(const ku_dir_conf_t *conf);

/* Encodes data[0..len) with a schema in hand: OK, or 400 with *error
 * naming the path that does not match. A key that is not JSON is taken as
 * a JSON string when key_text is set (the envelope's keys are text). */
int ku_schema_encode_with(apr_pool_t *p, const ku_sr_schema_t *schema, int is_key,
                          int key_text, ku_avro_payload_t payload, const char *data,
                          apr_size_t len, const char **out, apr_size_t *out_len,
                          const char **error);

/* Logs a lookup's warning (KU00035, or KU00036 for a schema that cannot be
 * used); what names the schema asked for. */
void ku_schema_log_warning(request_rec *r, ku_sr_status_t st, const char *what,
                           const char *warning);

#endif
