/* SPDX-License-Identifier: Apache-2.0 */
/* log_once.h: log_limit.h's latch, httpd-free so that the core (the
 * schema registry client) uses it too: a line logged once, then not
 * again until the latch is re-armed (a failure streak ended, a restart). */
#ifndef KU_LOG_ONCE_H
#define KU_LOG_ONCE_H

#include "apr_atomic.h"

typedef struct {
    apr_uint32_t fired;
} ku_log_once_t;

/* A latch, armed: static ku_log_once_t warned = KU_LOG_ONCE_ARMED; */
#define KU_LOG_ONCE_ARMED { 0 }

/* True the first time after the latch was armed; any thread. */
static APR_INLINE int ku_log_once(ku_log_once_t *o)
{
    return apr_atomic_cas32(&o->fired, 1, 0) == 0;
}

static APR_INLINE void ku_log_once_rearm(ku_log_once_t *o)
{
    apr_atomic_set32(&o->fired, 0);
}

#endif
