/* SPDX-License-Identifier: Apache-2.0 */
/* spool_status.c: the spool's figures for the status page. Bytes and the
 * counters are shared by all children in spool.state; each child
 * publishes its waiting records (count, oldest accept time) in a slot
 * there, and the page adds up the slots of living children. */
#include <string.h>
#include <unistd.h>

#include "apr_strings.h"
#include "httpd.h"
#include <json-c/json.h>

#include "mod_kafka_upstream.h"
#include "spool.h"
#include "spool_int.h"
#include "spool_status.h"
#include "proc_identity.h"

/* The slot's child runs: a gone child's pid may belong to another
 * process by now (a child killed with SIGKILL never frees its slot). */
static int slot_alive(int i)
{
    int32_t pid = __atomic_load_n(&ku_spool.shared->child[i].pid, __ATOMIC_ACQUIRE);

    return pid > 0 && ku_proc_is_running(pid, __atomic_load_n(&ku_spool.shared->child_started[i],
                                                                __ATOMIC_RELAXED));
}

/* A free slot, or a gone child's. Taken in two steps, so that no other
 * child takes it meanwhile for a gone one's: the pid negated while the
 * start time and figures are written, then the pid. */
static int claim_slot(void)
{
    ku_spool_shared_t *sh = ku_spool.shared;
    int32_t me = (int32_t)getpid();
    uint64_t started = ku_proc_start_time(me);
    int i;

    for (i = 0; i < KU_SPOOL_CHILDREN; i++) {
        int32_t pid = __atomic_load_n(&sh->child[i].pid, __ATOMIC_RELAXED);

        if (pid < 0 ? ku_proc_exists(-pid) : pid != 0 && slot_alive(i))
            continue;
        if (!__atomic_compare_exchange_n(&sh->child[i].pid, &pid, -me, 0, __ATOMIC_SEQ_CST,
                                         __ATOMIC_SEQ_CST))
            continue;
        __atomic_store_n(&sh->child_started[i], started, __ATOMIC_SEQ_CST);
        __atomic_store_n(&sh->child[i].waiting, 0, __ATOMIC_SEQ_CST);
        __atomic_store_n(&sh->child[i].oldest, 0, __ATOMIC_SEQ_CST);
        __atomic_store_n(&sh->child[i].pid, me, __ATOMIC_SEQ_CST);
        return i;
    }
    return -1;
}

void ku_spool_publish_locked(void)
{
    if (ku_spool.slot < 0 && (!ku_spool.waiting || (ku_spool.slot = claim_slot()) < 0))
        return;
    __atomic_store_n(&ku_spool.shared->child[ku_spool.slot].waiting, ku_spool.waiting,
                     __ATOMIC_RELAXED);
    __atomic_store_n(&ku_spool.shared->child[ku_spool.slot].oldest,
                     ku_spool.oldest ? ku_spool.oldest->accepted : 0, __ATOMIC_RELAXED);
}

/* At child exit: its records wait in files for adoption, counted anew then. */
void ku_spool_unpublish(void)
{
    if (ku_spool.slot < 0)
        return;
    ku_spool.shared->child[ku_spool.slot].waiting = 0;
    ku_spool.shared->child[ku_spool.slot].oldest = 0;
    __atomic_store_n(&ku_spool.shared->child[ku_spool.slot].pid, 0, __ATOMIC_SEQ_CST);
    ku_spool.slot = -1;
}

typedef struct {
    uint64_t bytes, replayed, dead_lettered, torn, waiting;
    double oldest_seconds;
} ku_spool_figures_t;

static int figures(ku_spool_figures_t *f)
{
    ku_spool_shared_t *sh = ku_spool.shared;
    apr_time_t now = apr_time_now(), oldest = 0;
    int i;

    if (!sh)
        return 0;
    memset(f, 0, sizeof(*f));
    f->bytes = __atomic_load_n(&sh->bytes, __ATOMIC_RELAXED);
    f->replayed = __atomic_load_n(&sh->replayed, __ATOMIC_RELAXED);
    f->dead_lettered = __atomic_load_n(&sh->dead_lettered, __ATOMIC_RELAXED);
    f->torn = __atomic_load_n(&sh->torn, __ATOMIC_RELAXED);
    for (i = 0; i < KU_SPOOL_CHILDREN; i++) {
        int64_t t = __atomic_load_n(&sh->child[i].oldest, __ATOMIC_RELAXED);

        if (!slot_alive(i))
            continue;
        f->waiting += __atomic_load_n(&sh->child[i].waiting, __ATOMIC_RELAXED);
        if (t && (!oldest || t < oldest))
            oldest = t;
    }
    f->oldest_seconds = oldest && oldest < now ? (double)(now - oldest) / APR_USEC_PER_SEC : 0;
    return 1;
}

void ku_spool_status_json(json_object *o)
{
    ku_spool_figures_t f;
    json_object *s;

    if (!figures(&f))
        return;
    s = json_object_new_object();
    json_object_object_add(s, "directory", json_object_new_string(ku_spool.conf->dir));
    json_object_object_add(s, "bytes", json_object_new_int64((int64_t)f.bytes));
    json_object_object_add(s, "max_bytes", json_object_new_int64((int64_t)ku_spool.conf->max_size));
    json_object_object_add(s, "records_waiting", json_object_new_int64((int64_t)f.waiting));
    json_object_object_add(s, "oldest_waiting_seconds", json_object_new_double(f.oldest_seconds));
    json_object_object_add(s, "replayed", json_object_new_int64((int64_t)f.replayed));
    json_object_object_add(s, "dead_lettered", json_object_new_int64((int64_t)f.dead_lettered));
    json_object_object_add(s, "torn_skipped", json_object_new_int64((int64_t)f.torn));
    json_object_object_add(o, "spool", s);
}

void ku_spool_status_prometheus(apr_bucket_brigade *bb)
{
    static const struct {
        const char *name, *type, *help;
    } m[] = {
        { "kafka_upstream_spool_bytes", "gauge", "Bytes in the spool's segment files" },
        { "kafka_upstream_spool_max_bytes", "gauge", "The spool's max-size" },
        { "kafka_upstream_spool_records_waiting", "gauge",
          "Spooled records not yet acknowledged, in living children" },
        { "kafka_upstream_spool_oldest_waiting_seconds", "gauge",
          "Age of the oldest spooled record not yet acknowledged" },
        { "kafka_upstream_spool_replayed_total", "counter",
          "Spooled records delivered after a failure or adoption" },
        { "kafka_upstream_spool_dead_lettered_total", "counter",
          "Spooled records refused for good, moved to the dead-letter file" },
        { "kafka_upstream_spool_torn_total", "counter", "Torn or corrupt spool entries skipped" },
    };
    ku_spool_figures_t f;
    double v[7];
    int i;

    if (!figures(&f))
        return;
    v[0] = (double)f.bytes;
    v[1] = (double)ku_spool.conf->max_size;
    v[2] = (double)f.waiting;
    v[3] = f.oldest_seconds;
    v[4] = (double)f.replayed;
    v[5] = (double)f.dead_lettered;
    v[6] = (double)f.torn;
    for (i = 0; i < 7; i++)
        apr_brigade_printf(bb, NULL, NULL, "# HELP %s %s\n# TYPE %s %s\n%s %.15g\n", m[i].name,
                           m[i].help, m[i].name, m[i].type, m[i].name, v[i]);
}
