/* SPDX-License-Identifier: Apache-2.0 */
/* rest_v2_schema.h: the v2 dialect's avro, jsonschema and protobuf embedded formats
 * through the Location's Schema Registry (README "REST proxy dialects"). */
#ifndef KU_REST_V2_SCHEMA_H
#define KU_REST_V2_SCHEMA_H

#include "httpd.h"
#include "conf.h"
#include "rest_v2_parse.h"

/* Finds the key and value schemas the body names (by id, or inline:
 * registered under {topic}-key / {topic}-value) and writes every record's
 * key and value in the Confluent wire format, in place. 0 and the ids used
 * (-1: none), or a refusal in err: 422 (42205 no such schema or an invalid
 * one, 42203 a key or value that does not match, 42206 no registry), 503
 * (50302, the registry cannot be reached), 500 (a registry we cannot use). */
int ku_v2_apply_schemas(request_rec *r, const ku_dir_conf_t *conf, const char *topic,
                        ku_v2_format_t format, const ku_v2_schemas_t *schemas,
                        apr_array_header_t *records, int *key_id, int *value_id,
                        ku_v2_error_t *err);

#endif
