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
#include "answer.h"

const char *ku_identity_set_mode(cmd_parms *cmd, void *conf, const char *arg);
const char *ku_identity_set_producers(cmd_parms *cmd, void *conf, const char *n,
                                      const char *idle);

/* KafkaUpstreamIdentity Bearer or Basic here. */
int ku_identity_enabled(const ku_dir_conf_t *conf);

/* The combinations apachectl -t refuses, or NULL. */
const char *ku_identity_check(apr_pool_t *p, const ku_dir_conf_t *conf);

/* A request that must wait for its records' delivery: its caller has not
 * yet written one of its topics (README "Identity passthrough"). */
typedef struct ku_identity_first ku_identity_first_t;

/* The caller's producer, authenticated and let see each of topics
 * (const char *) by Kafka, held until r ends. OK, or the status to answer
 * (401 with WWW-Authenticate set, 403, 503 with Retry-After) and *error.
 * *first is NULL, or says that the request must be sent as a sync one and
 * its outcome given to ku_identity_first_sent. */
int ku_identity_producer(request_rec *r, const ku_dir_conf_t *conf,
                         const apr_array_header_t *topics, ku_producer_t **kp,
                         ku_identity_first_t **first, const char **error);

/* A first request's records, delivered or not: each topic delivered to is
 * remembered as written by the caller; a record Kafka's ACLs refused is
 * answered 403. */
void ku_identity_first_sent(request_rec *r, const ku_identity_first_t *first,
                            const ku_record_t *records, ku_answer_t *answers, int n);

/* The status page's "identity" object (numbers only), when some section
 * produces as its callers. */
void ku_identity_status_json(json_object *o);

void ku_identity_register_hooks(apr_pool_t *p);

#endif
