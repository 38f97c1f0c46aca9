/* SPDX-License-Identifier: Apache-2.0 */
/* Unit test for produce_sent.c with answer.c, on librdkafka's mock
 * cluster (README "Responses"): a sync message whose Produce requests the
 * broker answers NOT_LEADER_OR_FOLLOWER until its delivery timeout is
 * reported "not persisted" by librdkafka although it was sent, and Kafka
 * can give that answer after writing it: the count of requests sent says
 * it was sent, so the answer is 504, not 503. A message that times out
 * with no broker to send to is still 503. */
#include <string.h>
#include <time.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "answer.h"
#include "check.h"
#include "produce_sent.h"

#define TOPIC "ku-produce-sent"
#define API_KEY_PRODUCE 0
#define REFUSALS 1000 /* more than the delivery timeout leaves room for */

typedef struct {
    int done;
    rd_kafka_resp_err_t err;
    rd_kafka_msg_status_t status;
    uint64_t sent_then; /* the count when the report came */
} report_t;

static ku_produce_sent_t count;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    report_t *r = m->_private;

    (void)rk, (void)opaque;
    r->err = m->err;
    r->status = rd_kafka_message_status(m);
    r->sent_then = ku_produce_sent_count(&count);
    r->done = 1;
}

/* librdkafka's connection errors are expected here: not printed. */
static void quiet(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk, (void)level, (void)fac, (void)buf;
}

static void quiet_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    (void)rk, (void)err, (void)reason, (void)opaque;
}

static rd_kafka_t *producer(const char *name, const char *value)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char errstr[256];
    rd_kafka_t *rk;

    memset(&count, 0, sizeof(count));
    if (rd_kafka_conf_set(conf, name, value, errstr, sizeof(errstr))
        || rd_kafka_conf_set(conf, "enable.idempotence", "true", errstr, sizeof(errstr))
        || rd_kafka_conf_set(conf, "message.timeout.ms", "1500", errstr, sizeof(errstr))
        || rd_kafka_conf_set(conf, "retry.backoff.ms", "20", errstr, sizeof(errstr))
        || ku_produce_sent_attach(conf, &count)) {
        printf("conf: %s\n", errstr);
        return NULL;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_log_cb(conf, quiet);
    rd_kafka_conf_set_error_cb(conf, quiet_error);
    if (!(rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr))))
        printf("rd_kafka_new: %s\n", errstr);
    return rk;
}

/* Sends one message as producer.c does (the count noted before it is
 * queued) and waits for its report; the answer a sync request gets. */
static ku_answer_t send_one(rd_kafka_t *rk, report_t *r)
{
    ku_send_result_t res;
    uint64_t before = ku_produce_sent_count(&count);
    time_t give_up = time(NULL) + 15;

    memset(r, 0, sizeof(*r));
    memset(&res, 0, sizeof(res));
    if (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(TOPIC), RD_KAFKA_V_VALUE("x", 1),
                          RD_KAFKA_V_OPAQUE(r), RD_KAFKA_V_END))
        res.outcome = KU_SEND_REFUSED;
    while (res.outcome != KU_SEND_REFUSED && !r->done && time(NULL) < give_up)
        rd_kafka_poll(rk, 100);
    res.outcome = r->done ? (r->err ? KU_SEND_FAILED : KU_SEND_DONE) : KU_SEND_WAIT_OVER;
    res.err = r->err;
    res.persisted = r->status;
    res.maybe_sent = r->sent_then != before;
    return ku_answer_of(&res);
}

static void refused_after_sending(void)
{
    rd_kafka_t *rk = producer("test.mock.num.brokers", "1");
    rd_kafka_mock_cluster_t *mc = rk ? rd_kafka_handle_mock_cluster(rk) : NULL;
    rd_kafka_resp_err_t refusals[REFUSALS];
    report_t r;
    ku_answer_t a;
    size_t i;

    CHECK("mock cluster made", mc != NULL);
    if (!mc)
        return;
    rd_kafka_mock_topic_create(mc, TOPIC, 1, 1);
    for (i = 0; i < REFUSALS; i++)
        refusals[i] = RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION;
    rd_kafka_mock_push_request_errors_array(mc, API_KEY_PRODUCE, REFUSALS, refusals);
    a = send_one(rk, &r);
    CHECK("refused NOT_LEADER_OR_FOLLOWER until its timeout: timed out",
          r.err == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT);
    CHECK("librdkafka calls it not persisted, though it was sent",
          r.status == RD_KAFKA_MSG_STATUS_NOT_PERSISTED);
    CHECK("the Produce requests that carried it were counted",
          ku_produce_sent_count(&count) > 0);
    CHECK("answer: 504 no acknowledgement in time, never 503",
          a.status == 504 && !strcmp(a.error, "no acknowledgement in time"));
    rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_destroy(rk);
}

static void never_sent(void)
{
    /* Port 1 on the loopback: every connection is refused. */
    rd_kafka_t *rk = producer("bootstrap.servers", "127.0.0.1:1");
    report_t r;
    ku_answer_t a;

    if (!rk)
        return;
    a = send_one(rk, &r);
    CHECK("no broker: timed out, not persisted",
          r.err == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT
          && r.status == RD_KAFKA_MSG_STATUS_NOT_PERSISTED);
    CHECK("no broker: no Produce request counted", ku_produce_sent_count(&count) == 0);
    CHECK("no broker: answer 503 brokers unreachable",
          a.status == 503 && !strcmp(a.error, "brokers unreachable"));
    rd_kafka_destroy(rk);
}

int main(void)
{
    refused_after_sending();
    never_sent();
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
