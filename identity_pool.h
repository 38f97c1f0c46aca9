/* SPDX-License-Identifier: Apache-2.0 */
/* identity_pool.h: a child's bounded pool of per-identity producers, keyed
 * by a credential's hash, least recently used evicted, idle ones closed
 * (README "Identity passthrough"). httpd-free and librdkafka-free: it
 * holds opaque values and hands back those to close. */
#ifndef KU_IDENTITY_POOL_H
#define KU_IDENTITY_POOL_H

#include "apr_pools.h"
#include "apr_time.h"
#include "identity_cred.h"

typedef struct ku_idpool ku_idpool_t;

/* in_flight(value): whether the value still has work (messages not yet
 * reported on); such a value is neither evicted nor closed when idle. */
ku_idpool_t *ku_idpool_make(apr_pool_t *p, int size, apr_interval_time_t idle,
                            int (*in_flight)(void *value));

typedef enum {
    KU_IDPOOL_FOUND,    /* *value is the identity's, held until released */
    KU_IDPOOL_NEW,      /* a slot is held for it: make the value, ku_idpool_fill() */
    KU_IDPOOL_MAKING,   /* another thread is making it: try again shortly */
    KU_IDPOOL_FULL      /* every slot is busy: refused */
} ku_idpool_result_t;

/* Takes the identity's slot (*slot, for fill and release). Values to
 * close (idle too long, or evicted for this one) are put in closing[]
 * (room for the pool's size) and counted in *nclosing: the caller closes
 * them, outside any lock. */
ku_idpool_result_t ku_idpool_acquire(ku_idpool_t *pool, const unsigned char key[KU_CRED_KEY_LEN],
                                     apr_time_t now, int *slot, void **value,
                                     void **closing, int *nclosing);

/* The made value (NULL: it could not be made; the slot is freed). */
void ku_idpool_fill(ku_idpool_t *pool, int slot, void *value);

/* Gives the slot back. doom: the identity is refused (its login failed):
 * the slot is freed, and its value returned once no one holds it
 * (then the caller closes it); else NULL. */
void *ku_idpool_release(ku_idpool_t *pool, int slot, int doom, apr_time_t now);

/* Closes nothing: hands back every value (child exit). */
int ku_idpool_drain(ku_idpool_t *pool, void **values);

typedef struct {
    int size, open;                 /* slots, producers open now */
    apr_uint64_t made, evicted, idle_closed, refused;
} ku_idpool_counts_t;
void ku_idpool_counts(ku_idpool_t *pool, ku_idpool_counts_t *counts);

#endif
