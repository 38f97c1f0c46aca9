/* SPDX-License-Identifier: Apache-2.0 */
/* produce_sent.c: a producer's Produce requests sent (see produce_sent.h). */
#include "produce_sent.h"

#define KU_INTERCEPTOR "ku-produce-sent"
#define KU_API_KEY_PRODUCE 0 /* ProduceRequest's ApiKey in Kafka's protocol */

/* Called on the broker thread once a request is written whole: before its
 * messages can be failed, retried or reported on. */
static rd_kafka_resp_err_t on_request_sent(rd_kafka_t *rk, int sockfd, const char *brokername,
                                           int32_t brokerid, int16_t api_key,
                                           int16_t api_version, int32_t corr_id, size_t size,
                                           void *opaque)
{
    ku_produce_sent_t *count = opaque;

    (void)rk, (void)sockfd, (void)brokername, (void)brokerid;
    (void)api_version, (void)corr_id, (void)size;
    if (api_key == KU_API_KEY_PRODUCE)
        __atomic_add_fetch(&count->n, 1, __ATOMIC_SEQ_CST);
    return RD_KAFKA_RESP_ERR_NO_ERROR;
}

static rd_kafka_resp_err_t on_new(rd_kafka_t *rk, const rd_kafka_conf_t *conf, void *opaque,
                                  char *errstr, size_t errstr_size)
{
    (void)conf, (void)errstr, (void)errstr_size;
    return rd_kafka_interceptor_add_on_request_sent(rk, KU_INTERCEPTOR, on_request_sent,
                                                    opaque);
}

rd_kafka_resp_err_t ku_produce_sent_attach(rd_kafka_conf_t *rkc, ku_produce_sent_t *count)
{
    return rd_kafka_conf_interceptor_add_on_new(rkc, KU_INTERCEPTOR, on_new, count);
}

uint64_t ku_produce_sent_count(ku_produce_sent_t *count)
{
    return __atomic_load_n(&count->n, __ATOMIC_SEQ_CST);
}
