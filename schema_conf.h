/* SPDX-License-Identifier: Apache-2.0 */
/* schema_conf.h: the KafkaUpstreamSchemaRegistry* and Kafka*Schema
 * directives (their values are set and read through conf.h). */
#ifndef KU_SCHEMA_CONF_H
#define KU_SCHEMA_CONF_H

#include "conf.h"

/* Directive handlers (rows in conf.c's ku_cmds). */
const char *ku_schema_set_url(cmd_parms *cmd, void *conf, const char *arg);
const char *ku_schema_set_auth(cmd_parms *cmd, void *conf, const char *mode,
                               const char *user, const char *secret);
const char *ku_schema_set_subject(cmd_parms *cmd, void *conf, const char *subject,
                                  const char *version, const char *message);
const char *ku_schema_set_payload(cmd_parms *cmd, void *conf, const char *arg);
/* KafkaUpstreamSchemaRegistryHeader name value: a header sent on every
 * registry request; value literal, file:PATH or env:NAME. */
const char *ku_schema_add_header(cmd_parms *cmd, void *conf, const char *name,
                                 const char *value);

/* The combination: a schema needs a registry. NULL or an error. */
const char *ku_schema_conf_check(apr_pool_t *p, const ku_dir_conf_t *c);

#endif
