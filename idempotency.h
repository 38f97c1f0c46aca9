/* SPDX-License-Identifier: Apache-2.0 */
/* idempotency.h: KafkaUpstreamIdempotency (README "Idempotency-Key"): a
 * request whose Idempotency-Key was answered before gets that answer again
 * and produces nothing; the answers live in shared memory
 * (idempotency_table.h) made by the parent and kept across graceful
 * restarts. */
#ifndef KU_IDEMPOTENCY_H
#define KU_IDEMPOTENCY_H

#include "httpd.h"
#include "http_config.h"
#include "apr_buckets.h"
#include <json-c/json.h>
#include "conf.h"

/* KafkaUpstreamIdempotency Off|On|Required [ttl-seconds] */
const char *ku_idem_set_mode(cmd_parms *cmd, void *conf, const char *mode, const char *ttl);
/* KafkaUpstreamIdempotencyTableSize entries (server config) */
const char *ku_idem_set_table_size(cmd_parms *cmd, void *conf, const char *arg);

/* Hooks: the answer-keeping filter, the table size reset at each reading
 * of the configuration. */
void ku_idem_register_hooks(apr_pool_t *p);

/* Parent: finds or makes the table (kept from the previous generation
 * when its size is unchanged). */
void ku_idem_post_config(apr_pool_t *ptemp, server_rec *s);

/* Before a request produces, with its body read: OK to go on (its answer
 * will be kept when it is a success), DONE when the kept answer was sent
 * again, or an error status (400, 409, 422, 503) with *error. */
int ku_idem_begin(request_rec *r, const ku_dir_conf_t *conf, const char *body,
                  apr_size_t body_len, const char **error);

/* Whether name is the Idempotency-Key header, which this Location puts in
 * its records itself (as idempotency-key) whatever the allow-list says. */
int ku_idem_owns_header(const ku_dir_conf_t *conf, const char *name);

/* Appends the request's Idempotency-Key (ku_header_t) to out when the
 * Location has idempotency on and the request has a key. */
void ku_idem_headers(request_rec *r, const ku_dir_conf_t *conf, apr_array_header_t *out);

/* The status page: {"idempotency": {...}} and the Prometheus counters. */
void ku_idem_status_json(json_object *o);
void ku_idem_status_prometheus(apr_bucket_brigade *bb);

#endif
