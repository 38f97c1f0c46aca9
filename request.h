/* SPDX-License-Identifier: Apache-2.0 */
/* request.h: what one request becomes: its topics, key, record headers,
 * envelope fields and records. The envelope itself is the
 * encoder's (httpd-free); this part reads the request_rec. */
#ifndef KU_REQUEST_H
#define KU_REQUEST_H

#include "httpd.h"
#include "conf.h"
#include "producer.h"

/* Whether a client may name topic: the Location's KafkaUpstreamTopic or one
 * of KafkaUpstreamAllowedTopics. */
int ku_topic_allowed(const ku_dir_conf_t *conf, const char *topic);

/* The topics this request asks for (KafkaUpstreamTopicsQueryArg), checked
 * against the allow-list: OK, or with *error 403 (a topic not allowed) or
 * 400 (the argument cannot be decoded). Needs no body. */
int ku_request_topics(request_rec *r, const ku_dir_conf_t *conf,
                      apr_array_header_t **topics, const char **error);

/* The request's headers the Location's record header rules select
 * (README "Record headers": On/Off, include, exclude, rename, repeated),
 * then its trace context (README "Trace context"), as ku_header_t in
 * r->pool; empty for none. Past max the count stops at max + 1: the
 * caller refuses the request then. */
apr_array_header_t *ku_request_record_headers(request_rec *r, const ku_dir_conf_t *conf,
                                              int max);

/* Builds the records for a request whose body was read: one per topic and
 * per split element, all in r->pool. Returns OK, or with *error a short,
 * safe detail: 400 (the body does not fit its format or schema, or the key's
 * query argument cannot be decoded), 503 or 500
 * (the schema registry cannot give its schema: ku_schema_encode), 500 (a
 * KafkaUpstreamMessageLua function failed or went beyond a bound); nothing is
 * produced then. A message a function dropped makes no record: *n may be
 * fewer than elements times topics, even 0. */
int ku_build_records(request_rec *r, const ku_dir_conf_t *conf,
                     const apr_array_header_t *topics, const char *body,
                     apr_size_t body_len, ku_record_t **records, int *n,
                     const char **error);

#endif
