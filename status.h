/* SPDX-License-Identifier: Apache-2.0 */
/* status.h: the status page's counters (README "Status page").
 *
 * Counters live in anonymous shared memory made by the parent in
 * post_config, one slot per distinct producer configuration; every child
 * adds to them with atomics, and publishes its own gauges (queue depth,
 * broker states) in an entry of its own. `SetHandler kafka-upstream-status`
 * shows them summed over all children, as JSON or Prometheus text. */
#ifndef KU_STATUS_H
#define KU_STATUS_H

#include <stddef.h>
#include "httpd.h"
#include "apr_atomic.h"
#include <librdkafka/rdkafka.h>
#include "conf.h"
#include "reject.h"


/* --- hooks --------------------------------------------------------------------- */

/* The handler. */
void ku_status_register_hooks(apr_pool_t *p);

/* Parent: the shared memory for this generation, one slot per producer
 * configuration. Failure is logged; the module then runs without a status
 * page. */
int ku_status_post_config(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s);

/* Child: takes an entry for its gauges, freed at child exit. */
void ku_status_child_init(apr_pool_t *pchild, server_rec *s);

/* --- per producer (producer.c) ---------------------------------------------------- */

typedef struct ku_stats ku_stats_t;

/* The counters for the producer with this key (ku_conf_producer_key), in p.
 * Never NULL; without shared memory its counts go nowhere. With gauges 0
 * (a caller's producer, which shares its section's slot) it counts but
 * publishes no queue depth or broker states: those are the section's own
 * producer's. */
ku_stats_t *ku_status_attach(apr_pool_t *p, const char *key, const char *name,
                             server_rec *s, int gauges);

/* Asks librdkafka for statistics (broker states) unless the configuration
 * already set statistics.interval.ms. */
void ku_status_conf(rd_kafka_conf_t *rkc);

/* librdkafka's statistics JSON: broker states, read and dropped. */
void ku_status_stats(ku_stats_t *st, const char *json, size_t len);

/* From the poll thread, often: publishes the queue depth (queued: the
 * producer's messages not yet reported on; at most every 100 ms). */
void ku_status_tick(ku_stats_t *st, apr_uint32_t queued);

void ku_status_accepted(ku_stats_t *st);
void ku_status_count_rejected(ku_stats_t *st, ku_reject_t reason);
/* A delivery report: delivered or failed; latency in µs (<0: unknown). */
void ku_status_delivered(ku_stats_t *st, int failed, int64_t latency_us);


/* --- per request (the handler) ----------------------------------------------------- */

/* A request a complete Location handles, counted by its dialect
 * (KafkaUpstreamAPI: kong, rest-v2, rest-v3). */
void ku_status_count_request(apr_pool_t *p, const ku_dir_conf_t *conf);

/* A request refused before any record was queued, for this reason. */
/* Callers' producers (identity.c), counted over every child: made,
 * closed (evicted, idle, refused login, child exit), new callers refused
 * because every producer of a child was busy. */
typedef enum { KU_IDENTITY_MADE, KU_IDENTITY_CLOSED, KU_IDENTITY_BUSY, KU_IDENTITY_COUNTERS }
    ku_identity_counter_t;
void ku_status_identity_count(ku_identity_counter_t counter);
/* 0 without a status page. */
apr_uint64_t ku_status_identity(ku_identity_counter_t counter);

void ku_status_count_request_rejected(apr_pool_t *p, const ku_dir_conf_t *conf,
                                      ku_reject_t reason);

#endif
