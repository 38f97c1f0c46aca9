/* SPDX-License-Identifier: Apache-2.0 */
/* log_limit.c: rate-limited logging (see log_limit.h). */
#include <string.h>

#include "httpd.h"
#include "http_log.h"

#include "mod_kafka_upstream.h"
#include "log_limit.h"

/* The limiters used in this child, newest first; only ever added to. */
static ku_log_limit_t *volatile used_limiters;

static apr_uint32_t window_now(void)
{
    return (apr_uint32_t)(apr_time_sec(apr_time_now()) / KU_LOG_WINDOW);
}

/* Ends the limiter's window when its time is over, telling what it held back. */
static void roll(ku_log_limit_t *rl, apr_uint32_t now)
{
    apr_uint32_t window = apr_atomic_read32(&rl->window);
    apr_uint32_t n;

    if (window == now || apr_atomic_cas32(&rl->window, now, window) != window)
        return;
    apr_atomic_set32(&rl->used, 0);
    if ((n = apr_atomic_xchg32(&rl->suppressed, 0)) > 0)
        ap_log_error(APLOG_MARK, (int)apr_atomic_read32(&rl->level), 0, rl->server,
                     "KU00016: %u %s line(s) were not logged in the last %d s "
                     "(at most %d are)", n, rl->what, KU_LOG_WINDOW, KU_LOG_BURST);
}

static void list_once(ku_log_limit_t *rl)
{
    ku_log_limit_t *head;

    if (apr_atomic_cas32(&rl->listed, 1, 0) != 0)
        return;
    do {
        head = used_limiters;
        rl->next = head;
    } while (apr_atomic_casptr((volatile void **)&used_limiters, rl, head) != head);
}

int ku_log_allowed(ku_log_limit_t *rl, server_rec *s, int level)
{
    if (!APLOG_IS_LEVEL(s, level))
        return 0;
    rl->server = s;
    list_once(rl);
    roll(rl, window_now());
    if (apr_atomic_inc32(&rl->used) < KU_LOG_BURST)
        return 1;
    apr_atomic_set32(&rl->level, (apr_uint32_t)level);
    apr_atomic_inc32(&rl->suppressed);
    return 0;
}

/* Every producer's poll thread calls this ten times a second, but the
 * limiters are the child's, not a producer's: the first call in a new
 * window walks them, once per child, and the others return at once. No
 * thread of its own: a child without producers has no poll loop, and
 * then its held-back counts wait for its next line, as they always did. */
void ku_log_limits_tick(void)
{
    static apr_uint32_t ticked;     /* the window last walked */
    apr_uint32_t now = window_now(), last = apr_atomic_read32(&ticked);
    ku_log_limit_t *rl;

    if (last == now || apr_atomic_cas32(&ticked, now, last) != last)
        return;
    for (rl = used_limiters; rl; rl = rl->next)
        roll(rl, now);
}

int ku_log_due(apr_time_t *last, apr_interval_time_t interval)
{
    apr_time_t now = apr_time_now();

    if (*last && now - *last < interval)
        return 0;
    *last = now;
    return 1;
}

int ku_log_first_of_cause(ku_log_causes_t *set, const char *cause)
{
    int i;

    for (i = 0; i < KU_LOG_CAUSES && set->cause[i]; i++)
        if (!strcmp(set->cause[i], cause))
            return 0;
    if (i < KU_LOG_CAUSES)
        set->cause[i] = cause;
    return 1;
}
