/* SPDX-License-Identifier: Apache-2.0 */
/* rest_v3_schema.h: the v3 dialect's AVRO, JSONSCHEMA and PROTOBUF keys and values
 * through the Location's Schema Registry (README "The v3 API (rest-v3)"). */
#ifndef KU_REST_V3_SCHEMA_H
#define KU_REST_V3_SCHEMA_H

#include "httpd.h"
#include "conf.h"
#include "rest_v3_parse.h"

/* Writes the record's AVRO, JSONSCHEMA or PROTOBUF key and value in the
 * Confluent wire format, in place, with the schema each names (schema_id;
 * schema inline, registered under the subject; else the subject's
 * schema_version, or its latest; the subject is the one named, else the
 * subject_name_strategy's, {topic}-key/-value by default), and sets
 * in->key_schema_id/value_schema_id. 0, or a refusal in err: 400 (no such
 * schema, an invalid one, a schema without the record name its strategy
 * needs, data it refuses), 422/42206 (no
 * registry), 503/50302 (the registry cannot be reached or lacks the
 * subject/version), 500 (a registry we cannot use). */
int ku_v3_apply_schemas(request_rec *r, const ku_dir_conf_t *conf, const char *topic,
                        ku_v3_record_t *in, ku_v2_error_t *err);

#endif
