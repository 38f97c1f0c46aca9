/* SPDX-License-Identifier: Apache-2.0 */
/* schema.h: a record's value and key in the Confluent wire format, with the
 * schemas KafkaUpstreamValueSchema and KafkaUpstreamKeySchema name. */
#ifndef KU_SCHEMA_H
#define KU_SCHEMA_H

#include "httpd.h"
#include "conf.h"

/* Encodes data[0..len) with the value (is_key 0) or key (is_key 1) schema;
 * without such a schema *out is data, unchanged. Returns OK, 400 (the data
 * does not match: *error names the path), 503 (the registry cannot be
 * reached or lacks the subject/version) or 500 (a mistake that cannot
 * heal: wrong credentials, a schema Avro C refuses). */
int ku_schema_encode(request_rec *r, const ku_dir_conf_t *conf, int is_key, const char *data,
                     apr_size_t len, const char **out, apr_size_t *out_len, const char **error);

#endif
