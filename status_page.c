/* SPDX-License-Identifier: Apache-2.0 */
/* status_page.c: `SetHandler kafka-upstream-status` (README "Status page"): the shared
 * counters and the live children's gauges (status.c), summed, as JSON, as
 * Prometheus text (`?format=prometheus`) or as HTML (status_html.c). Nothing secret is in the
 * shared memory to begin with: producers are named by section, cluster
 * name and brokers, never by their librdkafka properties. */
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#include "apr_hash.h"
#include "apr_strings.h"
#include "http_protocol.h"
#include "http_request.h"
#include <json-c/json.h>
#include <librdkafka/rdkafka.h>

#include "mod_kafka_upstream.h"
#include "accept.h"
#include "status.h"
#include "status_page.h"
#include "spool_status.h"
#include "idempotency.h"
#include "identity.h"
#include "status_shm.h"
#include "urlencoded.h"

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
    apr_uint32_t n = ku_shm.header->nslots + 1, i, k, c, nb;
    ku_view_t *views = apr_pcalloc(p, n * sizeof(*views));
    ku_broker_t brokers[KU_BROKERS];
    int b;

    *processes = 0;
    for (i = 0; i < n; i++) {
        views[i].slot = &ku_shm.slots[i];
        views[i].brokers = apr_array_make(p, 4, sizeof(ku_broker_view_t));
        for (b = 0; b < KU_BUCKETS; b++)
            views[i].bucket[b] = KU_SHM_LOAD(ku_shm.slots[i].latency_bucket[b]);
    }
    for (c = 0; c < ku_shm.header->nchildren; c++) {
        ku_child_t *child = ku_status_child_at(c);

        if (!ku_status_child_alive(child))
            continue;
        ++*processes;
        for (i = 0; i < n; i++) {
            const ku_gauge_t *g = ku_status_gauge_of(child, i);

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

    if (i < ku_shm.header->nslots)
        return 1;
    for (r = 0; r < KU_REJECT_COUNT; r++)
        if (KU_SHM_LOAD(v->slot->rejected[r]))
            return 1;
    for (r = 0; r < KU_API_SLOTS; r++)
        if (KU_SHM_LOAD(v->slot->requests[r]))
            return 1;
    return KU_SHM_LOAD(v->slot->accepted) || v->queue_depth || v->brokers->nelts;
}

/* Quantile q as the upper bound (ms) of the bucket holding it: a number,
 * "+Inf" when it lies above the last bound (no figure is known there),
 * NULL before any delivery. */
static json_object *quantile_json(const ku_view_t *v, double q)
{
    uint64_t counts[KU_BUCKETS];
    int b;

    for (b = 0; b < KU_BUCKETS; b++)
        counts[b] = v->bucket[b];
    b = ku_latency_quantile_bucket(counts, q);
    if (b < 0)
        return NULL;
    if (b == KU_LATENCY_BOUNDS)
        return json_object_new_string("+Inf");
    return json_object_new_int(ku_latency_le_ms[b]);
}

#define KU_JSON_INT(o, k, v) json_object_object_add((o), (k), json_object_new_int64((int64_t)(v)))

static json_object *view_json(const ku_view_t *v)
{
    json_object *o = json_object_new_object(), *rej = json_object_new_object();
    json_object *requests = json_object_new_object();
    json_object *lat = json_object_new_object(), *buckets = json_object_new_object();
    json_object *brokers = json_object_new_array();
    apr_uint64_t cumulative = 0;
    json_object *q;
    int r, b;

    json_object_object_add(o, "name", json_object_new_string(v->slot->name));
    json_object_object_add(o, "server", json_object_new_string(v->slot->server));
    KU_JSON_INT(o, "accepted", KU_SHM_LOAD(v->slot->accepted));
    KU_JSON_INT(o, "delivered", KU_SHM_LOAD(v->slot->delivered));
    KU_JSON_INT(o, "failed", KU_SHM_LOAD(v->slot->failed));
    for (r = 0; r < KU_REJECT_COUNT; r++)
        KU_JSON_INT(rej, ku_reject_names[r], KU_SHM_LOAD(v->slot->rejected[r]));
    json_object_object_add(o, "rejected", rej);
    for (r = 0; r < KU_API_SLOTS; r++)
        KU_JSON_INT(requests, ku_api_names[r], KU_SHM_LOAD(v->slot->requests[r]));
    json_object_object_add(o, "requests", requests);
    KU_JSON_INT(o, "queue_depth", v->queue_depth);
    json_object_object_add(lat, "sum", json_object_new_double(
                               (double)KU_SHM_LOAD(v->slot->latency_sum_us) / 1000.0));
    if ((q = quantile_json(v, 0.5)))
        json_object_object_add(lat, "p50", q);
    if ((q = quantile_json(v, 0.99)))
        json_object_object_add(lat, "p99", q);
    for (b = 0; b < KU_BUCKETS; b++) {
        char le[16];

        cumulative += v->bucket[b];
        if (b < KU_BUCKETS - 1)
            apr_snprintf(le, sizeof(le), "%d", ku_latency_le_ms[b]);
        else
            apr_cpystrn(le, "+Inf", sizeof(le));
        KU_JSON_INT(buckets, le, cumulative);
    }
    KU_JSON_INT(lat, "count", cumulative);
    json_object_object_add(lat, "buckets", buckets);
    json_object_object_add(o, "latency_ms", lat);
    for (b = 0; b < v->brokers->nelts; b++) {
        const ku_broker_view_t *bv = &APR_ARRAY_IDX(v->brokers, b, ku_broker_view_t);
        json_object *bo = json_object_new_object(), *states = json_object_new_object();
        apr_hash_index_t *hi;

        json_object_object_add(bo, "name", json_object_new_string(bv->name));
        for (hi = apr_hash_first(NULL, bv->states); hi; hi = apr_hash_next(hi))
            KU_JSON_INT(states, apr_hash_this_key(hi), *(apr_uint32_t *)apr_hash_this_val(hi));
        json_object_object_add(bo, "states", states);
        json_object_array_add(brokers, bo);
    }
    json_object_object_add(o, "brokers", brokers);
    return o;
}

/* The JSON view's object: what both the JSON and the HTML view show. */
static json_object *status_object(ku_view_t *views, apr_uint32_t n, int processes)
{
    json_object *o = json_object_new_object(), *producers = json_object_new_array();
    apr_uint32_t i;

    KU_JSON_INT(o, "pid", getpid());
    json_object_object_add(o, "mod_kafka_upstream", json_object_new_string(KU_MODULE_VERSION));
    /* The library this process runs on, which may not be the one it was built with. */
    json_object_object_add(o, "librdkafka", json_object_new_string(rd_kafka_version_str()));
    json_object_object_add(o, "librdkafka_linkage", json_object_new_string(ku_rdkafka_linkage));
    KU_JSON_INT(o, "processes", processes);
    KU_JSON_INT(o, "since", apr_time_sec(ku_shm.header->created));
    KU_JSON_INT(o, "misconfigured_requests", KU_SHM_LOAD(ku_shm.header->misconfigured));
    for (i = 0; i < n; i++)
        if (shown(&views[i], i))
            json_object_array_add(producers, view_json(&views[i]));
    json_object_object_add(o, "producers", producers);
    ku_spool_status_json(o);
    ku_idem_status_json(o);
    ku_identity_status_json(o);
    return o;
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

/* One counter of each shown producer's slot, the field at offset field. */
static void producer_counter(apr_bucket_brigade *bb, const ku_view_t *views, const char **names,
                             apr_uint32_t n, const char *name, const char *help, size_t field)
{
    apr_uint32_t i;

    metric_head(bb, name, "counter", help);
    for (i = 0; i < n; i++)
        if (shown(&views[i], i))
            apr_brigade_printf(bb, NULL, NULL, "%s{producer=\"%s\"} %" APR_UINT64_T_FMT "\n",
                               name, names[i], KU_SHM_LOAD(*(const apr_uint64_t *)
                                                       ((const char *)views[i].slot + field)));
}

/* Prometheus text exposition format 0.0.4. */
static void status_prometheus(request_rec *r, apr_bucket_brigade *bb, ku_view_t *views,
                              apr_uint32_t n, int processes)
{
    const char **names = apr_pcalloc(r->pool, n * sizeof(*names));
    apr_uint32_t i;
    int k;

#define KU_EACH_SHOWN for (i = 0; i < n; i++) if (shown(&views[i], i))
#define KU_PRINT(...) apr_brigade_printf(bb, NULL, NULL, __VA_ARGS__)
    for (i = 0; i < n; i++)
        names[i] = apr_pstrcat(r->pool, label(r->pool, views[i].slot->name), "\",server=\"",
                               label(r->pool, views[i].slot->server), NULL);
    metric_head(bb, "kafka_upstream_module_info", "gauge",
                "The version of mod_kafka_upstream (its version label)");
    KU_PRINT("kafka_upstream_module_info{version=\"%s\"} 1\n", label(r->pool, KU_MODULE_VERSION));
    metric_head(bb, "kafka_upstream_librdkafka_info", "gauge",
                "The librdkafka the module runs on (its version; linkage: bundled or shared)");
    KU_PRINT("kafka_upstream_librdkafka_info{version=\"%s\",linkage=\"%s\"} 1\n",
             label(r->pool, rd_kafka_version_str()), ku_rdkafka_linkage);
    metric_head(bb, "kafka_upstream_processes", "gauge",
                "Child processes publishing to this page");
    KU_PRINT("kafka_upstream_processes %d\n", processes);
    metric_head(bb, "kafka_upstream_misconfigured_requests_total", "counter",
                "Requests to a location without bootstrap servers or topic (500)");
    KU_PRINT("kafka_upstream_misconfigured_requests_total %" APR_UINT64_T_FMT "\n",
             KU_SHM_LOAD(ku_shm.header->misconfigured));
    producer_counter(bb, views, names, n, "kafka_upstream_messages_accepted_total",
                     "Messages queued for Kafka", offsetof(ku_slot_t, accepted));
    producer_counter(bb, views, names, n, "kafka_upstream_messages_delivered_total",
                     "Messages Kafka acknowledged", offsetof(ku_slot_t, delivered));
    producer_counter(bb, views, names, n, "kafka_upstream_messages_failed_total",
                     "Accepted messages whose delivery failed", offsetof(ku_slot_t, failed));
    metric_head(bb, "kafka_upstream_messages_rejected_total", "counter",
                "Messages refused and never produced, by reason");
    KU_EACH_SHOWN for (k = 0; k < KU_REJECT_COUNT; k++)
        KU_PRINT("kafka_upstream_messages_rejected_total{producer=\"%s\",reason=\"%s\"} %"
                 APR_UINT64_T_FMT "\n", names[i], ku_reject_names[k],
                 KU_SHM_LOAD(views[i].slot->rejected[k]));
    metric_head(bb, "kafka_upstream_requests_total", "counter",
                "Requests the producer's Locations handled, by KafkaUpstreamAPI");
    KU_EACH_SHOWN for (k = 0; k < KU_API_SLOTS; k++)
        KU_PRINT("kafka_upstream_requests_total{producer=\"%s\",api=\"%s\"} %"
                 APR_UINT64_T_FMT "\n", names[i], ku_api_names[k],
                 KU_SHM_LOAD(views[i].slot->requests[k]));
    metric_head(bb, "kafka_upstream_queue_messages", "gauge",
                "Messages in the producers' local queues, all children");
    KU_EACH_SHOWN KU_PRINT("kafka_upstream_queue_messages{producer=\"%s\"} %" APR_INT64_T_FMT "\n",
                           names[i], views[i].queue_depth);
    metric_head(bb, "kafka_upstream_delivery_latency_seconds", "histogram",
                "Time from queueing to Kafka's acknowledgement");
    KU_EACH_SHOWN {
        apr_uint64_t cumulative = 0;

        for (k = 0; k < KU_BUCKETS; k++) {
            cumulative += views[i].bucket[k];
            if (k < KU_BUCKETS - 1)
                KU_PRINT("kafka_upstream_delivery_latency_seconds_bucket{producer=\"%s\",le=\"%g\"} %"
                         APR_UINT64_T_FMT "\n", names[i], ku_latency_le_ms[k] / 1000.0, cumulative);
            else
                KU_PRINT("kafka_upstream_delivery_latency_seconds_bucket{producer=\"%s\",le=\"+Inf\"} %"
                         APR_UINT64_T_FMT "\n", names[i], cumulative);
        }
        KU_PRINT("kafka_upstream_delivery_latency_seconds_sum{producer=\"%s\"} %.6f\n", names[i],
                 (double)KU_SHM_LOAD(views[i].slot->latency_sum_us) / 1e6);
        KU_PRINT("kafka_upstream_delivery_latency_seconds_count{producer=\"%s\"} %" APR_UINT64_T_FMT
                 "\n", names[i], cumulative);
    }
    metric_head(bb, "kafka_upstream_broker_connections", "gauge",
                "Children whose connection to the broker is in this state");
    KU_EACH_SHOWN for (k = 0; k < views[i].brokers->nelts; k++) {
        const ku_broker_view_t *bv = &APR_ARRAY_IDX(views[i].brokers, k, ku_broker_view_t);
        apr_hash_index_t *hi;

        for (hi = apr_hash_first(r->pool, bv->states); hi; hi = apr_hash_next(hi))
            KU_PRINT("kafka_upstream_broker_connections{producer=\"%s\",broker=\"%s\",state=\"%s\"} %u\n",
                     names[i], label(r->pool, bv->name), label(r->pool, apr_hash_this_key(hi)),
                     *(apr_uint32_t *)apr_hash_this_val(hi));
    }
#undef KU_EACH_SHOWN
#undef P
    ku_spool_status_prometheus(bb);
    ku_idem_status_prometheus(bb);
}

typedef enum { KU_VIEW_JSON, KU_VIEW_PROMETHEUS, KU_VIEW_HTML } ku_view_format_t;

/* ?format=prometheus, html or json, read as every query argument is
 * (urlencoded.c); without it HTML when the Accept header prefers it (a
 * browser), else JSON. -1 when the argument cannot be decoded (400). */
static int view_format(request_rec *r)
{
    const char *format;

    switch (ku_query_arg(r->pool, r->args, "format", &format)) {
    case KU_ARG_FOUND:
        if (!strcmp(format, "prometheus"))
            return KU_VIEW_PROMETHEUS;
        return strcmp(format, "html") ? KU_VIEW_JSON : KU_VIEW_HTML;
    case KU_ARG_ABSENT:
        apr_table_mergen(r->headers_out, "Vary", "Accept");
        return ku_accept_prefers_html(apr_table_get(r->headers_in, "Accept"))
               ? KU_VIEW_HTML : KU_VIEW_JSON;
    default:
        return -1;
    }
}

static int status_handler(request_rec *r)
{
    apr_bucket_brigade *bb;
    ku_view_t *views;
    json_object *page;
    apr_uint32_t n;
    int processes, format;

    if (!r->handler || strcmp(r->handler, "kafka-upstream-status"))
        return DECLINED;
    r->allowed |= (AP_METHOD_BIT << M_GET);
    if (r->method_number != M_GET)
        return HTTP_METHOD_NOT_ALLOWED;
    if ((format = view_format(r)) < 0)
        return HTTP_BAD_REQUEST;
    if (!ku_shm.header)
        return HTTP_SERVICE_UNAVAILABLE;
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    views = snapshot(r->pool, &n, &processes);
    bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    if (format == KU_VIEW_PROMETHEUS) {
        ap_set_content_type(r, "text/plain; version=0.0.4; charset=utf-8");
        status_prometheus(r, bb, views, n, processes);
    }
    else {
        page = status_object(views, n, processes);
        if (format == KU_VIEW_HTML)
            ku_status_html(r, bb, page);
        else {
            ap_set_content_type(r, "application/json");
            apr_brigade_puts(bb, NULL, NULL, json_object_to_json_string_ext(
                                 page, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
            apr_brigade_puts(bb, NULL, NULL, "\n");
        }
        json_object_put(page);
    }
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(r->connection->bucket_alloc));
    return ap_pass_brigade(r->output_filters, bb) == APR_SUCCESS ? OK : AP_FILTER_ERROR;
}

void ku_status_register_hooks(apr_pool_t *p)
{
    ap_hook_handler(status_handler, NULL, NULL, APR_HOOK_MIDDLE);
}
