/* Unit tests for answer.c: each outcome a send can have, as the answer
 * README "Responses" gives it and the status page's reason. */
#include <string.h>

#include "answer.h"
#include "check.h"

static ku_send_result_t outcome(ku_send_outcome_t o, rd_kafka_resp_err_t err)
{
    ku_send_result_t res;

    memset(&res, 0, sizeof(res));
    res.outcome = o;
    res.err = err;
    return res;
}

/* The answer is status and error, with librdkafka's text for err (or none). */
static int is(ku_answer_t a, int status, const char *error, rd_kafka_resp_err_t err)
{
    const char *kafka = err ? rd_kafka_err2str(err) : NULL;

    return a.status == status && (error ? a.error && !strcmp(a.error, error) : !a.error)
           && (kafka ? a.kafka_error && !strcmp(a.kafka_error, kafka) : !a.kafka_error);
}

static void test_refused(void)
{
    ku_send_result_t res = outcome(KU_SEND_REFUSED, RD_KAFKA_RESP_ERR__QUEUE_FULL);
    ku_answer_t a = ku_answer_of(&res);

    CHECK("queue full: 503 local queue full",
          is(a, 503, "local queue full", RD_KAFKA_RESP_ERR__QUEUE_FULL)
          && a.reason == KU_REJECT_QUEUE_FULL);
    res.err = RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE;
    a = ku_answer_of(&res);
    CHECK("too large: 413 message too large",
          is(a, 413, "message too large", res.err) && a.reason == KU_REJECT_TOO_LARGE);
    res.err = RD_KAFKA_RESP_ERR__FATAL;
    a = ku_answer_of(&res);
    CHECK("fatal: 503 producer unusable",
          is(a, 503, "producer unusable", res.err) && a.reason == KU_REJECT_UNAVAILABLE);
    res.err = RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC;
    a = ku_answer_of(&res);
    CHECK("unknown topic when queued: 502 unknown topic, the broker's text",
          is(a, 502, "unknown topic", RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
          && a.reason == KU_REJECT_UNKNOWN_TOPIC);
    res.err = RD_KAFKA_RESP_ERR__INVALID_ARG;
    a = ku_answer_of(&res);
    CHECK("anything else: 503 producer unavailable",
          is(a, 503, "producer unavailable", res.err) && a.reason == KU_REJECT_UNAVAILABLE);
}

static void test_failed(void)
{
    ku_send_result_t res = outcome(KU_SEND_FAILED, RD_KAFKA_RESP_ERR__MSG_TIMED_OUT);

    res.persisted = RD_KAFKA_MSG_STATUS_NOT_PERSISTED;
    CHECK("timed out, never sent: 503 brokers unreachable",
          is(ku_answer_of(&res), 503, "brokers unreachable", res.err));
    res.broker_trouble = "broker authentication failed";
    CHECK("timed out, never sent, login refused: 503 with that trouble",
          is(ku_answer_of(&res), 503, "broker authentication failed", res.err));
    res.persisted = RD_KAFKA_MSG_STATUS_POSSIBLY_PERSISTED;
    CHECK("timed out in flight: 504 no acknowledgement in time",
          is(ku_answer_of(&res), 504, "no acknowledgement in time", res.err));
    res.err = RD_KAFKA_RESP_ERR__PURGE_INFLIGHT;
    CHECK("purged: 503 producer shutting down",
          is(ku_answer_of(&res), 503, "producer shutting down", res.err));
    res.err = RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS;
    CHECK("refused, possibly written: 504 delivery uncertain",
          is(ku_answer_of(&res), 504, "delivery uncertain", res.err));
    res.persisted = RD_KAFKA_MSG_STATUS_NOT_PERSISTED;
    CHECK("refused by the broker: 502 rejected by the broker",
          is(ku_answer_of(&res), 502, "rejected by the broker", res.err));
    res.err = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
    CHECK("unknown topic reported: 502 unknown topic",
          is(ku_answer_of(&res), 502, "unknown topic", res.err));
    res.err = RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE;
    CHECK("too large for the broker: 502 rejected by the broker",
          is(ku_answer_of(&res), 502, "rejected by the broker", res.err));
}

static void test_others(void)
{
    ku_send_result_t res = outcome(KU_SEND_DONE, RD_KAFKA_RESP_ERR_NO_ERROR);

    CHECK("done: 200", is(ku_answer_of(&res), 200, NULL, 0));
    res = outcome(KU_SEND_WAIT_OVER, RD_KAFKA_RESP_ERR__TIMED_OUT);
    CHECK("no report in the wait: 504 no acknowledgement in time",
          is(ku_answer_of(&res), 504, "no acknowledgement in time", res.err));
    res = outcome(KU_SEND_UNAVAILABLE, RD_KAFKA_RESP_ERR_NO_ERROR);
    res.unavailable = "spool full";
    CHECK("spool full: 503 spool full, no librdkafka text",
          is(ku_answer_of(&res), 503, "spool full", 0));
}

int main(void)
{
    test_refused();
    test_failed();
    test_others();
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
