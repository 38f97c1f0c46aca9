/* SPDX-License-Identifier: Apache-2.0 */
/* status_shm.h: the status page's shared memory, as status.c (the parent
 * makes it, children count into it) and status_page.c (the page reads it)
 * share it. Private to those two files. */
#ifndef KU_STATUS_SHM_H
#define KU_STATUS_SHM_H

#include "httpd.h"
#include "apr_hash.h"
#include "latency.h"
#include "status.h"

#define KU_NAME_LEN 256
#define KU_BROKERS 8            /* broker connections shown per producer and child */
#define KU_BROKER_LEN 96
#define KU_STATE_LEN 24


extern const char *const ku_reject_names[KU_REJECT_COUNT];

/* Requests are counted by the Location's KafkaUpstreamAPI (ku_api_t). */
#define KU_API_SLOTS (KU_API_REST_V3 + 1)
extern const char *const ku_api_names[KU_API_SLOTS];

typedef struct {
    char name[KU_NAME_LEN];     /* the producer's name: section, cluster, brokers */
    char server[KU_NAME_LEN];   /* host:port of the (virtual) server whose section it is */
    apr_uint64_t accepted;
    apr_uint64_t delivered;
    apr_uint64_t failed;
    apr_uint64_t rejected[KU_REJECT_COUNT];
    apr_uint64_t requests[KU_API_SLOTS];      /* handled, whatever the answer */
    apr_uint64_t latency_sum_us;
    apr_uint64_t latency_bucket[KU_BUCKETS];  /* not cumulative */
} ku_slot_t;

typedef struct {
    char name[KU_BROKER_LEN];
    char state[KU_STATE_LEN];
} ku_broker_t;

/* One child's gauges for one slot. brokers[] is guarded by a sequence
 * count (odd while written): its one writer is that child's poll thread. */
typedef struct {
    apr_int64_t queue_depth;
    apr_uint32_t seq;
    apr_uint32_t nbrokers;
    ku_broker_t brokers[KU_BROKERS];
} ku_gauge_t;

typedef struct {
    apr_uint32_t pid;           /* 0: free; | KU_CHILD_CLAIMING while taken */
    apr_uint32_t pad;
    apr_uint64_t started;       /* the child's start time (proc_identity.h) */
    /* ku_gauge_t gauges[nslots + 1] follow */
} ku_child_t;

/* Set in an entry's pid while a child takes it (pids stay below 2^22). */
#define KU_CHILD_CLAIMING 0x80000000u

typedef struct {
    apr_uint32_t nslots;        /* slots found by the walk; slot nslots: the rest */
    apr_uint32_t nchildren;
    apr_time_t created;
    apr_uint64_t misconfigured; /* requests to a location without cluster or topic */
    apr_uint64_t identity[KU_IDENTITY_COUNTERS]; /* callers' producers, every child's */
} ku_shm_header_t;

typedef struct {
    ku_shm_header_t *header;        /* NULL: no status page */
    ku_slot_t *slots;
    char *children;
    apr_size_t child_size;
    apr_hash_t *slot_by_key;    /* producer key -> 1 + slot index (pconf) */
    ku_child_t *me;             /* this child's entry */
    /* During post_config only: */
    apr_array_header_t *names, *servers;
} ku_shm_t;

/* This generation's segment, set by the parent in post_config. */
extern ku_shm_t ku_shm;

#define KU_SHM_ADD(field, n) __atomic_fetch_add(&(field), (n), __ATOMIC_RELAXED)
#define KU_SHM_LOAD(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)

/* Child entry i, and its gauges for a slot. */
ku_child_t *ku_status_child_at(apr_uint32_t i);
ku_gauge_t *ku_status_gauge_of(ku_child_t *c, apr_uint32_t slot);
/* Whether the child holding an entry still runs: a gone child's pid may
 * belong to another process by now (one killed with SIGKILL never frees
 * its entry), so its start time must match too. */
int ku_status_child_alive(const ku_child_t *c);

#endif
