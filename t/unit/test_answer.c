/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for answer.c: each outcome a send can have, as the answer
 * README "Responses" gives it and the status page's reason. */
#include <string.h>

#include "answer.h"
#include "check.h"

#define NONE RD_KAFKA_RESP_ERR_NO_ERROR
#define NOT_PERSISTED RD_KAFKA_MSG_STATUS_NOT_PERSISTED
#define POSSIBLY RD_KAFKA_MSG_STATUS_POSSIBLY_PERSISTED
#define ANY_REASON KU_REJECT_COUNT  /* only a refusal's reason is counted */

static const struct {
    const char *label;
    ku_send_outcome_t outcome;
    rd_kafka_resp_err_t err;
    rd_kafka_msg_status_t persisted;
    int maybe_sent;                  /* a Produce request left while it waited */
    const char *why;                 /* broker trouble, or the unavailable text */
    int status;
    const char *error;
    rd_kafka_resp_err_t said;        /* whose librdkafka text the answer gives */
    ku_reject_t reason;
} cases[] = {
    { "done: 200", KU_SEND_DONE, NONE, 0, 0, NULL, 200, NULL, NONE, ANY_REASON },
    { "queue full: 503 local queue full", KU_SEND_REFUSED, RD_KAFKA_RESP_ERR__QUEUE_FULL, 0, 0,
      NULL, 503, "local queue full", RD_KAFKA_RESP_ERR__QUEUE_FULL, KU_REJECT_QUEUE_FULL },
    { "too large when queued: 413 message too large", KU_SEND_REFUSED,
      RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, 0, 0, NULL, 413, "message too large",
      RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, KU_REJECT_TOO_LARGE },
    { "fatal: 503 producer unusable", KU_SEND_REFUSED, RD_KAFKA_RESP_ERR__FATAL, 0, 0, NULL,
      503, "producer unusable", RD_KAFKA_RESP_ERR__FATAL, KU_REJECT_UNAVAILABLE },
    { "unknown topic when queued: 502, the broker's text", KU_SEND_REFUSED,
      RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC, 0, 0, NULL, 502, "unknown topic",
      RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, KU_REJECT_UNKNOWN_TOPIC },
    { "anything else when queued: 503 producer unavailable", KU_SEND_REFUSED,
      RD_KAFKA_RESP_ERR__INVALID_ARG, 0, 0, NULL, 503, "producer unavailable",
      RD_KAFKA_RESP_ERR__INVALID_ARG, KU_REJECT_UNAVAILABLE },
    { "timed out, never sent: 503 brokers unreachable", KU_SEND_FAILED,
      RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, NOT_PERSISTED, 0, NULL, 503, "brokers unreachable",
      RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, ANY_REASON },
    { "timed out, never sent, login refused: 503 says so", KU_SEND_FAILED,
      RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, NOT_PERSISTED, 0, "broker authentication failed", 503,
      "broker authentication failed", RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, ANY_REASON },
    { "timed out in flight: 504 no acknowledgement in time", KU_SEND_FAILED,
      RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, POSSIBLY, 0, NULL, 504, "no acknowledgement in time",
      RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, ANY_REASON },
    /* librdkafka's "not persisted" after a send: NOT_LEADER_OR_FOLLOWER,
     * which Kafka can answer after writing the batch. */
    { "timed out, not persisted but a request left meanwhile: 504", KU_SEND_FAILED,
      RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, NOT_PERSISTED, 1, NULL, 504,
      "no acknowledgement in time", RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, ANY_REASON },
    { "purged in the queue, never sent: 503 producer shutting down", KU_SEND_FAILED,
      RD_KAFKA_RESP_ERR__PURGE_QUEUE, NOT_PERSISTED, 0, NULL, 503, "producer shutting down",
      RD_KAFKA_RESP_ERR__PURGE_QUEUE, ANY_REASON },
    { "purged in the queue, a request left meanwhile: 504 delivery uncertain", KU_SEND_FAILED,
      RD_KAFKA_RESP_ERR__PURGE_QUEUE, NOT_PERSISTED, 1, NULL, 504, "delivery uncertain",
      RD_KAFKA_RESP_ERR__PURGE_QUEUE, ANY_REASON },
    { "purged in the queue, queued again after a send: 504 delivery uncertain", KU_SEND_FAILED,
      RD_KAFKA_RESP_ERR__PURGE_QUEUE, POSSIBLY, 0, NULL, 504, "delivery uncertain",
      RD_KAFKA_RESP_ERR__PURGE_QUEUE, ANY_REASON },
    { "purged in flight: 504 delivery uncertain", KU_SEND_FAILED,
      RD_KAFKA_RESP_ERR__PURGE_INFLIGHT, POSSIBLY, 1, NULL, 504, "delivery uncertain",
      RD_KAFKA_RESP_ERR__PURGE_INFLIGHT, ANY_REASON },
    { "refused, possibly written: 504 delivery uncertain", KU_SEND_FAILED,
      RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, POSSIBLY, 0, NULL, 504, "delivery uncertain",
      RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, ANY_REASON },
    { "too large for the broker: 502 rejected by the broker", KU_SEND_FAILED,
      RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, NOT_PERSISTED, 0, NULL, 502, "rejected by the broker",
      RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, ANY_REASON },
    { "unknown topic reported: 502 unknown topic", KU_SEND_FAILED,
      RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, NOT_PERSISTED, 0, NULL, 502, "unknown topic",
      RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, ANY_REASON },
    { "no report in the wait: 504 no acknowledgement in time", KU_SEND_WAIT_OVER,
      RD_KAFKA_RESP_ERR__TIMED_OUT, 0, 0, NULL, 504, "no acknowledgement in time",
      RD_KAFKA_RESP_ERR__TIMED_OUT, ANY_REASON },
    { "spool full: 503, no librdkafka text", KU_SEND_UNAVAILABLE, NONE, 0, 0, "spool full", 503,
      "spool full", NONE, ANY_REASON },
};

static int same(const char *a, const char *b)
{
    return a && b ? !strcmp(a, b) : a == b;
}

int main(void)
{
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ku_send_result_t res;
        ku_answer_t a;

        memset(&res, 0, sizeof(res));
        res.outcome = cases[i].outcome;
        res.err = cases[i].err;
        res.persisted = cases[i].persisted;
        res.maybe_sent = cases[i].maybe_sent;
        if (res.outcome == KU_SEND_FAILED)
            res.broker_trouble = cases[i].why;
        else
            res.unavailable = cases[i].why;
        a = ku_answer_of(&res);
        CHECK(cases[i].label,
              a.status == cases[i].status && same(a.error, cases[i].error)
              && same(a.kafka_error, cases[i].said ? rd_kafka_err2str(cases[i].said) : NULL)
              && (cases[i].reason == ANY_REASON || a.reason == cases[i].reason));
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
