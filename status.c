/* SPDX-License-Identifier: Apache-2.0 */
/* status.c: the status page's counters (the page itself is
 * status_page.c).
 *
 * Shared memory (status_shm.h), one anonymous apr_shm segment per generation, made by
 * the parent in post_config (so every child inherits it at fork):
 *
 *   header | slot[0 .. nslots] | child[0 .. nchildren)
 *
 * A slot holds one producer configuration's counters (accepted,
 * delivered, failed, rejected by reason, latency histogram); every child
 * adds to them with atomics, and they keep what exited children counted.
 * Slot nslots gathers producers of section combinations first seen at
 * request time (not found by the configuration walk).
 *
 * A child entry holds one child's gauges for every slot (queue depth,
 * broker states), written only by that child and summed over live children
 * by the page: a child claims a free entry (pid 0) or one whose process is
 * gone, and gives it back at exit; an entry whose process died without
 * doing so is skipped by the page and taken by the next child. An entry
 * keeps its child's start time beside the pid (proc_identity.h), as the
 * spool's slots do: the pid of a child killed with SIGKILL soon belongs
 * to another process, which must not keep the entry alive.
 *
 * A restart (graceful or not) runs post_config again: a new segment, all
 * counters from zero; children of the old generation still finishing
 * count into the old one, which nobody shows. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apr_hash.h"
#include "apr_shm.h"
#include "apr_strings.h"
#include "ap_mpm.h"
#include <json-c/json.h>

#include "conf_props.h"
#include "mod_kafka_upstream.h"
#include "status.h"
#include "status_shm.h"
#include "proc_identity.h"

#define KU_TICK apr_time_from_msec(100)

#define KU_REJECT_NAME(id, name) name,
const char *const ku_reject_names[KU_REJECT_COUNT] = { KU_REJECT_REASONS(KU_REJECT_NAME) };
const char *const ku_api_names[KU_API_SLOTS] = { "kong", "rest-v2", "rest-v3" };

ku_shm_t ku_shm;

struct ku_stats {
    ku_slot_t *slot;            /* NULL: counted nowhere */
    apr_uint32_t index;
    server_rec *server;
    const char *name;
    apr_time_t ticked;
    int gauges;                 /* publishes queue depth and broker states */
};

/* --- post_config: one slot per producer configuration --------------------------- */

/* Visits confs in the order child_init does: the first conf of a key names it. */
static int find_slot(const ku_dir_conf_t *conf, server_rec *s, apr_pool_t *ptemp)
{
    apr_pool_t *pconf = apr_hash_pool_get(ku_shm.slot_by_key);
    const char *key;

    if (!ku_conf_is_complete(conf))
        return OK;
    key = ku_conf_producer_key(ptemp, conf);
    if (apr_hash_get(ku_shm.slot_by_key, key, APR_HASH_KEY_STRING))
        return OK;
    APR_ARRAY_PUSH(ku_shm.names, const char *) = ku_conf_producer_name(ptemp, conf);
    /* A virtual host inherits the main server's sections: the same name
     * may then stand for two configurations. */
    APR_ARRAY_PUSH(ku_shm.servers, const char *) =
        apr_psprintf(ptemp, "%s:%u", s->server_hostname ? s->server_hostname : "",
                     s->addrs && s->addrs->host_port ? s->addrs->host_port : s->port);
    apr_hash_set(ku_shm.slot_by_key, apr_pstrdup(pconf, key), APR_HASH_KEY_STRING,
                 (void *)(apr_uintptr_t)ku_shm.names->nelts);
    return OK;
}

/* Room for every child that can live at once, and for those that are
 * exiting (a graceful stop of some children while new ones start). */
static apr_uint32_t children_needed(void)
{
    int limit = 0;

    if (ap_mpm_query(AP_MPMQ_HARD_LIMIT_DAEMONS, &limit) != APR_SUCCESS || limit < 1)
        limit = 16;
    return (apr_uint32_t)limit * 2 + 8;
}

int ku_status_post_config(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s)
{
    apr_shm_t *segment;
    apr_uint32_t nslots, nchildren, i;
    apr_size_t size;
    apr_status_t rv;
    char *base;

    memset(&ku_shm, 0, sizeof(ku_shm));
    ku_shm.slot_by_key = apr_hash_make(pconf);
    ku_shm.names = apr_array_make(ptemp, 8, sizeof(const char *));
    ku_shm.servers = apr_array_make(ptemp, 8, sizeof(const char *));
    ku_conf_walk(s, ptemp, find_slot);
    nslots = (apr_uint32_t)ku_shm.names->nelts;
    nchildren = children_needed();
    ku_shm.child_size = APR_ALIGN_DEFAULT(sizeof(ku_child_t) + (nslots + 1) * sizeof(ku_gauge_t));
    size = APR_ALIGN_DEFAULT(sizeof(ku_shm_header_t)) + (nslots + 1) * sizeof(ku_slot_t)
           + nchildren * ku_shm.child_size;
    /* Anonymous: nothing on disk to clean up after a crash, and no name two
     * servers could share; children inherit the mapping at fork. */
    if ((rv = apr_shm_create(&segment, size, NULL, pconf)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, "KU00018: no status page: cannot "
                     "create %" APR_SIZE_T_FMT " bytes of shared memory", size);
        ku_shm.slot_by_key = NULL;
        return OK;
    }
    base = apr_shm_baseaddr_get(segment);
    memset(base, 0, size);
    ku_shm.header = (ku_shm_header_t *)base;
    ku_shm.header->nslots = nslots;
    ku_shm.header->nchildren = nchildren;
    ku_shm.header->created = apr_time_now();
    ku_shm.slots = (ku_slot_t *)(base + APR_ALIGN_DEFAULT(sizeof(ku_shm_header_t)));
    ku_shm.children = (char *)(ku_shm.slots + nslots + 1);
    for (i = 0; i < nslots; i++) {
        apr_cpystrn(ku_shm.slots[i].name, APR_ARRAY_IDX(ku_shm.names, i, const char *), KU_NAME_LEN);
        apr_cpystrn(ku_shm.slots[i].server, APR_ARRAY_IDX(ku_shm.servers, i, const char *),
                    KU_NAME_LEN);
    }
    apr_cpystrn(ku_shm.slots[nslots].name, "other configurations", KU_NAME_LEN);
    ku_shm.names = ku_shm.servers = NULL;
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, "KU00017: status counters for %u "
                 "producer configuration(s) and %u children in %" APR_SIZE_T_FMT
                 " bytes of shared memory", nslots, nchildren, size);
    return OK;
}

/* --- child entries ---------------------------------------------------------------- */

ku_child_t *ku_status_child_at(apr_uint32_t i)
{
    return (ku_child_t *)(ku_shm.children + i * ku_shm.child_size);
}

ku_gauge_t *ku_status_gauge_of(ku_child_t *c, apr_uint32_t slot)
{
    return (ku_gauge_t *)(c + 1) + slot;
}

int ku_status_child_alive(const ku_child_t *c)
{
    apr_uint32_t pid = __atomic_load_n(&c->pid, __ATOMIC_ACQUIRE);

    return pid && !(pid & KU_CHILD_CLAIMING)
           && ku_proc_is_running((pid_t)pid, __atomic_load_n(&c->started, __ATOMIC_RELAXED));
}

/* A free entry, or a gone child's: taken in two steps, so that no other
 * child takes it meanwhile for a gone one's (the pid marked while the
 * start time and gauges are written, then the pid). */
static int claim_entry(ku_child_t *c, apr_uint32_t me, apr_uint64_t started)
{
    apr_uint32_t pid = __atomic_load_n(&c->pid, __ATOMIC_ACQUIRE);

    if (pid & KU_CHILD_CLAIMING ? ku_proc_exists((pid_t)(pid & ~KU_CHILD_CLAIMING))
                                : pid && ku_status_child_alive(c))
        return 0;
    if (!__atomic_compare_exchange_n(&c->pid, &pid, me | KU_CHILD_CLAIMING, 0,
                                     __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
        return 0;
    __atomic_store_n(&c->started, started, __ATOMIC_RELAXED);
    memset(c + 1, 0, ku_shm.child_size - sizeof(*c));
    __atomic_store_n(&c->pid, me, __ATOMIC_RELEASE);
    return 1;
}

static apr_status_t child_exit(void *data)
{
    ku_child_t *c = data;

    memset(c + 1, 0, ku_shm.child_size - sizeof(*c));
    __atomic_store_n(&c->pid, 0, __ATOMIC_RELEASE);
    return APR_SUCCESS;
}

void ku_status_child_init(apr_pool_t *pchild, server_rec *s)
{
    apr_uint32_t me = (apr_uint32_t)getpid(), i;
    apr_uint64_t started = ku_proc_start_time((pid_t)me);

    if (!ku_shm.header)
        return;
    for (i = 0; i < ku_shm.header->nchildren && !ku_shm.me; i++)
        if (claim_entry(ku_status_child_at(i), me, started))
            ku_shm.me = ku_status_child_at(i);
    if (!ku_shm.me) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "KU00055: no entry left in the "
                     "status page for child %u: its queue depth and broker states "
                     "are not shown", me);
        return;
    }
    /* Registered before the producers: runs after they closed. */
    apr_pool_cleanup_register(pchild, ku_shm.me, child_exit, apr_pool_cleanup_null);
}

/* --- counting ------------------------------------------------------------------ */

ku_stats_t *ku_status_attach(apr_pool_t *p, const char *key, const char *name,
                             server_rec *s, int gauges)
{
    ku_stats_t *st = apr_pcalloc(p, sizeof(*st));
    void *found;

    st->server = s;
    st->name = name;
    st->gauges = gauges;
    if (ku_shm.header) {
        found = apr_hash_get(ku_shm.slot_by_key, key, APR_HASH_KEY_STRING);
        st->index = found ? (apr_uint32_t)(apr_uintptr_t)found - 1 : ku_shm.header->nslots;
        st->slot = &ku_shm.slots[st->index];
    }
    return st;
}

void ku_status_accepted(ku_stats_t *st)
{
    if (st->slot)
        KU_SHM_ADD(st->slot->accepted, 1);
}

void ku_status_count_rejected(ku_stats_t *st, ku_reject_t reason)
{
    if (st->slot)
        KU_SHM_ADD(st->slot->rejected[reason], 1);
}

void ku_status_delivered(ku_stats_t *st, int failed, int64_t latency_us)
{
    if (!st->slot)
        return;
    if (failed) {
        KU_SHM_ADD(st->slot->failed, 1);
        return;
    }
    KU_SHM_ADD(st->slot->delivered, 1);
    if (latency_us < 0)
        return;
    KU_SHM_ADD(st->slot->latency_bucket[ku_latency_bucket(latency_us)], 1);
    KU_SHM_ADD(st->slot->latency_sum_us, (apr_uint64_t)latency_us);
}

/* The slot of a complete Location's producer (the shared one of
 * configurations nobody walked to when it has none of its own). */
static ku_slot_t *slot_of(apr_pool_t *p, const ku_dir_conf_t *conf)
{
    void *found = apr_hash_get(ku_shm.slot_by_key, ku_conf_producer_key(p, conf),
                               APR_HASH_KEY_STRING);

    return &ku_shm.slots[found ? (apr_uint32_t)(apr_uintptr_t)found - 1 : ku_shm.header->nslots];
}

void ku_status_count_request(apr_pool_t *p, const ku_dir_conf_t *conf)
{
    ku_api_t api = ku_conf_api(conf);

    if (ku_shm.header && ku_conf_is_complete(conf) && (unsigned)api < KU_API_SLOTS)
        KU_SHM_ADD(slot_of(p, conf)->requests[api], 1);
}

void ku_status_identity_count(ku_identity_counter_t counter)
{
    if (ku_shm.header)
        KU_SHM_ADD(ku_shm.header->identity[counter], 1);
}

apr_uint64_t ku_status_identity(ku_identity_counter_t counter)
{
    return ku_shm.header ? KU_SHM_LOAD(ku_shm.header->identity[counter]) : 0;
}

void ku_status_count_request_rejected(apr_pool_t *p, const ku_dir_conf_t *conf,
                                      ku_reject_t reason)
{
    if (!ku_shm.header)
        return;
    if (!ku_conf_is_complete(conf)) {
        KU_SHM_ADD(ku_shm.header->misconfigured, 1);
        return;
    }
    KU_SHM_ADD(slot_of(p, conf)->rejected[reason], 1);
}

/* --- gauges ---------------------------------------------------------------------- */

void ku_status_conf(rd_kafka_conf_t *rkc)
{
    char value[32];
    size_t n = sizeof(value);

    if (rd_kafka_conf_get(rkc, "statistics.interval.ms", value, &n) == RD_KAFKA_CONF_OK
        && strcmp(value, "0"))
        return;
    rd_kafka_conf_set(rkc, "statistics.interval.ms", "2000", NULL, 0);
}

void ku_status_tick(ku_stats_t *st, apr_uint32_t queued)
{
    apr_time_t now = apr_time_now();

    if (now - st->ticked < KU_TICK)
        return;
    st->ticked = now;
    if (st->slot && ku_shm.me && st->gauges)
        __atomic_store_n(&ku_status_gauge_of(ku_shm.me, st->index)->queue_depth,
                         (apr_int64_t)queued, __ATOMIC_RELAXED);
}

/* Copies the broker connections and their states out of librdkafka's
 * statistics; nothing else of them is kept. */
void ku_status_stats(ku_stats_t *st, const char *json, size_t len)
{
    json_tokener *tok;
    json_object *root, *brokers;
    ku_broker_t seen[KU_BROKERS], *old;
    ku_gauge_t *g;
    apr_uint32_t n = 0, i, k;

    if (!st->slot || !ku_shm.me || !st->gauges || len > INT32_MAX
        || !(tok = json_tokener_new()))
        return;
    root = json_tokener_parse_ex(tok, json, (int)len);
    json_tokener_free(tok);
    if (!root)
        return;
    memset(seen, 0, sizeof(seen));
    if (json_object_object_get_ex(root, "brokers", &brokers)
        && json_object_is_type(brokers, json_type_object)) {
        json_object_object_foreach(brokers, key, b) {
            json_object *name, *state, *source;

            if (n == KU_BROKERS)
                break;
            /* librdkafka's internal pseudo-broker is not a connection. */
            if (json_object_object_get_ex(b, "source", &source)
                && !strcmp(json_object_get_string(source), "internal"))
                continue;
            if (!json_object_object_get_ex(b, "name", &name)
                || !json_object_object_get_ex(b, "state", &state))
                continue;
            apr_cpystrn(seen[n].name, json_object_get_string(name), KU_BROKER_LEN);
            apr_cpystrn(seen[n].state, json_object_get_string(state), KU_STATE_LEN);
            n++;
            (void)key;
        }
    }
    json_object_put(root);

    g = ku_status_gauge_of(ku_shm.me, st->index);
    for (i = 0; i < n; i++) {
        for (k = 0, old = NULL; k < g->nbrokers && !old; k++)
            if (!strcmp(g->brokers[k].name, seen[i].name))
                old = &g->brokers[k];
        if (!old || strcmp(old->state, seen[i].state))
            ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, st->server, "KU00019: producer "
                         "%s: broker %s %s -> %s", st->name, seen[i].name,
                         old ? old->state : "(new)", seen[i].state);
    }
    __atomic_add_fetch(&g->seq, 1, __ATOMIC_ACQ_REL);
    memcpy(g->brokers, seen, sizeof(seen));
    __atomic_store_n(&g->nbrokers, n, __ATOMIC_RELAXED);
    __atomic_add_fetch(&g->seq, 1, __ATOMIC_ACQ_REL);
}
