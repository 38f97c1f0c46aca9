/* SPDX-License-Identifier: Apache-2.0 */
/* identity_pool.c: the per-child pool of per-identity producers (README
 * "Identity passthrough"). One mutex guards it: a request holds it for a
 * scan of at most KafkaUpstreamIdentityProducers slots, never while a
 * producer is made, checked or closed. */
#include <string.h>

#include "apr_thread_mutex.h"

#include "identity_pool.h"

typedef enum { SLOT_FREE, SLOT_MAKING, SLOT_READY, SLOT_DOOMED } ku_slot_state_t;

typedef struct {
    unsigned char key[KU_CRED_KEY_LEN];
    void *value;
    int busy;                   /* requests holding it */
    ku_slot_state_t state;
    apr_time_t last_used;
} ku_slot_t;

struct ku_idpool {
    apr_thread_mutex_t *lock;
    ku_slot_t *slot;
    int size;
    apr_interval_time_t idle;
    int (*in_flight)(void *value);
    apr_uint64_t made, evicted, idle_closed, refused;
};

ku_idpool_t *ku_idpool_make(apr_pool_t *p, int size, apr_interval_time_t idle,
                            int (*in_flight)(void *value))
{
    ku_idpool_t *pool = apr_pcalloc(p, sizeof(*pool));

    pool->slot = apr_pcalloc(p, sizeof(*pool->slot) * (apr_size_t)size);
    pool->size = size;
    pool->idle = idle;
    pool->in_flight = in_flight;
    apr_thread_mutex_create(&pool->lock, APR_THREAD_MUTEX_DEFAULT, p);
    return pool;
}

/* A ready slot no request holds and whose value has nothing in flight. */
static int is_unused(const ku_idpool_t *pool, const ku_slot_t *s)
{
    return s->state == SLOT_READY && !s->busy && !pool->in_flight(s->value);
}

static void take_value(ku_slot_t *s, void **closing, int *nclosing)
{
    closing[(*nclosing)++] = s->value;
    s->value = NULL;
    s->state = SLOT_FREE;
}

static void close_idle(ku_idpool_t *pool, apr_time_t now, void **closing, int *nclosing)
{
    int i;

    for (i = 0; i < pool->size; i++) {
        ku_slot_t *s = &pool->slot[i];
        if (is_unused(pool, s) && now - s->last_used >= pool->idle) {
            take_value(s, closing, nclosing);
            pool->idle_closed++;
        }
    }
}

static int find(const ku_idpool_t *pool, const unsigned char *key)
{
    int i;

    for (i = 0; i < pool->size; i++)
        if ((pool->slot[i].state == SLOT_READY || pool->slot[i].state == SLOT_MAKING)
            && !memcmp(pool->slot[i].key, key, KU_CRED_KEY_LEN))
            return i;
    return -1;
}

/* A free slot, else the least recently used unused one (its value then
 * goes to closing); -1 when every slot is busy. */
static int room(ku_idpool_t *pool, void **closing, int *nclosing)
{
    int i, lru = -1;

    for (i = 0; i < pool->size; i++) {
        if (pool->slot[i].state == SLOT_FREE)
            return i;
        if (is_unused(pool, &pool->slot[i])
            && (lru < 0 || pool->slot[i].last_used < pool->slot[lru].last_used))
            lru = i;
    }
    if (lru >= 0) {
        take_value(&pool->slot[lru], closing, nclosing);
        pool->evicted++;
    }
    return lru;
}

ku_idpool_result_t ku_idpool_acquire(ku_idpool_t *pool, const unsigned char key[KU_CRED_KEY_LEN],
                                     apr_time_t now, int *slot, void **value,
                                     void **closing, int *nclosing)
{
    ku_idpool_result_t result;
    int i;

    *nclosing = 0;
    *value = NULL;
    apr_thread_mutex_lock(pool->lock);
    close_idle(pool, now, closing, nclosing);
    if ((i = find(pool, key)) >= 0 && pool->slot[i].state == SLOT_MAKING)
        result = KU_IDPOOL_MAKING;
    else if (i >= 0) {
        pool->slot[i].busy++;
        pool->slot[i].last_used = now;
        *value = pool->slot[i].value;
        result = KU_IDPOOL_FOUND;
    }
    else if ((i = room(pool, closing, nclosing)) >= 0) {
        memcpy(pool->slot[i].key, key, KU_CRED_KEY_LEN);
        pool->slot[i].state = SLOT_MAKING;
        pool->slot[i].busy = 1;
        pool->slot[i].last_used = now;
        result = KU_IDPOOL_NEW;
    }
    else {
        pool->refused++;
        result = KU_IDPOOL_FULL;
    }
    *slot = i;
    apr_thread_mutex_unlock(pool->lock);
    return result;
}

void ku_idpool_fill(ku_idpool_t *pool, int slot, void *value)
{
    ku_slot_t *s = &pool->slot[slot];

    apr_thread_mutex_lock(pool->lock);
    s->value = value;
    if (value) {
        s->state = SLOT_READY;
        pool->made++;
    }
    else {
        s->state = SLOT_FREE;
        s->busy = 0;
    }
    apr_thread_mutex_unlock(pool->lock);
}

void *ku_idpool_release(ku_idpool_t *pool, int slot, int doom, apr_time_t now)
{
    ku_slot_t *s = &pool->slot[slot];
    void *closing = NULL;

    apr_thread_mutex_lock(pool->lock);
    if (doom)
        s->state = SLOT_DOOMED; /* no request finds it any more */
    s->busy--;
    s->last_used = now;
    if (s->state == SLOT_DOOMED && !s->busy) {
        closing = s->value;
        s->value = NULL;
        s->state = SLOT_FREE;
    }
    apr_thread_mutex_unlock(pool->lock);
    return closing;
}

int ku_idpool_drain(ku_idpool_t *pool, void **values)
{
    int i, n = 0;

    apr_thread_mutex_lock(pool->lock);
    for (i = 0; i < pool->size; i++) {
        if (pool->slot[i].value)
            values[n++] = pool->slot[i].value;
        pool->slot[i].value = NULL;
        pool->slot[i].state = SLOT_FREE;
    }
    apr_thread_mutex_unlock(pool->lock);
    return n;
}

void ku_idpool_counts(ku_idpool_t *pool, ku_idpool_counts_t *c)
{
    int i;

    apr_thread_mutex_lock(pool->lock);
    memset(c, 0, sizeof(*c));
    c->size = pool->size;
    for (i = 0; i < pool->size; i++)
        c->open += pool->slot[i].value != NULL;
    c->made = pool->made;
    c->evicted = pool->evicted;
    c->idle_closed = pool->idle_closed;
    c->refused = pool->refused;
    apr_thread_mutex_unlock(pool->lock);
}
