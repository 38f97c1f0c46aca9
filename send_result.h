/* SPDX-License-Identifier: Apache-2.0 */
/* send_result.h: what came of a send (producer.c fills it in, answer.c
 * makes it the HTTP answer); httpd-free, so answer.c is unit tested
 * without httpd. */
#ifndef KU_SEND_RESULT_H
#define KU_SEND_RESULT_H

#include <stdint.h>
#include <librdkafka/rdkafka.h>

/* What came of a send, as Kafka (or the module) said it; answer.c makes
 * it the HTTP answer. */
typedef enum {
    KU_SEND_DONE,           /* async: queued; sync: acknowledged */
    KU_SEND_REFUSED,        /* librdkafka did not queue it: err says why */
    KU_SEND_FAILED,         /* sync: its delivery report says err */
    KU_SEND_WAIT_OVER,      /* sync: no delivery report within the wait */
    KU_SEND_UNAVAILABLE     /* never handed to librdkafka: unavailable says why */
} ku_send_outcome_t;

typedef struct {
    ku_send_outcome_t outcome;
    rd_kafka_resp_err_t err;        /* librdkafka's error, 0 when none */
    rd_kafka_msg_status_t persisted; /* KU_SEND_FAILED: whether the broker may have it */
    int maybe_sent;                 /* KU_SEND_FAILED: a Produce request left the producer
                                     * while it waited, so it may have carried it
                                     * (produce_sent.h), whatever persisted says */
    const char *broker_trouble;     /* KU_SEND_FAILED: why the brokers cannot be used,
                                     * as the last connection error said, or NULL */
    const char *unavailable;        /* KU_SEND_UNAVAILABLE: "spool full", ... */
    int32_t partition;              /* sync success only */
    int64_t offset;                 /* sync success only */
    int64_t timestamp;              /* sync: the record's, ms since the epoch; -1 unknown */
} ku_send_result_t;

#endif
