/* SPDX-License-Identifier: Apache-2.0 */
/* cloudevents_req.h: KafkaUpstreamCloudEvents, and the records a
 * CloudEvents request makes (README "CloudEvents"). */
#ifndef KU_CLOUDEVENTS_REQ_H
#define KU_CLOUDEVENTS_REQ_H

#include "httpd.h"
#include "http_config.h"
#include "conf.h"
#include "producer.h"

/* KafkaUpstreamCloudEvents Off|On|Binary */
const char *ku_ce_set_mode(cmd_parms *cmd, void *conf, const char *arg);

/* Whether the Location reads its requests as CloudEvents. */
int ku_ce_enabled(const ku_dir_conf_t *conf);

/* The records of a CloudEvents request: one per event and topic, keyed by
 * the partitionkey attribute (else key), with headers (the request's own,
 * or NULL) and the event's. OK, or with *error naming the attribute at
 * fault: 400 (the event is not valid), 413 (more records than
 * KafkaUpstreamMaxRecords), 415 (an event format other than JSON), 431
 * (more record headers than KafkaUpstreamMaxRecordHeaders). */
int ku_ce_build_records(request_rec *r, const ku_dir_conf_t *conf,
                        const apr_array_header_t *topics, const char *body,
                        apr_size_t body_len, const char *key, apr_size_t key_len,
                        const apr_array_header_t *headers, ku_record_t **records, int *n,
                        const char **error);

#endif
