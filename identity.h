/* SPDX-License-Identifier: Apache-2.0 */
/* identity.h: KafkaUpstreamIdentity, a Location that produces as the
 * caller (README "Identity passthrough"): the directives, their checks and
 * the request's producer from the child's pool. */
#ifndef KU_IDENTITY_H
#define KU_IDENTITY_H

#include "httpd.h"
#include "http_config.h"
#include <json-c/json.h>
#include "conf.h"
#include "producer.h"

const char *ku_identity_set_mode(cmd_parms *cmd, void *conf, const char *arg);
const char *ku_identity_set_producers(cmd_parms *cmd, void *conf, const char *n,
                                      const char *idle);

/* KafkaUpstreamIdentity Bearer or Basic here. */
int ku_identity_enabled(const ku_dir_conf_t *conf);

/* The combinations apachectl -t refuses, or NULL. */
const char *ku_identity_check(apr_pool_t *p, const ku_dir_conf_t *conf);

/* The caller's producer, authenticated and let write each of topics
 * (const char *) by Kafka, held until r ends. OK, or the status to answer
 * (401 with WWW-Authenticate set, 403, 503 with Retry-After) and *error. */
int ku_identity_producer(request_rec *r, const ku_dir_conf_t *conf,
                         const apr_array_header_t *topics, ku_producer_t **kp,
                         const char **error);

/* The status page's "identity" object (numbers only), when some section
 * produces as its callers. */
void ku_identity_status_json(json_object *o);

void ku_identity_register_hooks(apr_pool_t *p);

#endif
