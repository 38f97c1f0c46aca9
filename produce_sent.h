/* SPDX-License-Identifier: Apache-2.0 */
/* produce_sent.h: how many Produce requests a producer has sent, counted
 * by a librdkafka interceptor. librdkafka reports "not persisted" also for
 * a message that was sent and answered NOT_LEADER_OR_FOLLOWER, which Kafka
 * can answer after writing it (README "Responses"): a sync message is known
 * never sent only when no Produce request left its producer while it
 * waited. httpd-free. */
#ifndef KU_PRODUCE_SENT_H
#define KU_PRODUCE_SENT_H

#include <stdint.h>
#include <librdkafka/rdkafka.h>

typedef struct {
    uint64_t n; /* atomic: broker threads add, any thread reads */
} ku_produce_sent_t;

/* Counts into *count the Produce requests of the producer made from rkc;
 * *count must outlive that producer. Returns librdkafka's error, if any. */
rd_kafka_resp_err_t ku_produce_sent_attach(rd_kafka_conf_t *rkc, ku_produce_sent_t *count);

/* The Produce requests sent so far, completely written to a broker's
 * socket. */
uint64_t ku_produce_sent_count(ku_produce_sent_t *count);

#endif
