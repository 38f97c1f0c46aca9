/* SPDX-License-Identifier: Apache-2.0 */
/* producer.c: per-child librdkafka producers (README "Internals").
 *
 * Memory ownership: producers live in pchild; a sync request waits on a
 * malloc'd waiter shared by reference count with the delivery callback,
 * so nothing the callback can reach lives in a request pool. */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apr_atomic.h"
#include "apr_strings.h"
#include "apr_thread_proc.h"
#include "httpd.h"
#include "http_log.h"
#include "librdkafka/rdkafka.h"

#include "mod_kafka_upstream.h"
#include "oauth.h"
#include "conf_props.h"
#include "log_limit.h"
#include "producer.h"
#include "producer_int.h"
#include "produce_sent.h"
#include "status.h"

/* How often async delivery failures may be logged, once each. */
#define KU_FAILURE_LOG_INTERVAL apr_time_from_sec(10)
/* At child exit, producers take turns flushing in slices this long. */
#define KU_FLUSH_SLICE_MS 10

/* The producer's insides (struct ku_producer): producer_int.h. */

/* A sync request's wait for its delivery report. A semaphore rather than
 * a mutex and condition variable: posting wakes the request without the
 * poll thread holding a lock the request must then take, and a report
 * that comes before the wait costs no system call at all. */
typedef struct {
    sem_t done;                 /* posted once the fields below are set */
    apr_uint32_t refs;          /* the request and the delivery callback */
    rd_kafka_resp_err_t err;
    rd_kafka_msg_status_t status;
    int32_t partition;
    int64_t offset;
    int64_t timestamp;
    uint64_t sent_before;       /* the producer's Produce requests sent when queued */
    int maybe_sent;             /* one was sent before the report: it may have carried it */
} ku_waiter_t;

/* --- sync waiters ---------------------------------------------------------- */

static ku_waiter_t *waiter_new(void)
{
    ku_waiter_t *w = calloc(1, sizeof(*w));

    if (!w)
        return NULL;
    sem_init(&w->done, 0, 0);
    apr_atomic_set32(&w->refs, 2);
    return w;
}

/* Drops one reference; the last one frees. Neither side touches the
 * waiter after dropping its own. */
static void waiter_release(ku_waiter_t *w)
{
    if (apr_atomic_dec32(&w->refs))
        return;
    sem_destroy(&w->done);
    free(w);
}

static void waiter_complete(ku_waiter_t *w, const rd_kafka_message_t *m, uint64_t sent_now)
{
    w->err = m->err;
    w->maybe_sent = sent_now != w->sent_before;
    w->status = rd_kafka_message_status(m);
    w->partition = m->partition;
    w->offset = m->offset;
    w->timestamp = rd_kafka_message_timestamp(m, NULL);
    sem_post(&w->done); /* publishes the fields to the request */
    waiter_release(w);
}

static void deadline_after(struct timespec *deadline, int wait_ms)
{
    clock_gettime(CLOCK_MONOTONIC, deadline);
    deadline->tv_sec += wait_ms / 1000;
    deadline->tv_nsec += (long)(wait_ms % 1000) * 1000000L;
    if (deadline->tv_nsec >= 1000000000L) {
        deadline->tv_sec++;
        deadline->tv_nsec -= 1000000000L;
    }
}

/* Waits until done or the deadline; returns whether it is done (then the
 * fields may be read). */
static int waiter_wait(ku_waiter_t *w, const struct timespec *deadline)
{
    int rc;

    while ((rc = sem_clockwait(&w->done, CLOCK_MONOTONIC, deadline)) != 0 && errno == EINTR)
        ;
    return rc == 0;
}

/* --- librdkafka callbacks (poll thread, or librdkafka's own for logs) -------- */

/* Logs the async delivery failures counted since the last line: at most
 * once per interval, and also when no further failure comes (the poll
 * loop and child exit call it), so that every failure gets counted. */
static void log_async_failures(ku_producer_t *kp, int now_or_never)
{
    if (!kp->failed_unlogged)
        return;
    if (!ku_log_due(&kp->failure_logged_at, now_or_never ? 0 : KU_FAILURE_LOG_INTERVAL))
        return;
    ap_log_error(APLOG_MARK, APLOG_ERR, 0, kp->server,
                 "KU00001: %" APR_UINT64_T_FMT " accepted message(s) could not be "
                 "delivered by producer %s (last: topic %s: %s)", kp->failed_unlogged,
                 kp->name, kp->last_failed_topic, kp->last_failure);
    kp->failed_unlogged = 0;
}

int ku_producer_is_acl_refusal(rd_kafka_resp_err_t err)
{
    return err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED
        || err == RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED;
}

/* A caller's record Kafka's ACLs refused after the caller had written its
 * topic (README "Identity passthrough"): its own line. */
static ku_log_limit_t acl_refusal_rl = KU_LOG_LIMIT("KU00075");

static void count_async_failure(ku_producer_t *kp, const rd_kafka_message_t *m)
{
    if (kp->own_pool && ku_producer_is_acl_refusal(m->err)
        && ku_log_allowed(&acl_refusal_rl, kp->server, APLOG_ERR))
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, kp->server,
                     "KU00075: an accepted record for topic %s was refused by Kafka's ACLs "
                     "for the caller of producer %s: %s", rd_kafka_topic_name(m->rkt),
                     kp->name, rd_kafka_err2str(m->err));
    kp->failed_unlogged++;
    apr_cpystrn(kp->last_failed_topic, rd_kafka_topic_name(m->rkt),
                sizeof(kp->last_failed_topic));
    kp->last_failure = rd_kafka_err2str(m->err);
    log_async_failures(kp, 0);
}

/* Purged at child exit: counted by KU00005 instead. */
static int is_purged(rd_kafka_resp_err_t err)
{
    return err == RD_KAFKA_RESP_ERR__PURGE_QUEUE || err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT;
}

/* --- the observer (the spool) ------------------------------------------------- */

static const ku_producer_observer_t *observer;

void ku_producer_observe(const ku_producer_observer_t *o)
{
    observer = o;
}

void ku_producer_announce(ku_producer_t *kp, const char *key, server_rec *s)
{
    if (observer)
        observer->producer_added(kp, key, s, kp->name);
}

/* The observer's entries travel as librdkafka's opaque with bit 0 set: a
 * sync send's waiter (an aligned pointer) never has it. */
static void *observed_opaque(void *entry)
{
    return (void *)((uintptr_t)entry | 1);
}

static int is_observed(void *opaque)
{
    return ((uintptr_t)opaque & 1) != 0;
}

static void *observed_entry(void *opaque)
{
    return (void *)((uintptr_t)opaque & ~(uintptr_t)1);
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    ku_producer_t *kp = opaque;

    apr_atomic_dec32(&kp->in_queue);
    if (!m->err)
        kp->broker_trouble = NULL;
    ku_status_delivered(kp->stats, m->err != RD_KAFKA_RESP_ERR_NO_ERROR,
                        rd_kafka_message_latency(m));
    if (m->_private && is_observed(m->_private))
        observer->delivered(observed_entry(m->_private), m->err);
    else if (m->_private)
        waiter_complete(m->_private, m, ku_produce_sent_count(&kp->produce_sent));
    else if (m->err && !is_purged(m->err))
        count_async_failure(kp, m);
}

static const char trouble_auth[] = "broker authentication failed";
static const char trouble_tls[] = "TLS with the brokers failed";
static const char trouble_unreachable[] = "brokers unreachable";

/* Remembers the most telling cause: a failed login or TLS handshake is
 * followed by "all brokers down", which must not hide it. A TLS alert from
 * the broker (e.g. it wants a client certificate) comes as a transport
 * error that quotes OpenSSL. */
static void note_broker_trouble(ku_producer_t *kp, int err, const char *reason)
{
    const char *oauth = ku_oauth_trouble(err, reason);

    if (err == RD_KAFKA_RESP_ERR__AUTHENTICATION)
        kp->login_refused = 1;

    if (oauth)
        kp->broker_trouble = oauth;
    else if (err == RD_KAFKA_RESP_ERR__AUTHENTICATION)
        kp->broker_trouble = trouble_auth;
    else if (err == RD_KAFKA_RESP_ERR__SSL
             || (err == RD_KAFKA_RESP_ERR__TRANSPORT && strstr(reason, "SSL routines")))
        kp->broker_trouble = trouble_tls;
    else if (!kp->broker_trouble && (err == RD_KAFKA_RESP_ERR__TRANSPORT
                                     || err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN
                                     || err == RD_KAFKA_RESP_ERR__RESOLVE))
        kp->broker_trouble = trouble_unreachable;
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    ku_producer_t *kp = opaque;
    char fatal_reason[512];

    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        rd_kafka_fatal_error(rk, fatal_reason, sizeof(fatal_reason));
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, kp->server,
                     "KU00002: producer %s failed fatally: %s", kp->name,
                     fatal_reason);
        return;
    }
    note_broker_trouble(kp, err, reason);
    if (!ku_log_allowed(kp->error_limit, kp->server, APLOG_WARNING))
        return;
    if (ku_oauth_trouble(err, reason))
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, kp->server,
                     "KU00030: producer %s: %s: %s", kp->name,
                     ku_oauth_trouble(err, reason), reason);
    else
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, kp->server,
                     "KU00003: producer %s: %s: %s", kp->name,
                     rd_kafka_err2name(err), reason);
}

/* librdkafka's syslog levels match httpd's APLOG levels one to one. Its
 * debug output (asked for with the debug property) is not rate-limited. */
static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    ku_producer_t *kp = rd_kafka_opaque(rk);

    if (level < APLOG_DEBUG
        && !ku_log_allowed(kp->log_limit, kp->server, level))
        return;
    ap_log_error(APLOG_MARK, level, 0, kp->server,
                 "KU00004: librdkafka %s: %s", fac, buf);
}

/* Statistics: broker states for the status page. 0: librdkafka frees json. */
static int on_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
    ku_producer_t *kp = opaque;

    ku_status_stats(kp->stats, json, len);
    return 0;
}

static void *APR_THREAD_FUNC poll_loop(apr_thread_t *thread, void *data)
{
    ku_producer_t *kp = data;

    while (!kp->stopping) {
        rd_kafka_poll(kp->rk, 100);
        log_async_failures(kp, 0);
        ku_status_tick(kp->stats, apr_atomic_read32(&kp->in_queue));
        ku_log_limits_tick();
    }
    return NULL;
}

/* --- lifecycle ------------------------------------------------------------- */

static void stop_poll_thread(ku_producer_t *kp)
{
    rd_kafka_queue_t *mainq = rd_kafka_queue_get_main(kp->rk);
    apr_status_t ignored;

    kp->stopping = 1;
    /* Ends the poll thread's current wait. rd_kafka_yield() does not (2.0.2):
     * the thread slept out its 100 ms poll, per producer, at every exit. */
    rd_kafka_queue_yield(mainq);
    rd_kafka_queue_destroy(mainq);
    apr_thread_join(&ignored, kp->poll_thread);
}

/* Flushes every producer at once, each within its own shutdown timeout
 * counted from the same start: N producers on a dead cluster take one
 * timeout, not N, and a dead cluster does not eat a healthy one's time.
 * rd_kafka_flush() sends lingering batches only while it runs, hence
 * short turns rather than one producer after another. */
static void flush_all(ku_producer_t **kps, int n)
{
    apr_time_t start = apr_time_now();
    int i, pending;

    do {
        pending = 0;
        for (i = 0; i < n; i++) {
            int left = kps[i]->shutdown_timeout_ms
                       - (int)apr_time_as_msec(apr_time_now() - start);

            if (left <= 0 || apr_atomic_read32(&kps[i]->in_queue) == 0)
                continue;
            rd_kafka_flush(kps[i]->rk, left < KU_FLUSH_SLICE_MS ? left : KU_FLUSH_SLICE_MS);
            pending = 1;
        }
    } while (pending);
}

/* Purge what is left, destroy; log what is lost. */
static void close_producer(ku_producer_t *kp)
{
    int undelivered = (int)apr_atomic_read32(&kp->in_queue);
    apr_uint32_t i;

    log_async_failures(kp, 1);
    rd_kafka_purge(kp->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(kp->rk, 0); /* sync waiters learn of the purge */
    for (i = 0; i < apr_atomic_read32(&kp->ntopics); i++) {
        rd_kafka_topic_destroy(kp->topic[i].rkt);
        free(kp->topic[i].name);
    }
    rd_kafka_destroy(kp->rk);
    pthread_mutex_destroy(&kp->topics_lock);
    ap_log_error(APLOG_MARK, undelivered ? APLOG_WARNING : APLOG_INFO, 0,
                 kp->server,
                 "KU00005: producer %s closed, %d message(s) left undelivered",
                 kp->name, undelivered);
}

void ku_producers_shut(ku_producer_t **kps, int n)
{
    int i;

    for (i = 0; i < n; i++)
        stop_poll_thread(kps[i]);
    flush_all(kps, n);
    for (i = 0; i < n; i++)
        close_producer(kps[i]);
}

void ku_producer_shut(ku_producer_t *kp)
{
    ku_producers_shut(&kp, 1);
}

/* A caller's Bearer token as librdkafka's OAUTHBEARER token: asked for
 * when the producer starts and at 80 % of the token's lifetime. The same
 * token each time: a refreshed token is another credential and so another
 * producer (README "Identity passthrough"). */
static void on_token_refresh(rd_kafka_t *rk, const char *config, void *opaque)
{
    ku_producer_t *kp = opaque;
    char errstr[256];

    if (rd_kafka_oauthbearer_set_token(rk, kp->bearer->token, kp->bearer->expires_ms,
                                       kp->bearer->principal, NULL, 0, errstr,
                                       sizeof(errstr)) != RD_KAFKA_RESP_ERR_NO_ERROR)
        rd_kafka_oauthbearer_set_token_failure(rk, errstr);
}

/* The conf's properties, then extra ones (a caller's login), which win. */
static rd_kafka_conf_t *producer_conf(apr_pool_t *p, const ku_dir_conf_t *conf,
                                      ku_producer_t *kp, const apr_array_header_t *extra,
                                      const char **error)
{
    rd_kafka_conf_t *rkc = rd_kafka_conf_new();
    apr_array_header_t *props = ku_conf_producer_props(p, conf);
    const ku_prop_t *prop;
    char errstr[512];
    int i;

    if (extra)
        apr_array_cat(props, extra);
    prop = (const ku_prop_t *)props->elts;
    for (i = 0; i < props->nelts; i++) {
        if (rd_kafka_conf_set(rkc, prop[i].name, prop[i].value, errstr,
                              sizeof(errstr)) != RD_KAFKA_CONF_OK) {
            *error = apr_psprintf(p, "%s: %s", prop[i].name, errstr);
            rd_kafka_conf_destroy(rkc);
            return NULL;
        }
    }
    rd_kafka_conf_set_opaque(rkc, kp);
    rd_kafka_conf_set_dr_msg_cb(rkc, on_delivery);
    rd_kafka_conf_set_error_cb(rkc, on_error);
    rd_kafka_conf_set_log_cb(rkc, on_log);
    rd_kafka_conf_set_stats_cb(rkc, on_stats);
    if (ku_produce_sent_attach(rkc, &kp->produce_sent) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        *error = "cannot count the producer's requests (librdkafka interceptor)";
        rd_kafka_conf_destroy(rkc);
        return NULL;
    }
    if (kp->bearer)
        rd_kafka_conf_set_oauthbearer_token_refresh_cb(rkc, on_token_refresh);
    /* Broker states for the status page: a caller's producer shows none. */
    if (!kp->bearer && !extra)
        ku_status_conf(rkc);
    return rkc;
}

static ku_log_limit_t callers_error_rl = KU_LOG_LIMIT("KU00003 (callers' producers)");
static ku_log_limit_t callers_log_rl = KU_LOG_LIMIT("KU00004 (callers' producers)");

/* Makes a producer in p: librdkafka's handle and the poll thread
 * (producer_int.h). */
ku_producer_t *ku_producer_make_in(apr_pool_t *p, const ku_dir_conf_t *conf, const char *key,
                                    const char *name, server_rec *s,
                                    const apr_array_header_t *extra,
                                    ku_producer_bearer_t *bearer, const char **error)
{
    ku_producer_t *kp = apr_pcalloc(p, sizeof(*kp));
    rd_kafka_conf_t *rkc;
    char errstr[512];

    kp->server = s;
    kp->name = name;
    kp->bearer = bearer;
    kp->shutdown_timeout_ms = ku_conf_num(conf, KU_NUM_SHUTDOWN_TIMEOUT);
    kp->stats = ku_status_attach(p, key, kp->name, s, !bearer && !extra);
    kp->error_rl.what = apr_psprintf(p, "KU00003 (producer %s)", kp->name);
    kp->log_rl.what = apr_psprintf(p, "KU00004 (producer %s)", kp->name);
    kp->error_limit = bearer || extra ? &callers_error_rl : &kp->error_rl;
    kp->log_limit = bearer || extra ? &callers_log_rl : &kp->log_rl;
    if (!(rkc = producer_conf(p, conf, kp, extra, error)))
        return NULL;
    kp->rk = rd_kafka_new(RD_KAFKA_PRODUCER, rkc, errstr, sizeof(errstr));
    if (!kp->rk) {
        rd_kafka_conf_destroy(rkc);
        *error = apr_pstrdup(p, errstr);
        return NULL;
    }
    if (apr_thread_create(&kp->poll_thread, NULL, poll_loop, kp, p) != APR_SUCCESS) {
        rd_kafka_destroy(kp->rk);
        *error = "cannot start the poll thread";
        return NULL;
    }
    pthread_mutex_init(&kp->topics_lock, NULL);
    return kp;
}

/* --- sending ----------------------------------------------------------------- */

int ku_producer_is_fatal(ku_producer_t *kp)
{
    return rd_kafka_fatal_error(kp->rk, NULL, 0) != RD_KAFKA_RESP_ERR_NO_ERROR;
}

static void set_result(ku_send_result_t *res, ku_send_outcome_t outcome,
                       rd_kafka_resp_err_t err)
{
    memset(res, 0, sizeof(*res));
    res->outcome = outcome;
    res->err = err;
}

/* The delivery report of a sync message. */
static void delivered(ku_send_result_t *res, const ku_waiter_t *w,
                      const char *broker_trouble)
{
    set_result(res, w->err ? KU_SEND_FAILED : KU_SEND_DONE, w->err);
    res->persisted = w->status;
    res->maybe_sent = w->maybe_sent;
    res->broker_trouble = broker_trouble;
    res->partition = w->partition;
    res->offset = w->offset;
    res->timestamp = w->timestamp;
}

static rd_kafka_headers_t *record_headers(const apr_array_header_t *headers)
{
    const ku_header_t *h = headers ? (const ku_header_t *)headers->elts : NULL;
    rd_kafka_headers_t *hdrs;
    int i;

    if (!h || !headers->nelts)
        return NULL;
    hdrs = rd_kafka_headers_new((size_t)headers->nelts);
    for (i = 0; i < headers->nelts; i++)
        rd_kafka_header_add(hdrs, h[i].name, -1, h[i].value,
                            h[i].value_len ? (ssize_t)h[i].value_len : -1);
    return hdrs;
}

/* The producer's handle for topic, made on first use; NULL when it keeps
 * no more handles or librdkafka refuses the name (then it is sent by name
 * and librdkafka gives its own answer). */
static rd_kafka_topic_t *topic_handle(ku_producer_t *kp, const char *topic)
{
    apr_uint32_t i, n = apr_atomic_read32(&kp->ntopics);
    rd_kafka_topic_t *rkt = NULL;
    char *name;

    for (i = 0; i < n; i++)
        if (!strcmp(kp->topic[i].name, topic))
            return kp->topic[i].rkt;
    if (n == KU_TOPICS_MAX)
        return NULL;
    pthread_mutex_lock(&kp->topics_lock);
    n = apr_atomic_read32(&kp->ntopics);
    for (i = 0; i < n && strcmp(kp->topic[i].name, topic); i++)
        ;
    if (i < n)
        rkt = kp->topic[i].rkt;
    else if (n < KU_TOPICS_MAX && (name = strdup(topic))) {
        if ((rkt = rd_kafka_topic_new(kp->rk, topic, NULL))) {
            kp->topic[n].name = name;
            kp->topic[n].rkt = rkt;
            apr_atomic_set32(&kp->ntopics, n + 1); /* publishes the entry */
        }
        else
            free(name);
    }
    pthread_mutex_unlock(&kp->topics_lock);
    return rkt;
}

static rd_kafka_resp_err_t produce(ku_producer_t *kp, const ku_record_t *rec, void *opaque)
{
    rd_kafka_headers_t *hdrs = record_headers(rec->headers);
    rd_kafka_topic_t *rkt = topic_handle(kp, rec->topic);
    int32_t partition = rec->has_partition ? rec->partition : RD_KAFKA_PARTITION_UA;
    rd_kafka_resp_err_t err;

    /* RD_KAFKA_MSG_F_COPY: the value lives in the request pool, and an
     * async message outlives the request. librdkafka then allocates the
     * message and its copy in one block: cheaper than our own malloc'd
     * copy handed over with RD_KAFKA_MSG_F_FREE (two allocations). */
    if (rkt)
        err = rd_kafka_producev(kp->rk, RD_KAFKA_V_RKT(rkt),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                RD_KAFKA_V_VALUE((void *)rec->value, rec->len),
                                RD_KAFKA_V_KEY((void *)rec->key, rec->key ? rec->key_len : 0),
                                RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_PARTITION(partition),
                                RD_KAFKA_V_TIMESTAMP(rec->timestamp),
                                RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
    else
        err = rd_kafka_producev(kp->rk, RD_KAFKA_V_TOPIC(rec->topic),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                RD_KAFKA_V_VALUE((void *)rec->value, rec->len),
                                RD_KAFKA_V_KEY((void *)rec->key, rec->key ? rec->key_len : 0),
                                RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_PARTITION(partition),
                                RD_KAFKA_V_TIMESTAMP(rec->timestamp),
                                RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
    if (err && hdrs)
        rd_kafka_headers_destroy(hdrs); /* only a queued message owns them */
    return err;
}

/* Queues one record; sync ones get a waiter (NULL when refused). */
static ku_waiter_t *queue_record(ku_producer_t *kp, ku_record_t *rec, int sync)
{
    ku_waiter_t *w = NULL;
    rd_kafka_resp_err_t err;

    if (sync && !(w = waiter_new())) {
        set_result(&rec->result, KU_SEND_UNAVAILABLE, RD_KAFKA_RESP_ERR_NO_ERROR);
        rec->result.unavailable = "out of memory";
        return NULL;
    }
    apr_atomic_inc32(&kp->in_queue); /* before: its report may come at once */
    if (w) /* before too: a request sent from now on may carry it */
        w->sent_before = ku_produce_sent_count(&kp->produce_sent);
    err = produce(kp, rec, w);
    if (err) {
        apr_atomic_dec32(&kp->in_queue);
        if (w) {
            waiter_release(w); /* no delivery report will come: */
            waiter_release(w); /* its reference goes too */
        }
        set_result(&rec->result, KU_SEND_REFUSED, err);
        return NULL;
    }
    ku_status_accepted(kp->stats);
    set_result(&rec->result, KU_SEND_DONE, RD_KAFKA_RESP_ERR_NO_ERROR);
    return w;
}

void ku_producer_send(ku_producer_t *kp, ku_record_t *records, int n, int sync,
                      int wait_ms, apr_pool_t *p)
{
    ku_waiter_t **waiters = apr_pcalloc(p, sizeof(*waiters) * (size_t)n);
    struct timespec deadline;
    int i, queue_full = 0;

    /* Once the local queue is full, the rest of the request is refused as
     * it is at once: trying each would only fill the queue's gaps with
     * records of this request while the others wait (README "Limits"). */
    for (i = 0; i < n; i++) {
        if (ku_producer_is_fatal(kp))
            set_result(&records[i].result, KU_SEND_REFUSED, RD_KAFKA_RESP_ERR__FATAL);
        else if (queue_full)
            set_result(&records[i].result, KU_SEND_REFUSED, RD_KAFKA_RESP_ERR__QUEUE_FULL);
        else {
            waiters[i] = queue_record(kp, &records[i], sync);
            queue_full = records[i].result.err == RD_KAFKA_RESP_ERR__QUEUE_FULL;
        }
    }
    if (!sync)
        return;
    deadline_after(&deadline, wait_ms);
    for (i = 0; i < n; i++) {
        if (!waiters[i])
            continue;
        if (waiter_wait(waiters[i], &deadline))
            delivered(&records[i].result, waiters[i], kp->broker_trouble);
        else
            set_result(&records[i].result, KU_SEND_WAIT_OVER, RD_KAFKA_RESP_ERR__TIMED_OUT);
        waiter_release(waiters[i]);
    }
}

/* --- the observer's sends (the spool) ------------------------------------------ */

int ku_producer_queue_spooled(ku_producer_t *kp, ku_record_t *rec, void *entry, int first)
{
    rd_kafka_resp_err_t err = ku_producer_is_fatal(kp) ? RD_KAFKA_RESP_ERR__FATAL
                                                       : RD_KAFKA_RESP_ERR_NO_ERROR;

    apr_atomic_inc32(&kp->in_queue); /* before: its report may come at once */
    if (!err)
        err = produce(kp, rec, observed_opaque(entry));
    if (err) {
        apr_atomic_dec32(&kp->in_queue);
        set_result(&rec->result, KU_SEND_REFUSED, err);
        return err;
    }
    if (first)
        ku_status_accepted(kp->stats);
    set_result(&rec->result, KU_SEND_DONE, RD_KAFKA_RESP_ERR_NO_ERROR);
    return 0;
}

void ku_producer_count_rejected(ku_producer_t *kp, ku_reject_t reason)
{
    ku_status_count_rejected(kp->stats, reason);
}

rd_kafka_t *ku_producer_handle(ku_producer_t *kp)
{
    return kp->rk;
}
