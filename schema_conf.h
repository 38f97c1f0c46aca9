/* SPDX-License-Identifier: Apache-2.0 */
/* schema_conf.h: the KafkaUpstreamSchemaRegistry* and Kafka*Schema
 * directives (their values are set and read through conf.h). */
#ifndef KU_SCHEMA_CONF_H
#define KU_SCHEMA_CONF_H

#include "conf.h"

const char *ku_schema_set_url(cmd_parms *cmd, void *conf, const char *arg);
const char *ku_schema_set_auth(cmd_parms *cmd, void *conf, const char *mode,
                               const char *user, const char *secret);
const char *ku_schema_set_subject(cmd_parms *cmd, void *conf, const char *subject,
                                  const char *version, const char *message);
const char *ku_schema_set_payload(cmd_parms *cmd, void *conf, const char *arg);

/* Entries of conf.c's directive table. */
#define KU_SCHEMA_CMDS \
    AP_INIT_TAKE1("KafkaUpstreamSchemaRegistry", ku_schema_set_url, NULL, \
                  RSRC_CONF | ACCESS_CONF, \
                  "http(s) URL of a Confluent-compatible Schema Registry " \
                  "(Kong schema_registry.confluent.url)"), \
    AP_INIT_TAKE13("KafkaUpstreamSchemaRegistryAuth", ku_schema_set_auth, NULL, \
                   RSRC_CONF | ACCESS_CONF, \
                   "none, or basic USER SECRET (SECRET literal, file:PATH or env:NAME)"), \
    AP_INIT_TAKE123("KafkaUpstreamValueSchema", ku_schema_set_subject, \
                    (void *)(intptr_t)KU_STR_VALUE_SUBJECT, RSRC_CONF | ACCESS_CONF, \
                    "subject [version|latest] [message=pkg.Name]: encode the value with this " \
                    "schema (Kong value_schema)"), \
    AP_INIT_TAKE123("KafkaUpstreamKeySchema", ku_schema_set_subject, \
                    (void *)(intptr_t)KU_STR_KEY_SUBJECT, RSRC_CONF | ACCESS_CONF, \
                    "subject [version|latest] [message=pkg.Name]: encode the key with this " \
                    "schema (Kong key_schema)"), \
    AP_INIT_TAKE1("KafkaUpstreamSchemaPayload", ku_schema_set_payload, NULL, \
                  RSRC_CONF | ACCESS_CONF, \
                  "avro_json (unions tagged) or simple_json (Kong payload_encoding)"),

/* The combination: a schema needs a registry. NULL or an error. */
const char *ku_schema_conf_check(apr_pool_t *p, const ku_dir_conf_t *c);

#endif
