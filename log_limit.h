/* SPDX-License-Identifier: Apache-2.0 */
/* log_limit.h: rate-limited logging, the one way the module keeps lines
 * that a flood of requests or messages could repeat from flooding the
 * error log. Two kinds:
 * - a limiter (ku_log_limit_t): at most KU_LOG_BURST lines per
 *   KU_LOG_WINDOW seconds; what it holds back is counted and told in one
 *   KU00016 line when the window ends (at its next line, or at the next
 *   ku_log_limits_tick());
 * - an interval (ku_log_due()): for a summary line ("N messages failed")
 *   that is due at most once per interval;
 * - a latch (ku_log_once(), log_once.h): a line logged once until it is
 *   re-armed, and a set of them by cause (ku_log_first_of_cause()): once
 *   per cause. */
#ifndef KU_LOG_LIMIT_H
#define KU_LOG_LIMIT_H

#include "httpd.h"
#include "apr_atomic.h"
#include "log_once.h"

#define KU_LOG_BURST 10
#define KU_LOG_WINDOW 10

typedef struct ku_log_limit {
    apr_uint32_t window;        /* seconds / KU_LOG_WINDOW */
    apr_uint32_t used;
    apr_uint32_t suppressed;
    apr_uint32_t level;         /* of the last held-back line */
    const char *what;           /* names the lines in KU00016: "KU00003 (producer ...)" */
    server_rec *server;         /* where the held-back count is told */
    apr_uint32_t listed;        /* on the child's list, which ticks close windows on */
    struct ku_log_limit *next;
} ku_log_limit_t;

/* A limiter for lines tagged what, e.g. static ku_log_limit_t rl = KU_LOG_LIMIT("KU00008"); */
#define KU_LOG_LIMIT(what) { 0, 0, 0, 0, (what), NULL, 0, NULL }

/* Whether a line at level for s may be logged now. False also when s would
 * not log that level anyway (so that those do not use up the burst). The
 * limiter must live until the child exits. */
int ku_log_allowed(ku_log_limit_t *rl, server_rec *s, int level);

/* Closes the windows that are over, on every limiter used in this child:
 * held-back counts are told even when no further line comes. Any thread
 * may call it as often as it likes: it walks the limiters once per window. */
void ku_log_limits_tick(void);

/* Whether a line due at most once per interval may be logged now; if so,
 * *last becomes now. Callers serialise (one thread per *last). */
int ku_log_due(apr_time_t *last, apr_interval_time_t interval);

/* The causes a line was logged for; callers serialise. */
#define KU_LOG_CAUSES 16
typedef struct {
    const char *cause[KU_LOG_CAUSES];
} ku_log_causes_t;

/* Whether cause (a static text) is new to the set, which then holds it.
 * Once the set is full, every further cause is new each time: a line too
 * many rather than one lost. */
int ku_log_first_of_cause(ku_log_causes_t *set, const char *cause);

#endif
