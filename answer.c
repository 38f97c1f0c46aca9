/* SPDX-License-Identifier: Apache-2.0 */
/* answer.c: a send's outcome as the HTTP answer (see answer.h). */
#include <librdkafka/rdkafka.h>

#include "answer.h"

/* The HTTP statuses of "Responses" (httpd's names, without httpd.h). */
enum {
    HTTP_OK = 200,
    HTTP_REQUEST_ENTITY_TOO_LARGE = 413,
    HTTP_BAD_GATEWAY = 502,
    HTTP_SERVICE_UNAVAILABLE = 503,
    HTTP_GATEWAY_TIME_OUT = 504
};

static ku_answer_t answer(int status, const char *error, rd_kafka_resp_err_t err,
                          ku_reject_t reason)
{
    ku_answer_t a = { status, error, err ? rd_kafka_err2str(err) : NULL, reason };

    return a;
}

/* librdkafka did not queue it: nothing was sent. */
static ku_answer_t refused(rd_kafka_resp_err_t err)
{
    switch (err) {
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
        return answer(HTTP_SERVICE_UNAVAILABLE, "local queue full", err, KU_REJECT_QUEUE_FULL);
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
        return answer(HTTP_REQUEST_ENTITY_TOO_LARGE, "message too large", err,
                      KU_REJECT_TOO_LARGE);
    case RD_KAFKA_RESP_ERR__FATAL:
        return answer(HTTP_SERVICE_UNAVAILABLE, "producer unusable", err, KU_REJECT_UNAVAILABLE);
    default:
        return answer(HTTP_SERVICE_UNAVAILABLE, "producer unavailable", err,
                      KU_REJECT_UNAVAILABLE);
    }
}

/* Known never sent, so it will not arrive. librdkafka's "not persisted"
 * alone is not enough: it also says so of a message whose request the
 * broker answered NOT_LEADER_OR_FOLLOWER (or another error it takes for
 * "rejected before writing"), and Kafka can answer that after writing the
 * batch, when it loses leadership between the write and the answer, as in
 * a controlled shutdown (README "Responses"). A message no Produce request
 * can have carried was never sent. */
static int never_sent(const ku_send_result_t *res)
{
    return res->persisted == RD_KAFKA_MSG_STATUS_NOT_PERSISTED && !res->maybe_sent;
}

/* A sync message's delivery report said err. */
static ku_answer_t failed(const ku_send_result_t *res)
{
    switch (res->err) {
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
        /* Never sent, the brokers could not be reached: nothing will
         * arrive. Else it may have been written. */
        if (never_sent(res))
            return answer(HTTP_SERVICE_UNAVAILABLE,
                          res->broker_trouble ? res->broker_trouble : "brokers unreachable",
                          res->err, KU_REJECT_OTHER);
        return answer(HTTP_GATEWAY_TIME_OUT, "no acknowledgement in time", res->err,
                      KU_REJECT_OTHER);
    case RD_KAFKA_RESP_ERR__PURGE_QUEUE:
    case RD_KAFKA_RESP_ERR__PURGE_INFLIGHT:
        /* Purged before any send: nothing will arrive. Purged in flight,
         * or queued again after a send: it may have been written. */
        if (never_sent(res))
            return answer(HTTP_SERVICE_UNAVAILABLE, "producer shutting down", res->err,
                          KU_REJECT_OTHER);
        return answer(HTTP_GATEWAY_TIME_OUT, "delivery uncertain", res->err, KU_REJECT_OTHER);
    default:
        if (res->persisted == RD_KAFKA_MSG_STATUS_POSSIBLY_PERSISTED)
            return answer(HTTP_GATEWAY_TIME_OUT, "delivery uncertain", res->err,
                          KU_REJECT_OTHER);
        return answer(HTTP_BAD_GATEWAY, "rejected by the broker", res->err, KU_REJECT_OTHER);
    }
}

ku_answer_t ku_answer_of(const ku_send_result_t *res)
{
    /* The broker's word, however librdkafka learnt it (before sending or after). */
    if (res->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC
        || res->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
        return answer(HTTP_BAD_GATEWAY, "unknown topic", RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
                      KU_REJECT_UNKNOWN_TOPIC);
    switch (res->outcome) {
    case KU_SEND_DONE:
        return answer(HTTP_OK, NULL, RD_KAFKA_RESP_ERR_NO_ERROR, KU_REJECT_OTHER);
    case KU_SEND_REFUSED:
        return refused(res->err);
    case KU_SEND_FAILED:
        return failed(res);
    case KU_SEND_WAIT_OVER:
        return answer(HTTP_GATEWAY_TIME_OUT, "no acknowledgement in time", res->err,
                      KU_REJECT_OTHER);
    default:
        return answer(HTTP_SERVICE_UNAVAILABLE, res->unavailable, res->err, KU_REJECT_OTHER);
    }
}
