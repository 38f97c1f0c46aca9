/* SPDX-License-Identifier: Apache-2.0 */
/* producer_registry.c: a child's producers by configuration (README
 * "Process model"): one per producer key, made at child_init or at the
 * first request of a combination of sections, replaced after a fatal
 * error, all flushed and closed at child exit; and the request path's
 * lock-free cache in front of them. The producer itself: producer.c. */
#include <string.h>

#include "apr_atomic.h"
#include "apr_hash.h"
#include "apr_strings.h"
#include "apr_thread_rwlock.h"
#include "httpd.h"
#include "http_log.h"
#include "librdkafka/rdkafka.h"

#include "conf_props.h"
#include "producer.h"
#include "producer_int.h"

static struct {
    apr_pool_t *pool;           /* pchild */
    apr_hash_t *by_key;         /* producer key -> ku_producer_t */
    apr_array_header_t *all;    /* every producer made, replaced ones too */
    apr_thread_rwlock_t *lock;
} registry;

/* The request path's way to a producer, without building the producer key
 * (some 25 properties joined) and without a lock: the conf's producer id
 * (conf.h), compared byte for byte. Entries are only added (under the
 * registry's write lock) and published by the count; a full cache sends
 * further confs down the keyed path. */
#define KU_CACHE_SIZE 64

typedef struct {
    ku_conf_producer_id_t id;
    ku_producer_t *volatile kp;
} ku_cache_entry_t;

static struct {
    ku_cache_entry_t entry[KU_CACHE_SIZE];
    volatile apr_uint32_t n;
} cache;

/* Child exit: stop the poll threads, flush (bounded), purge, destroy. */
static apr_status_t close_producers(void *unused)
{
    ku_producers_shut((ku_producer_t **)registry.all->elts, registry.all->nelts);
    return APR_SUCCESS;
}

/* Creates a producer in the registry pool. Caller holds the write lock. */
static ku_producer_t *producer_create(const ku_dir_conf_t *conf, const char *key,
                                      server_rec *s, const char **error)
{
    apr_pool_t *p = registry.pool;
    ku_producer_t *kp = ku_producer_make_in(p, conf, key, ku_conf_producer_name(p, conf), s,
                                      NULL, NULL, error);

    if (!kp)
        return NULL;
    ku_producer_announce(kp, key, s);
    APR_ARRAY_PUSH(registry.all, ku_producer_t *) = kp;
    apr_hash_set(registry.by_key, apr_pstrdup(p, key), APR_HASH_KEY_STRING, kp);
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, kp->server,
                 "KU00006: producer %s created", kp->name);
    return kp;
}

void ku_producers_init(apr_pool_t *pchild)
{
    apr_atomic_set32(&cache.n, 0);
    registry.pool = pchild;
    registry.by_key = apr_hash_make(pchild);
    registry.all = apr_array_make(pchild, 8, sizeof(ku_producer_t *));
    apr_thread_rwlock_create(&registry.lock, pchild);
    apr_pool_cleanup_register(pchild, NULL, close_producers, apr_pool_cleanup_null);
}

/* Creates the producer for key, in place of a fatally failed one if any.
 * The failed one is left to child exit: other threads may still hold it,
 * and its queued messages have already failed. Caller holds the write lock. */
static ku_producer_t *replace_producer(const ku_dir_conf_t *conf, const char *key,
                                       server_rec *s, ku_producer_t *failed,
                                       const char **error)
{
    ku_producer_t *kp = producer_create(conf, key, s, error);

    if (kp && failed)
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "KU00015: producer %s replaced "
                     "after a fatal error", kp->name);
    return kp;
}

static ku_cache_entry_t *cache_find(const ku_conf_producer_id_t *id)
{
    apr_uint32_t i, n = apr_atomic_read32(&cache.n);

    for (i = 0; i < n; i++)
        if (!memcmp(&cache.entry[i].id, id, sizeof(*id)))
            return &cache.entry[i];
    return NULL;
}

/* Caller holds the write lock. Points the entry for id, and every entry
 * that pointed to the failed producer, to kp. */
static void cache_store(const ku_conf_producer_id_t *id, ku_producer_t *kp,
                        ku_producer_t *failed)
{
    apr_uint32_t i, n = apr_atomic_read32(&cache.n);
    ku_cache_entry_t *e = cache_find(id);

    for (i = 0; failed && i < n; i++)
        if (cache.entry[i].kp == failed)
            apr_atomic_xchgptr((volatile void **)(void *)&cache.entry[i].kp, kp);
    if (e) {
        apr_atomic_xchgptr((volatile void **)(void *)&e->kp, kp);
        return;
    }
    if (n == KU_CACHE_SIZE)
        return;
    cache.entry[n].id = *id;
    cache.entry[n].kp = kp;
    apr_atomic_set32(&cache.n, n + 1); /* publishes the entry */
}

ku_producer_t *ku_producer_for(apr_pool_t *p, const ku_dir_conf_t *conf,
                               server_rec *s, const char **error)
{
    ku_conf_producer_id_t id;
    ku_cache_entry_t *e;
    ku_producer_t *kp, *failed;
    const char *key;

    ku_conf_producer_id(conf, &id);
    if ((e = cache_find(&id)) && (kp = e->kp) && !ku_producer_is_fatal(kp))
        return kp;

    key = ku_conf_producer_key(p, conf);
    apr_thread_rwlock_rdlock(registry.lock);
    kp = apr_hash_get(registry.by_key, key, APR_HASH_KEY_STRING);
    apr_thread_rwlock_unlock(registry.lock);
    if (kp && !ku_producer_is_fatal(kp) && apr_atomic_read32(&cache.n) == KU_CACHE_SIZE)
        return kp;

    apr_thread_rwlock_wrlock(registry.lock);
    kp = failed = apr_hash_get(registry.by_key, key, APR_HASH_KEY_STRING);
    if (!kp || ku_producer_is_fatal(kp))
        kp = replace_producer(conf, key, s, kp, error);
    else
        failed = NULL;
    if (kp)
        cache_store(&id, kp, failed);
    apr_thread_rwlock_unlock(registry.lock);
    return kp;
}
