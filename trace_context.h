/* SPDX-License-Identifier: Apache-2.0 */
/* trace_context.h: W3C Trace Context's traceparent, checked and made
 * (README "Trace context"). httpd-free. */
#ifndef KU_TRACE_CONTEXT_H
#define KU_TRACE_CONTEXT_H

#include <apr_pools.h>

/* Whether s is a traceparent a receiver may take (the specification's
 * format rules, future versions included); 0 for one it must drop. */
int ku_traceparent_valid(const char *s);

/* A new traceparent (version 00, sampled), from random bytes; NULL when
 * the system gives none. */
const char *ku_traceparent_new(apr_pool_t *p);

#endif
