/* status.c: the status page (SPEC §6) and rate-limited logging.
 *
 * Shared memory, one anonymous apr_shm segment per generation, made by
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
 * doing so is skipped by the page and taken by the next child.
 *
 * A restart (graceful or not) runs post_config again: a new segment, all
 * counters from zero; children of the old generation still finishing
 * count into the old one, which nobody shows. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apr_hash.h"
#include "apr_shm.h"
#include "apr_strings.h"
#include "ap_mpm.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_script.h"
#include <json-c/json.h>

#include "mod_kafka_upstream.h"
#include "status.h"

#define KU_NAME_LEN 256
#define KU_BROKERS 8            /* broker connections shown per producer and child */
#define KU_BROKER_LEN 96
#define KU_STATE_LEN 24
#define KU_TICK apr_time_from_msec(100)

/* Delivery latency histogram bounds, ms; one more bucket for +Inf. */
static const int latency_le_ms[] = { 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000,
                                     2500, 5000, 10000 };
#define KU_BUCKETS (int)(sizeof(latency_le_ms) / sizeof(latency_le_ms[0]) + 1)

#define KU_REJECT_NAME(id, name) name,
static const char *const reject_names[] = { KU_REJECT_REASONS(KU_REJECT_NAME) };

typedef struct {
    char name[KU_NAME_LEN];     /* the producer's name: section, cluster, brokers */
    char server[KU_NAME_LEN];   /* host:port of the (virtual) server whose section it is */
    apr_uint64_t accepted;
    apr_uint64_t delivered;
    apr_uint64_t failed;
    apr_uint64_t rejected[KU_REJECT_COUNT];
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
    apr_uint32_t pid;           /* 0: free */
    apr_uint32_t pad;
    /* ku_gauge_t gauges[nslots + 1] follow */
} ku_child_t;

typedef struct {
    apr_uint32_t nslots;        /* slots found by the walk; slot nslots: the rest */
    apr_uint32_t nchildren;
    apr_time_t created;
    apr_uint64_t misconfigured; /* requests to a location without cluster or topic */
} ku_header_t;

static struct {
    ku_header_t *header;        /* NULL: no status page */
    ku_slot_t *slots;
    char *children;
    apr_size_t child_size;
    apr_hash_t *slot_by_key;    /* producer key -> 1 + slot index (pconf) */
    ku_child_t *me;             /* this child's entry */
    /* During post_config only: */
    apr_array_header_t *names, *servers;
} shm;

struct ku_stats {
    ku_slot_t *slot;            /* NULL: counted nowhere */
    apr_uint32_t index;
    server_rec *server;
    const char *name;
    apr_time_t ticked;
    ku_ratelimit_t error_rl, log_rl;
};

#define ADD(field, n) __atomic_fetch_add(&(field), (n), __ATOMIC_RELAXED)
#define LOAD(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)

/* --- rate-limited logging ------------------------------------------------------ */

/* Ends the limiter's window when its time is over, telling what it held back. */
static void ratelimit_roll(ku_ratelimit_t *rl, server_rec *s, apr_uint32_t now)
{
    apr_uint32_t window = apr_atomic_read32(&rl->window);
    apr_uint32_t n;

    if (window == now || apr_atomic_cas32(&rl->window, now, window) != window)
        return;
    apr_atomic_set32(&rl->used, 0);
    if ((n = apr_atomic_xchg32(&rl->suppressed, 0)) > 0)
        ap_log_error(APLOG_MARK, (int)apr_atomic_read32(&rl->level), 0, s,
                     "KU00016: %u %s line(s) were not logged in the last %d s "
                     "(at most %d are)", n, rl->what, KU_LOG_WINDOW, KU_LOG_BURST);
}

static ku_ratelimit_t child_limiters[KU_RL_COUNT] = {
    { 0, 0, 0, 0, "KU00008", NULL },
    { 0, 0, 0, 0, "KU00009", NULL },
    { 0, 0, 0, 0, "KU00013", NULL },
    { 0, 0, 0, 0, "KU00014", NULL },
};

ku_ratelimit_t *ku_child_limiter(ku_child_limiter_t which)
{
    return &child_limiters[which];
}

static apr_uint32_t ratelimit_now(void)
{
    return (apr_uint32_t)(apr_time_sec(apr_time_now()) / KU_LOG_WINDOW);
}

int ku_log_allowed(ku_ratelimit_t *rl, server_rec *s, int level)
{
    if (!APLOG_IS_LEVEL(s, level))
        return 0;
    rl->server = s;
    ratelimit_roll(rl, s, ratelimit_now());
    if (apr_atomic_inc32(&rl->used) < KU_LOG_BURST)
        return 1;
    apr_atomic_set32(&rl->level, (apr_uint32_t)level);
    apr_atomic_inc32(&rl->suppressed);
    return 0;
}

/* --- post_config: one slot per producer configuration --------------------------- */

/* The name producer.c gives the producer: "<section> ([cluster ]<brokers>)". */
static const char *producer_name(apr_pool_t *p, const ku_dir_conf_t *conf)
{
    const char *cluster = conf->str[KU_STR_CLUSTER_NAME];

    return apr_psprintf(p, "%s (%s%s%s)", conf->section ? conf->section : "server config",
                        cluster ? cluster : "", cluster ? " " : "",
                        ku_conf_str(conf, KU_STR_BOOTSTRAP_SERVERS));
}

/* Visits confs in the order child_init does: the first conf of a key names it. */
static int find_slot(const ku_dir_conf_t *conf, server_rec *s, apr_pool_t *ptemp)
{
    apr_pool_t *pconf = apr_hash_pool_get(shm.slot_by_key);
    const char *key;

    if (!ku_conf_is_complete(conf))
        return OK;
    key = ku_conf_producer_key(ptemp, conf);
    if (apr_hash_get(shm.slot_by_key, key, APR_HASH_KEY_STRING))
        return OK;
    APR_ARRAY_PUSH(shm.names, const char *) = producer_name(ptemp, conf);
    /* A virtual host inherits the main server's sections: the same name
     * may then stand for two configurations. */
    APR_ARRAY_PUSH(shm.servers, const char *) =
        apr_psprintf(ptemp, "%s:%u", s->server_hostname ? s->server_hostname : "",
                     s->addrs && s->addrs->host_port ? s->addrs->host_port : s->port);
    apr_hash_set(shm.slot_by_key, apr_pstrdup(pconf, key), APR_HASH_KEY_STRING,
                 (void *)(apr_uintptr_t)shm.names->nelts);
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

int ku_status_post_config(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s,
                          ku_status_walker walk)
{
    apr_shm_t *segment;
    apr_uint32_t nslots, nchildren, i;
    apr_size_t size;
    apr_status_t rv;
    char *base;

    memset(&shm, 0, sizeof(shm));
    shm.slot_by_key = apr_hash_make(pconf);
    shm.names = apr_array_make(ptemp, 8, sizeof(const char *));
    shm.servers = apr_array_make(ptemp, 8, sizeof(const char *));
    walk(s, ptemp, find_slot);
    nslots = (apr_uint32_t)shm.names->nelts;
    nchildren = children_needed();
    shm.child_size = APR_ALIGN_DEFAULT(sizeof(ku_child_t) + (nslots + 1) * sizeof(ku_gauge_t));
    size = APR_ALIGN_DEFAULT(sizeof(ku_header_t)) + (nslots + 1) * sizeof(ku_slot_t)
           + nchildren * shm.child_size;
    /* Anonymous: nothing on disk to clean up after a crash, and no name two
     * servers could share; children inherit the mapping at fork. */
    if ((rv = apr_shm_create(&segment, size, NULL, pconf)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, "KU00018: no status page: cannot "
                     "create %" APR_SIZE_T_FMT " bytes of shared memory", size);
        shm.slot_by_key = NULL;
        return OK;
    }
    base = apr_shm_baseaddr_get(segment);
    memset(base, 0, size);
    shm.header = (ku_header_t *)base;
    shm.header->nslots = nslots;
    shm.header->nchildren = nchildren;
    shm.header->created = apr_time_now();
    shm.slots = (ku_slot_t *)(base + APR_ALIGN_DEFAULT(sizeof(ku_header_t)));
    shm.children = (char *)(shm.slots + nslots + 1);
    for (i = 0; i < nslots; i++) {
        apr_cpystrn(shm.slots[i].name, APR_ARRAY_IDX(shm.names, i, const char *), KU_NAME_LEN);
        apr_cpystrn(shm.slots[i].server, APR_ARRAY_IDX(shm.servers, i, const char *),
                    KU_NAME_LEN);
    }
    apr_cpystrn(shm.slots[nslots].name, "other configurations", KU_NAME_LEN);
    shm.names = shm.servers = NULL;
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, "KU00017: status counters for %u "
                 "producer configuration(s) and %u children in %" APR_SIZE_T_FMT
                 " bytes of shared memory", nslots, nchildren, size);
    return OK;
}

/* --- child entries ---------------------------------------------------------------- */

static ku_child_t *child_at(apr_uint32_t i)
{
    return (ku_child_t *)(shm.children + i * shm.child_size);
}

static ku_gauge_t *gauge_of(ku_child_t *c, apr_uint32_t slot)
{
    return (ku_gauge_t *)(c + 1) + slot;
}

static int pid_alive(apr_uint32_t pid)
{
    return pid && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

static apr_status_t child_exit(void *data)
{
    ku_child_t *c = data;

    memset(c + 1, 0, shm.child_size - sizeof(*c));
    __atomic_store_n(&c->pid, 0, __ATOMIC_RELEASE);
    return APR_SUCCESS;
}

void ku_status_child_init(apr_pool_t *pchild, server_rec *s)
{
    apr_uint32_t me = (apr_uint32_t)getpid(), i, pid;

    if (!shm.header)
        return;
    for (i = 0; i < shm.header->nchildren && !shm.me; i++) {
        ku_child_t *c = child_at(i);

        pid = __atomic_load_n(&c->pid, __ATOMIC_ACQUIRE);
        if ((!pid || !pid_alive(pid))
            && __atomic_compare_exchange_n(&c->pid, &pid, me, 0, __ATOMIC_ACQ_REL,
                                           __ATOMIC_RELAXED))
            shm.me = c;
    }
    if (!shm.me) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "KU00018: no entry left in the "
                     "status page for child %u: its queue depth and broker states "
                     "are not shown", me);
        return;
    }
    memset(shm.me + 1, 0, shm.child_size - sizeof(*shm.me));
    /* Registered before the producers: runs after they closed. */
    apr_pool_cleanup_register(pchild, shm.me, child_exit, apr_pool_cleanup_null);
}

/* --- counting ------------------------------------------------------------------ */

ku_stats_t *ku_status_attach(apr_pool_t *p, const char *key, const char *name,
                             server_rec *s)
{
    ku_stats_t *st = apr_pcalloc(p, sizeof(*st));
    void *found;

    st->server = s;
    st->name = name;
    st->error_rl.what = apr_psprintf(p, "KU00003 (producer %s)", name);
    st->log_rl.what = apr_psprintf(p, "KU00004 (producer %s)", name);
    if (shm.header) {
        found = apr_hash_get(shm.slot_by_key, key, APR_HASH_KEY_STRING);
        st->index = found ? (apr_uint32_t)(apr_uintptr_t)found - 1 : shm.header->nslots;
        st->slot = &shm.slots[st->index];
    }
    return st;
}

ku_ratelimit_t *ku_status_error_limiter(ku_stats_t *st)
{
    return &st->error_rl;
}

ku_ratelimit_t *ku_status_log_limiter(ku_stats_t *st)
{
    return &st->log_rl;
}

void ku_status_accepted(ku_stats_t *st)
{
    if (st->slot)
        ADD(st->slot->accepted, 1);
}

void ku_status_refused(ku_stats_t *st, ku_reject_t reason)
{
    if (st->slot)
        ADD(st->slot->rejected[reason], 1);
}

void ku_status_delivered(ku_stats_t *st, int failed, int64_t latency_us)
{
    int b;

    if (!st->slot)
        return;
    if (failed) {
        ADD(st->slot->failed, 1);
        return;
    }
    ADD(st->slot->delivered, 1);
    if (latency_us < 0)
        return;
    for (b = 0; b < KU_BUCKETS - 1 && latency_us > (int64_t)latency_le_ms[b] * 1000; b++)
        ;
    ADD(st->slot->latency_bucket[b], 1);
    ADD(st->slot->latency_sum_us, (apr_uint64_t)latency_us);
}

static ku_reject_t reason_of(int status)
{
    switch (status) {
    case HTTP_BAD_REQUEST:              return KU_REJECT_BAD_REQUEST;
    case HTTP_FORBIDDEN:                return KU_REJECT_TOPIC_NOT_ALLOWED;
    case HTTP_REQUEST_ENTITY_TOO_LARGE: return KU_REJECT_TOO_LARGE;
    case HTTP_SERVICE_UNAVAILABLE:      return KU_REJECT_UNAVAILABLE;
    default:                            return KU_REJECT_OTHER;
    }
}

void ku_status_request_refused(apr_pool_t *p, const ku_dir_conf_t *conf, int status)
{
    void *found;
    apr_uint32_t index;

    if (!shm.header)
        return;
    if (!ku_conf_is_complete(conf)) {
        ADD(shm.header->misconfigured, 1);
        return;
    }
    found = apr_hash_get(shm.slot_by_key, ku_conf_producer_key(p, conf), APR_HASH_KEY_STRING);
    index = found ? (apr_uint32_t)(apr_uintptr_t)found - 1 : shm.header->nslots;
    ADD(shm.slots[index].rejected[reason_of(status)], 1);
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

void ku_status_tick(ku_stats_t *st, rd_kafka_t *rk)
{
    apr_time_t now = apr_time_now();
    apr_uint32_t window;
    int i;

    if (now - st->ticked < KU_TICK)
        return;
    st->ticked = now;
    if (st->slot && shm.me)
        __atomic_store_n(&gauge_of(shm.me, st->index)->queue_depth,
                         (apr_int64_t)rd_kafka_outq_len(rk), __ATOMIC_RELAXED);
    window = (apr_uint32_t)(apr_time_sec(now) / KU_LOG_WINDOW);
    ratelimit_roll(&st->error_rl, st->server, window);
    ratelimit_roll(&st->log_rl, st->server, window);
    for (i = 0; i < KU_RL_COUNT; i++)
        if (child_limiters[i].server)
            ratelimit_roll(&child_limiters[i], child_limiters[i].server, window);
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

    if (!st->slot || !shm.me || len > INT32_MAX || !(tok = json_tokener_new()))
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

    g = gauge_of(shm.me, st->index);
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

/* --- the page -------------------------------------------------------------------- */

typedef struct {
    const char *name;
    apr_hash_t *states;          /* state -> count of children (apr_uint32_t *) */
} ku_broker_view_t;

typedef struct {
    const ku_slot_t *slot;
    apr_int64_t queue_depth;
    apr_array_header_t *brokers; /* ku_broker_view_t */
    apr_uint64_t bucket[KU_BUCKETS];
} ku_view_t;

static void add_broker(apr_pool_t *p, ku_view_t *v, const ku_broker_t *b)
{
    ku_broker_view_t *bv = NULL;
    apr_uint32_t *count;
    int i;

    for (i = 0; i < v->brokers->nelts && !bv; i++)
        if (!strcmp(APR_ARRAY_IDX(v->brokers, i, ku_broker_view_t).name, b->name))
            bv = &APR_ARRAY_IDX(v->brokers, i, ku_broker_view_t);
    if (!bv) {
        bv = apr_array_push(v->brokers);
        bv->name = apr_pstrdup(p, b->name);
        bv->states = apr_hash_make(p);
    }
    if (!(count = apr_hash_get(bv->states, b->state, APR_HASH_KEY_STRING))) {
        count = apr_pcalloc(p, sizeof(*count));
        apr_hash_set(bv->states, apr_pstrdup(p, b->state), APR_HASH_KEY_STRING, count);
    }
    (*count)++;
}

/* One child's broker list, read consistently (its writer may be at work). */
static apr_uint32_t read_brokers(const ku_gauge_t *g, ku_broker_t *out)
{
    apr_uint32_t before, n = 0;
    int tries;

    for (tries = 0; tries < 5; tries++) {
        before = __atomic_load_n(&g->seq, __ATOMIC_ACQUIRE);
        if (before & 1)
            continue;
        n = __atomic_load_n(&g->nbrokers, __ATOMIC_RELAXED);
        if (n > KU_BROKERS)
            n = KU_BROKERS;
        memcpy(out, g->brokers, n * sizeof(*out));
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (__atomic_load_n(&g->seq, __ATOMIC_RELAXED) == before)
            return n;
    }
    return 0;
}

/* Snapshots every slot, summing the gauges of live children. */
static ku_view_t *snapshot(apr_pool_t *p, apr_uint32_t *nviews, int *processes)
{
    apr_uint32_t n = shm.header->nslots + 1, i, k, c, nb;
    ku_view_t *views = apr_pcalloc(p, n * sizeof(*views));
    ku_broker_t brokers[KU_BROKERS];
    int b;

    *processes = 0;
    for (i = 0; i < n; i++) {
        views[i].slot = &shm.slots[i];
        views[i].brokers = apr_array_make(p, 4, sizeof(ku_broker_view_t));
        for (b = 0; b < KU_BUCKETS; b++)
            views[i].bucket[b] = LOAD(shm.slots[i].latency_bucket[b]);
    }
    for (c = 0; c < shm.header->nchildren; c++) {
        ku_child_t *child = child_at(c);

        if (!pid_alive(__atomic_load_n(&child->pid, __ATOMIC_ACQUIRE)))
            continue;
        ++*processes;
        for (i = 0; i < n; i++) {
            const ku_gauge_t *g = gauge_of(child, i);

            views[i].queue_depth += __atomic_load_n(&g->queue_depth, __ATOMIC_RELAXED);
            nb = read_brokers(g, brokers);
            for (k = 0; k < nb; k++)
                add_broker(p, &views[i], &brokers[k]);
        }
    }
    *nviews = n;
    return views;
}

/* The slot of configurations nobody walked to is shown once used. */
static int shown(const ku_view_t *v, apr_uint32_t i)
{
    int r;

    if (i < shm.header->nslots)
        return 1;
    for (r = 0; r < KU_REJECT_COUNT; r++)
        if (LOAD(v->slot->rejected[r]))
            return 1;
    return LOAD(v->slot->accepted) || v->queue_depth || v->brokers->nelts;
}

/* The upper bound of the bucket holding quantile q; -1 with no data. */
static double quantile_ms(const ku_view_t *v, double q)
{
    apr_uint64_t total = 0, seen = 0;
    int b;

    for (b = 0; b < KU_BUCKETS; b++)
        total += v->bucket[b];
    if (!total)
        return -1;
    for (b = 0; b < KU_BUCKETS - 1; b++) {
        seen += v->bucket[b];
        if ((double)seen >= q * (double)total)
            return latency_le_ms[b];
    }
    return latency_le_ms[KU_BUCKETS - 2] * 2.0; /* beyond the last bound */
}

#define JINT(o, k, v) json_object_object_add((o), (k), json_object_new_int64((int64_t)(v)))

static json_object *view_json(const ku_view_t *v)
{
    json_object *o = json_object_new_object(), *rej = json_object_new_object();
    json_object *lat = json_object_new_object(), *buckets = json_object_new_object();
    json_object *brokers = json_object_new_array();
    apr_uint64_t cumulative = 0;
    double q;
    int r, b;

    json_object_object_add(o, "name", json_object_new_string(v->slot->name));
    json_object_object_add(o, "server", json_object_new_string(v->slot->server));
    JINT(o, "accepted", LOAD(v->slot->accepted));
    JINT(o, "delivered", LOAD(v->slot->delivered));
    JINT(o, "failed", LOAD(v->slot->failed));
    for (r = 0; r < KU_REJECT_COUNT; r++)
        JINT(rej, reject_names[r], LOAD(v->slot->rejected[r]));
    json_object_object_add(o, "rejected", rej);
    JINT(o, "queue_depth", v->queue_depth);
    json_object_object_add(lat, "sum", json_object_new_double(
                               (double)LOAD(v->slot->latency_sum_us) / 1000.0));
    /* Upper bounds of the buckets holding them; absent before any delivery. */
    if ((q = quantile_ms(v, 0.5)) >= 0)
        json_object_object_add(lat, "p50", json_object_new_double(q));
    if ((q = quantile_ms(v, 0.99)) >= 0)
        json_object_object_add(lat, "p99", json_object_new_double(q));
    for (b = 0; b < KU_BUCKETS; b++) {
        char le[16];

        cumulative += v->bucket[b];
        if (b < KU_BUCKETS - 1)
            apr_snprintf(le, sizeof(le), "%d", latency_le_ms[b]);
        else
            apr_cpystrn(le, "+Inf", sizeof(le));
        JINT(buckets, le, cumulative);
    }
    JINT(lat, "count", cumulative);
    json_object_object_add(lat, "buckets", buckets);
    json_object_object_add(o, "latency_ms", lat);
    for (b = 0; b < v->brokers->nelts; b++) {
        const ku_broker_view_t *bv = &APR_ARRAY_IDX(v->brokers, b, ku_broker_view_t);
        json_object *bo = json_object_new_object(), *states = json_object_new_object();
        apr_hash_index_t *hi;

        json_object_object_add(bo, "name", json_object_new_string(bv->name));
        for (hi = apr_hash_first(NULL, bv->states); hi; hi = apr_hash_next(hi))
            JINT(states, apr_hash_this_key(hi), *(apr_uint32_t *)apr_hash_this_val(hi));
        json_object_object_add(bo, "states", states);
        json_object_array_add(brokers, bo);
    }
    json_object_object_add(o, "brokers", brokers);
    return o;
}

static const char *status_json(request_rec *r, ku_view_t *views, apr_uint32_t n,
                               int processes)
{
    json_object *o = json_object_new_object(), *producers = json_object_new_array();
    const char *text;
    apr_uint32_t i;

    JINT(o, "pid", getpid());
    JINT(o, "processes", processes);
    JINT(o, "since", apr_time_sec(shm.header->created));
    JINT(o, "misconfigured_requests", LOAD(shm.header->misconfigured));
    for (i = 0; i < n; i++)
        if (shown(&views[i], i))
            json_object_array_add(producers, view_json(&views[i]));
    json_object_object_add(o, "producers", producers);
    text = apr_pstrcat(r->pool, json_object_to_json_string_ext(
                                    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
                       "\n", NULL);
    json_object_put(o);
    return text;
}

/* A label value: backslash, double quote and newline escaped. */
static const char *label(apr_pool_t *p, const char *s)
{
    char *out = apr_palloc(p, strlen(s) * 2 + 1), *o = out;

    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            *o++ = '\\';
        if (*s == '\n') {
            *o++ = '\\';
            *o++ = 'n';
            continue;
        }
        *o++ = *s;
    }
    *o = '\0';
    return out;
}

static void metric_head(apr_bucket_brigade *bb, const char *name, const char *type,
                        const char *help)
{
    apr_brigade_printf(bb, NULL, NULL, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Prometheus text exposition format 0.0.4. */
static void status_prometheus(request_rec *r, apr_bucket_brigade *bb, ku_view_t *views,
                              apr_uint32_t n, int processes)
{
    const char **names = apr_pcalloc(r->pool, n * sizeof(*names));
    apr_uint32_t i;
    int k;

#define EACH for (i = 0; i < n; i++) if (shown(&views[i], i))
#define P(...) apr_brigade_printf(bb, NULL, NULL, __VA_ARGS__)
    for (i = 0; i < n; i++)
        names[i] = apr_pstrcat(r->pool, label(r->pool, views[i].slot->name), "\",server=\"",
                               label(r->pool, views[i].slot->server), NULL);
    metric_head(bb, "kafka_upstream_processes", "gauge",
                "Child processes publishing to this page");
    P("kafka_upstream_processes %d\n", processes);
    metric_head(bb, "kafka_upstream_misconfigured_requests_total", "counter",
                "Requests to a location without bootstrap servers or topic (500)");
    P("kafka_upstream_misconfigured_requests_total %" APR_UINT64_T_FMT "\n",
      LOAD(shm.header->misconfigured));
    metric_head(bb, "kafka_upstream_messages_accepted_total", "counter",
                "Messages queued for Kafka");
    EACH P("kafka_upstream_messages_accepted_total{producer=\"%s\"} %" APR_UINT64_T_FMT "\n",
           names[i], LOAD(views[i].slot->accepted));
    metric_head(bb, "kafka_upstream_messages_delivered_total", "counter",
                "Messages Kafka acknowledged");
    EACH P("kafka_upstream_messages_delivered_total{producer=\"%s\"} %" APR_UINT64_T_FMT "\n",
           names[i], LOAD(views[i].slot->delivered));
    metric_head(bb, "kafka_upstream_messages_failed_total", "counter",
                "Accepted messages whose delivery failed");
    EACH P("kafka_upstream_messages_failed_total{producer=\"%s\"} %" APR_UINT64_T_FMT "\n",
           names[i], LOAD(views[i].slot->failed));
    metric_head(bb, "kafka_upstream_messages_rejected_total", "counter",
                "Messages refused and never produced, by reason");
    EACH for (k = 0; k < KU_REJECT_COUNT; k++)
        P("kafka_upstream_messages_rejected_total{producer=\"%s\",reason=\"%s\"} %"
          APR_UINT64_T_FMT "\n", names[i], reject_names[k], LOAD(views[i].slot->rejected[k]));
    metric_head(bb, "kafka_upstream_queue_messages", "gauge",
                "Messages in the producers' local queues, all children");
    EACH P("kafka_upstream_queue_messages{producer=\"%s\"} %" APR_INT64_T_FMT "\n",
           names[i], views[i].queue_depth);
    metric_head(bb, "kafka_upstream_delivery_latency_seconds", "histogram",
                "Time from queueing to Kafka's acknowledgement");
    EACH {
        apr_uint64_t cumulative = 0;

        for (k = 0; k < KU_BUCKETS; k++) {
            cumulative += views[i].bucket[k];
            if (k < KU_BUCKETS - 1)
                P("kafka_upstream_delivery_latency_seconds_bucket{producer=\"%s\",le=\"%g\"} %"
                  APR_UINT64_T_FMT "\n", names[i], latency_le_ms[k] / 1000.0, cumulative);
            else
                P("kafka_upstream_delivery_latency_seconds_bucket{producer=\"%s\",le=\"+Inf\"} %"
                  APR_UINT64_T_FMT "\n", names[i], cumulative);
        }
        P("kafka_upstream_delivery_latency_seconds_sum{producer=\"%s\"} %.6f\n", names[i],
          (double)LOAD(views[i].slot->latency_sum_us) / 1e6);
        P("kafka_upstream_delivery_latency_seconds_count{producer=\"%s\"} %" APR_UINT64_T_FMT
          "\n", names[i], cumulative);
    }
    metric_head(bb, "kafka_upstream_broker_connections", "gauge",
                "Children whose connection to the broker is in this state");
    EACH for (k = 0; k < views[i].brokers->nelts; k++) {
        const ku_broker_view_t *bv = &APR_ARRAY_IDX(views[i].brokers, k, ku_broker_view_t);
        apr_hash_index_t *hi;

        for (hi = apr_hash_first(r->pool, bv->states); hi; hi = apr_hash_next(hi))
            P("kafka_upstream_broker_connections{producer=\"%s\",broker=\"%s\",state=\"%s\"} %u\n",
              names[i], label(r->pool, bv->name), label(r->pool, apr_hash_this_key(hi)),
              *(apr_uint32_t *)apr_hash_this_val(hi));
    }
#undef EACH
#undef P
}

static int wants_prometheus(request_rec *r)
{
    apr_table_t *args;
    const char *format;

    if (!r->args)
        return 0;
    ap_args_to_table(r, &args);
    format = apr_table_get(args, "format");
    return format && !strcmp(format, "prometheus");
}

static int status_handler(request_rec *r)
{
    apr_bucket_brigade *bb;
    ku_view_t *views;
    apr_uint32_t n;
    int processes;

    if (!r->handler || strcmp(r->handler, "kafka-upstream-status"))
        return DECLINED;
    r->allowed |= (AP_METHOD_BIT << M_GET);
    if (r->method_number != M_GET)
        return HTTP_METHOD_NOT_ALLOWED;
    if (!shm.header)
        return HTTP_SERVICE_UNAVAILABLE;
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    views = snapshot(r->pool, &n, &processes);
    bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    if (wants_prometheus(r)) {
        ap_set_content_type(r, "text/plain; version=0.0.4; charset=utf-8");
        status_prometheus(r, bb, views, n, processes);
    }
    else {
        ap_set_content_type(r, "application/json");
        apr_brigade_puts(bb, NULL, NULL, status_json(r, views, n, processes));
    }
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(r->connection->bucket_alloc));
    return ap_pass_brigade(r->output_filters, bb) == APR_SUCCESS ? OK : AP_FILTER_ERROR;
}

void ku_status_register_hooks(apr_pool_t *p)
{
    ap_hook_handler(status_handler, NULL, NULL, APR_HOOK_MIDDLE);
}
