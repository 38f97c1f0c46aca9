/* SPDX-License-Identifier: Apache-2.0 */
/* producer.h: one librdkafka producer per distinct cluster configuration
 * per child, its poll thread, sends and the bounded shutdown. */
#ifndef KU_PRODUCER_H
#define KU_PRODUCER_H

#include <stdint.h>
#include "httpd.h"
#include <librdkafka/rdkafka.h>
#include "conf.h"
#include "status.h"

typedef struct ku_producer ku_producer_t;

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
    const char *broker_trouble;     /* KU_SEND_FAILED: why the brokers cannot be used,
                                     * as the last connection error said, or NULL */
    const char *unavailable;        /* KU_SEND_UNAVAILABLE: "spool full", ... */
    int32_t partition;              /* sync success only */
    int64_t offset;                 /* sync success only */
    int64_t timestamp;              /* sync: the record's, ms since the epoch; -1 unknown */
} ku_send_result_t;

/* Sets up this child's (empty) registry; call from child_init. */
void ku_producers_init(apr_pool_t *pchild);

/* The producer for this conf: created at child_init for every configured
 * section, or now for a combination of sections first seen at request time.
 * NULL when it cannot be created; *error then says why. Its log lines go
 * to s, the server whose configuration it serves. */
ku_producer_t *ku_producer_for(apr_pool_t *p, const ku_dir_conf_t *conf,
                               server_rec *s, const char **error);

/* A Kafka record header. */
typedef struct {
    const char *name;
    const char *value;
    size_t value_len;                   /* 0: strlen(value); more: bytes with NULs */
} ku_header_t;

/* One record to produce, and what came of it. */
typedef struct {
    const char *topic;
    const char *key;                    /* NULL: no key */
    size_t key_len;
    const void *value;
    size_t len;
    const apr_array_header_t *headers;  /* ku_header_t, or NULL */
    int has_partition;                  /* 0: the partitioner chooses */
    int32_t partition;
    int64_t timestamp;                  /* ms since the epoch; 0: now */
    ku_send_result_t result;
} ku_record_t;

/* Queues the records (librdkafka copies them) and fills in each result.
 * Async: returns once queued. Sync: waits for every delivery report, all
 * within wait_ms. p holds bookkeeping for the call only. */
void ku_producer_send(ku_producer_t *kp, ku_record_t *records, int n, int sync,
                      int wait_ms, apr_pool_t *p);

/* The spool's send of a record it keeps (spool.c): queued with the spool's
 * tagged entry as opaque, which comes back to ku_spool_delivered(). Returns
 * librdkafka's refusal (rec->result then says it) or 0.
 * first: a newly accepted record (counted), not a re-send. */
int ku_producer_queue_spooled(ku_producer_t *kp, ku_record_t *rec, void *entry, int first);

/* Counts a record the handler answered as refused on the status page, under
 * this producer (answer.c gives the reason). */
void ku_producer_count_rejected(ku_producer_t *kp, ku_reject_t reason);

/* librdkafka's handle of this producer (an rd_kafka_t), for code beside
 * the module that calls librdkafka itself: the test-only module
 * t/modules/mod_ku_test_hooks.c raises a fatal error through it. */
struct rd_kafka_s *ku_producer_handle(ku_producer_t *kp);

#endif
