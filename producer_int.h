/* SPDX-License-Identifier: Apache-2.0 */
/* producer_int.h: a producer's insides, shared by producer.c and
 * producer_own.c only (a caller's own producers, README "Identity
 * passthrough"). */
#ifndef KU_PRODUCER_INT_H
#define KU_PRODUCER_INT_H

#include <pthread.h>
#include "apr_thread_proc.h"
#include "log_limit.h"
#include "produce_sent.h"
#include "producer.h"

/* Topic handles a producer keeps; further topics are sent by name. */
#define KU_TOPICS_MAX 32

struct ku_producer {
    rd_kafka_t *rk;
    server_rec *server;         /* whose configuration made it: logs go there */
    const char *name;           /* for log lines: "<section> ([cluster ]<brokers>)", no secret */
    ku_stats_t *stats;          /* status page counters */
    ku_log_limit_t error_rl;    /* KU00003: connection and authentication errors */
    ku_log_limit_t log_rl;      /* KU00004: librdkafka's own log lines */
    /* Those two, or for a caller's producer (which closes before the child
     * exits, while limiters must live as long) the ones all callers share. */
    ku_log_limit_t *error_limit, *log_limit;
    int shutdown_timeout_ms;
    /* Messages queued and not yet reported on. Not rd_kafka_outq_len(),
     * which also counts pending events such as statistics. */
    apr_uint32_t in_queue;
    apr_thread_t *poll_thread;
    volatile int stopping;
    /* Why the brokers cannot be used, as the last connection error said;
     * NULL once a message was delivered. One of the static texts below. */
    const char *volatile broker_trouble;
    /* Touched by the poll thread only: */
    apr_uint64_t failed_unlogged;
    apr_time_t failure_logged_at;
    char last_failed_topic[256];
    const char *last_failure;   /* librdkafka's static error text */
    /* Topic handles, made once per topic: a send by topic name makes
     * librdkafka look the topic up under its handle-wide write lock, for
     * every message. Only added to (under topics_lock), published by
     * ntopics; names are malloc'd, freed at close with the handles. */
    struct {
        char *name;
        rd_kafka_topic_t *rkt;
    } topic[KU_TOPICS_MAX];
    volatile apr_uint32_t ntopics;
    pthread_mutex_t topics_lock;
    /* A caller's own producer (identity.c): its pool, freed at close, and
     * its Bearer token (malloc'd, wiped at close); NULL otherwise. */
    apr_pool_t *own_pool;
    ku_producer_bearer_t *bearer;
    volatile int login_refused; /* a SASL login failed (the OAuth token's too) */
    ku_produce_sent_t produce_sent; /* its Produce requests sent (answer.c's 503 or 504) */
};

/* Makes a producer in p: the conf's properties and extra ones (which
 * win), librdkafka's handle and the poll thread; bearer, when given, is
 * its OAUTHBEARER token (the producer's own copy). NULL and *error. */
ku_producer_t *ku_producer_make_in(apr_pool_t *p, const ku_dir_conf_t *conf, const char *key,
                                   const char *name, server_rec *s,
                                   const apr_array_header_t *extra,
                                   ku_producer_bearer_t *bearer, const char **error);

/* Stops its poll thread, flushes within its shutdown timeout, purges and
 * destroys it (its pool is the caller's to free). */
void ku_producer_shut(ku_producer_t *kp);
/* The same for n producers at once: flushed side by side, each within its
 * own shutdown timeout from the same start (child exit). */
void ku_producers_shut(ku_producer_t **kps, int n);

/* librdkafka declared it unusable (idempotence state lost). */
int ku_producer_is_fatal(ku_producer_t *kp);

/* Tells the observer (the spool), if any, of a new producer of the
 * registry (producer_registry.c). */
void ku_producer_announce(ku_producer_t *kp, const char *key, server_rec *s);

#endif
