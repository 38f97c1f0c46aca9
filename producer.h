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
#include "send_result.h"
#include "record_header.h"

typedef struct ku_producer ku_producer_t;


/* Sets up this child's (empty) registry; call from child_init. */
void ku_producers_init(apr_pool_t *pchild);

/* The producer for this conf: created at child_init for every configured
 * section, or now for a combination of sections first seen at request time.
 * NULL when it cannot be created; *error then says why. Its log lines go
 * to s, the server whose configuration it serves. */
ku_producer_t *ku_producer_for(apr_pool_t *p, const ku_dir_conf_t *conf,
                               server_rec *s, const char **error);


/* One record to produce, and what came of it. */
typedef struct ku_record {
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

/* Who keeps records beyond the producer (the spool): told of each producer
 * made (a replaced one's successor too) and given the delivery report of
 * each record it queued itself. Registered at child_init, before the
 * producers are made (as mod_md's md_event_subscribe); one at most. */
typedef struct {
    void (*producer_added)(ku_producer_t *kp, const char *key, server_rec *s,
                           const char *name);
    void (*delivered)(void *entry, int err);
} ku_producer_observer_t;
void ku_producer_observe(const ku_producer_observer_t *observer);

/* The observer's send of a record it keeps: queued with its entry, which
 * comes back to observer->delivered(). Returns librdkafka's refusal
 * (rec->result then says it) or 0.
 * first: a newly accepted record (counted), not a re-send. */
int ku_producer_queue_spooled(ku_producer_t *kp, ku_record_t *rec, void *entry, int first);

/* Counts a record the handler answered as refused on the status page, under
 * this producer (answer.c gives the reason). */
void ku_producer_count_rejected(ku_producer_t *kp, ku_reject_t reason);

/* A caller's own producer (README "Identity passthrough"): the conf's
 * properties and login (ku_prop_t: sasl.username, sasl.password ..., which
 * win), or a Bearer token presented over OAUTHBEARER. Kept outside the
 * registry, in a pool of its own; the caller (identity.c) closes it. The
 * token is copied (and wiped at close); login is the caller's to wipe
 * once this returns. NULL when it cannot be made: *error (in rp). */
typedef struct {
    char *token;
    char *principal;            /* a name librdkafka wants, never a key */
    int64_t expires_ms;
} ku_producer_bearer_t;
ku_producer_t *ku_producer_make_own(apr_pool_t *rp, const ku_dir_conf_t *conf, server_rec *s,
                                    const apr_array_header_t *login,
                                    const ku_producer_bearer_t *bearer, const char **error);
/* Flushes (within KafkaUpstreamShutdownTimeout), closes, wipes, frees. */
void ku_producer_close_own(ku_producer_t *kp);
void ku_producer_wipe_bearer(ku_producer_bearer_t *b);
/* Messages queued and not yet reported on. */
int ku_producer_in_flight(ku_producer_t *kp);
/* Why the brokers cannot be used (a static text), or NULL. */
const char *ku_producer_trouble(ku_producer_t *kp);
/* The brokers refused its login (SASL, or the OAuth token). */
int ku_producer_login_refused(ku_producer_t *kp);
/* Kafka's ACLs refused the write (topic or cluster authorization). */
int ku_producer_is_acl_refusal(rd_kafka_resp_err_t err);

/* librdkafka's handle of this producer (an rd_kafka_t), for code beside
 * the module that calls librdkafka itself: the test-only module
 * t/modules/mod_ku_test_hooks.c raises a fatal error through it. */
struct rd_kafka_s *ku_producer_handle(ku_producer_t *kp);

#endif
