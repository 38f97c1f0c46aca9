/* SPDX-License-Identifier: Apache-2.0 */
/* mod_kafka_upstream: every request to a `SetHandler kafka-upstream`
 * location becomes a Kafka message (docs/contract.md). This file holds the module
 * record, the hooks and the handler; conf.c the directives, encoder.c the
 * message (body_args.c, multipart.c and utf8.c its parsers), producer.c the
 * librdkafka producers. */
#include <limits.h>
#include <string.h>

#include "config.h"
#include "apr_allocator.h"
#include "apr_atomic.h"
#include "apr_strings.h"
#include "apr_thread_mutex.h"
#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_filter.h"
#include <json-c/json.h>
#include <librdkafka/rdkafka.h>

#include "mod_kafka_upstream.h"
#include "answer.h"
#include "bounds.h"
#include "conf.h"
#include "encoder.h"
#include "log_limit.h"
#include "lua_message.h"
#include "producer.h"
#include "request.h"
#include "results.h"
#include "rest_v2.h"
#include "rest_v3.h"
#include "spool.h"
#include "status.h"
#include "no_fs_walk.h"
#include "trace_context_req.h"
#include "idempotency.h"
#include "identity.h"

/* A sync request waits this much beyond the delivery timeout, so that
 * librdkafka's own timeout report comes first: librdkafka checks
 * message.timeout.ms on a 1 s timer, so the report can come up to 1 s after
 * the delivery timeout, plus the poll thread's hand-over. */
#define KU_WAIT_MARGIN_MS 2000

static const char ku_sent_body[] = "{\"message\":\"message sent\"}";

/* --- responses --------------------------------------------------------------- */

static int respond(request_rec *r, int status, const char *body)
{
    r->status = status;
    ap_set_content_type(r, "application/json");
    ap_set_content_length(r, strlen(body));
    if (!r->header_only)
        ap_rputs(body, r);
    return OK;
}

/* {"message":"<reason phrase>","error":"<detail>"}; 503 adds Retry-After. */
static int respond_error(request_rec *r, int status, const char *detail)
{
    json_object *o = json_object_new_object();
    const char *body;

    /* A body we have not read must not be taken for the next request. */
    r->status = status;
    ap_discard_request_body(r);

    json_object_object_add(o, "message",
                           json_object_new_string(ap_get_status_line(status) + 4));
    json_object_object_add(o, "error", json_object_new_string(detail));
    body = apr_pstrdup(r->pool, json_object_to_json_string_ext(
                                    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    if (status == HTTP_SERVICE_UNAVAILABLE)
        apr_table_setn(r->headers_out, "Retry-After", "1");
    return respond(r, status, body);
}

/* A request refused before any record was queued: counted for the status page. */
static int reject_request(request_rec *r, const ku_dir_conf_t *conf, int status,
                          ku_reject_t reason, const char *detail)
{
    ku_status_count_request_rejected(r->pool, conf, reason);
    return respond_error(r, status, detail);
}

/* A body that could not be read or made into records: 400 is the body's
 * fault, 413 a limit it passes, 503 an unreachable schema registry; the
 * rest (a read timeout 408, 501, too many record headers 431, a schema
 * that cannot be used 500) is counted as other. */
static ku_reject_t body_refusal(int status)
{
    return status == HTTP_BAD_REQUEST ? KU_REJECT_BAD_REQUEST
         : status == HTTP_REQUEST_ENTITY_TOO_LARGE ? KU_REJECT_TOO_LARGE
         : status == HTTP_SERVICE_UNAVAILABLE ? KU_REJECT_UNAVAILABLE : KU_REJECT_OTHER;
}

/* Lines every request would repeat while the brokers are away, or while a
 * section is misconfigured. */
static ku_log_limit_t send_failure_rl = KU_LOG_LIMIT("KU00007");
static ku_log_limit_t misconfigured_rl = KU_LOG_LIMIT("KU00008");
static ku_log_limit_t no_producer_rl = KU_LOG_LIMIT("KU00009");

/* One line per request, however many of its records failed: the first
 * failure, and how many records failed in all when there were several. */
static void log_send_failure(request_rec *r, const char *topic, const ku_answer_t *a,
                             int failed)
{
    if (ku_log_allowed(&send_failure_rl, r->server, APLOG_ERR))
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "KU00007: answered %d for topic %s: %s (%s)%s%s",
                      a->status, topic, a->error, a->kafka_error ? a->kafka_error : "-",
                      failed > 1 ? apr_psprintf(r->pool, "; %d records of this request "
                                                "failed", failed) : "", ku_trace_log_suffix(r));
}

/* --- the request body, read like mod_reflector ------------------------------- */

typedef struct {
    char *data;
    apr_size_t len, cap;
} ku_buffer_t;

static void buffer_append(apr_pool_t *p, ku_buffer_t *buf, const char *data,
                          apr_size_t n)
{
    if (buf->len + n + 1 > buf->cap) {
        apr_size_t cap = buf->cap ? buf->cap : 8192;
        char *grown;

        while (cap < buf->len + n + 1)
            cap *= 2;
        grown = apr_palloc(p, cap);
        if (buf->len)
            memcpy(grown, buf->data, buf->len);
        buf->data = grown;
        buf->cap = cap;
    }
    memcpy(buf->data + buf->len, data, n);
    buf->len += n;
    buf->data[buf->len] = '\0';
}

/* A declared length over the limit is refused before anything is read, so
 * a client that sent `Expect: 100-continue` is not invited to send it. */
static int declared_too_large(request_rec *r, apr_off_t limit)
{
    const char *cl = apr_table_get(r->headers_in, "Content-Length");
    apr_off_t len;
    char *end;

    return cl && apr_strtoff(&len, cl, &end, 10) == APR_SUCCESS && !*end && len > limit;
}

static int read_body(request_rec *r, apr_off_t limit, ku_buffer_t *buf)
{
    apr_bucket_brigade *bb;
    apr_bucket *b;
    apr_status_t rv;
    int seen_eos = 0;

    if (declared_too_large(r, limit))
        return HTTP_REQUEST_ENTITY_TOO_LARGE;
    bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    do {
        rv = ap_get_brigade(r->input_filters, bb, AP_MODE_READBYTES,
                            APR_BLOCK_READ, HUGE_STRING_LEN);
        if (rv != APR_SUCCESS)
            return ap_map_http_request_error(rv, HTTP_BAD_REQUEST);
        for (b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb);
             b = APR_BUCKET_NEXT(b)) {
            const char *data;
            apr_size_t n;

            if (APR_BUCKET_IS_EOS(b)) {
                seen_eos = 1;
                break;
            }
            if (APR_BUCKET_IS_METADATA(b))
                continue;
            if (apr_bucket_read(b, &data, &n, APR_BLOCK_READ) != APR_SUCCESS) {
                apr_brigade_cleanup(bb);
                return HTTP_BAD_REQUEST;
            }
            if ((apr_off_t)(buf->len + n) > limit) {
                apr_brigade_cleanup(bb);
                return HTTP_REQUEST_ENTITY_TOO_LARGE;
            }
            buffer_append(r->pool, buf, data, n);
        }
        apr_brigade_cleanup(bb);
    } while (!seen_eos);
    return OK;
}

int ku_read_body(request_rec *r, apr_off_t limit, const char **body, apr_size_t *len)
{
    ku_buffer_t buf = { 0 };
    int status = read_body(r, limit, &buf);

    *body = buf.data ? buf.data : "";
    *len = buf.len;
    return status;
}

/* --- the handler ---------------------------------------------------------------- */

/* librdkafka may report a delivery without its offset (acks 0; messages
 * "implicitly acked" by a later batch after a timed-out request):
 * RD_KAFKA_OFFSET_INVALID, -1001. Such a field is left out, never named. */
static void set_delivery_headers(request_rec *r, const ku_record_t *rec)
{
    apr_table_setn(r->headers_out, "Kafka-Topic", rec->topic);
    if (rec->result.partition >= 0)
        apr_table_setn(r->headers_out, "Kafka-Partition",
                       apr_itoa(r->pool, rec->result.partition));
    if (rec->result.offset >= 0)
        apr_table_setn(r->headers_out, "Kafka-Offset",
                       apr_psprintf(r->pool, "%" APR_INT64_T_FMT,
                                    (apr_int64_t)rec->result.offset));
}

/* The error detail, with librdkafka's own words under KafkaUpstreamErrorDetail. */
static const char *error_detail(request_rec *r, const ku_dir_conf_t *conf,
                                const ku_answer_t *a)
{
    if (ku_conf_flag(conf, KU_FLAG_ERROR_DETAIL) && a->kafka_error)
        return apr_pstrcat(r->pool, a->error, ": ", a->kafka_error, NULL);
    return a->error;
}

/* Several records: 200 when all were accepted (acknowledged, in sync
 * mode), 207 with each record's result when some were, and when none was,
 * the first refusal's own status. */
static int respond_records(request_rec *r, const ku_dir_conf_t *conf,
                           const ku_record_t *records, const ku_answer_t *answers, int n,
                           int sync)
{
    const ku_answer_t *failed = NULL;
    int i, accepted = 0;

    for (i = 0; i < n; i++) {
        if (answers[i].status == HTTP_OK)
            accepted++;
        else if (!failed)
            failed = &answers[i];
    }
    if (n == 1 && !failed && sync)
        set_delivery_headers(r, &records[0]);
    if (n == 1 || !accepted)
        return failed ? respond_error(r, failed->status, error_detail(r, conf, failed))
                      : respond(r, HTTP_OK, ku_sent_body);
    return ku_results_respond(r, conf, failed ? HTTP_MULTI_STATUS : HTTP_OK, records, answers,
                              n, sync);
}

static int kafka_upstream_handler(request_rec *r)
{
    const ku_dir_conf_t *conf;
    const char *body;
    apr_size_t body_len;
    ku_producer_t *kp;
    ku_identity_first_t *first = NULL;
    ku_record_t *records;
    ku_answer_t *answers;
    apr_array_header_t *topics;
    const char *error = NULL;
    apr_int64_t wait_ms;
    int i, n, status, sync, spooled, failed = 0, first_failed = 0;

    if (!r->handler || strcmp(r->handler, "kafka-upstream"))
        return DECLINED;
    conf = ap_get_module_config(r->per_dir_config, &kafka_upstream_module);
    ku_trace_prepare(r, conf); /* before the request's first log line */
    if (!ku_conf_is_complete(conf)) {
        if (ku_log_allowed(&misconfigured_rl, r->server, APLOG_ERR))
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "KU00008: kafka-upstream "
                          "handler without KafkaUpstreamBootstrapServers and "
                          "KafkaUpstreamTopic for %s%s", r->uri, ku_trace_log_suffix(r));
        return reject_request(r, conf, HTTP_INTERNAL_SERVER_ERROR, KU_REJECT_OTHER,
                              "location not configured for Kafka");
    }
    ku_status_count_request(r->pool, conf);
    if (ku_conf_api(conf) == KU_API_REST_V2)
        return ku_rest_v2_handle(r, conf);
    if (ku_conf_api(conf) == KU_API_REST_V3)
        return ku_rest_v3_handle(r, conf);
    if ((status = ku_request_topics(r, conf, &topics, &error)) != OK)
        return reject_request(r, conf, status, status == HTTP_FORBIDDEN
                              ? KU_REJECT_TOPIC_NOT_ALLOWED : KU_REJECT_BAD_REQUEST, error);
    if (ku_bounds_topics(r, conf, topics, &error) != OK)
        return reject_request(r, conf, HTTP_BAD_REQUEST, KU_REJECT_BAD_REQUEST, error);
    /* Produces as the caller: its producer, let see each topic by Kafka
     * (README "Identity passthrough"); before the body is read. */
    kp = NULL;
    if (ku_identity_enabled(conf)
        && (status = ku_identity_producer(r, conf, topics, &kp, &first, &error)) != OK)
        return reject_request(r, conf, status, status == HTTP_FORBIDDEN
                              ? KU_REJECT_TOPIC_NOT_ALLOWED : status == HTTP_SERVICE_UNAVAILABLE
                              ? KU_REJECT_UNAVAILABLE : KU_REJECT_OTHER, error);
    status = ku_read_body(r, ku_conf_num(conf, KU_NUM_MAX_BODY_SIZE), &body, &body_len);
    /* httpd's input filter already answered (bad chunk framing: 400). */
    if (status == AP_FILTER_ERROR) {
        ku_status_count_request_rejected(r->pool, conf, KU_REJECT_BAD_REQUEST);
        return AP_FILTER_ERROR;
    }
    if (status == HTTP_REQUEST_ENTITY_TOO_LARGE)
        return reject_request(r, conf, status, KU_REJECT_TOO_LARGE, "request body too large");
    if (status != OK)
        return reject_request(r, conf, status, body_refusal(status),
                              "request body could not be read");
    /* A kept answer is sent again before anything else is looked at. */
    if ((status = ku_idem_begin(r, conf, body, body_len, &error)) == DONE)
        return OK;
    if (status != OK)
        return reject_request(r, conf, status, status == HTTP_BAD_REQUEST
                              ? KU_REJECT_BAD_REQUEST : status == HTTP_SERVICE_UNAVAILABLE
                              ? KU_REJECT_UNAVAILABLE : KU_REJECT_OTHER, error);
    if ((status = ku_bounds_form(r, conf, body, body_len, &error)) != OK)
        return reject_request(r, conf, status, body_refusal(status), error);
    /* 400 for a body that does not fit, 413/431 beyond a limit; 503/500
     * when its schema cannot be had. */
    status = ku_build_records(r, conf, topics, body, body_len,
                              &records, &n, &error);
    if (status != OK)
        return reject_request(r, conf, status, body_refusal(status), error);

    if (!kp && !(kp = ku_producer_for(r->pool, conf, r->server, &error))) {
        if (ku_log_allowed(&no_producer_rl, r->server, APLOG_ERR))
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "KU00009: no producer for "
                          "%s: %s%s", r->uri, error, ku_trace_log_suffix(r));
        return reject_request(r, conf, HTTP_SERVICE_UNAVAILABLE, KU_REJECT_UNAVAILABLE,
                              "producer unavailable");
    }
    /* A caller's first records to a topic wait for their delivery, in
     * async Locations too: only it tells whether Kafka lets them write. */
    sync = !ku_conf_flag(conf, KU_FLAG_ASYNC) || first;
    wait_ms = (apr_int64_t)ku_conf_num(conf, KU_NUM_DELIVERY_TIMEOUT) + KU_WAIT_MARGIN_MS;
    spooled = ku_spool_wanted(conf, sync);
    if (spooled)
        ku_spool_send(kp, records, n, r->pool);
    else
        ku_producer_send(kp, records, n, sync, wait_ms > INT_MAX ? INT_MAX : (int)wait_ms,
                         r->pool);
    answers = apr_palloc(r->pool, sizeof(*answers) * (size_t)n);
    for (i = 0; i < n; i++)
        answers[i] = ku_answer_of(&records[i].result);
    if (first)
        ku_identity_first_sent(r, first, records, answers, n);
    for (i = 0; i < n; i++) {
        if (answers[i].status != HTTP_OK && !failed++)
            first_failed = i;
        /* The status page counts the records librdkafka would not queue
         * for a direct send; spooled records were never counted there. */
        if (!spooled && records[i].result.outcome == KU_SEND_REFUSED)
            ku_producer_count_rejected(kp, answers[i].reason);
    }
    if (failed)
        log_send_failure(r, records[first_failed].topic, &answers[first_failed], failed);
    return respond_records(r, conf, records, answers, n, sync);
}

/* librdkafka before 2.6.1 sends a wrong nonce in its SCRAM client-final
 * message; Kafka 4.0 and later brokers refuse it (3.x ones let it pass).
 * (librdkafka/build.sh builds 2.15.1, which has the fix.) */
#define KU_SCRAM_FIXED_VERSION 0x020601ff

static ku_log_once_t scram_warned = KU_LOG_ONCE_ARMED; /* re-armed at each (re)start */

static int warn_if_scram_is_broken(const ku_dir_conf_t *conf, server_rec *s,
                                   apr_pool_t *p)
{
    const char *mechanism = ku_conf_str(conf, KU_STR_SASL_MECHANISM);

    if (!ku_conf_is_complete(conf) || !mechanism || strncmp(mechanism, "SCRAM", 5)
        || rd_kafka_version() >= KU_SCRAM_FIXED_VERSION || !ku_log_once(&scram_warned))
        return OK;
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "KU00012: librdkafka %s cannot "
                 "log in with %s to Kafka 4.0 or later brokers (they refuse its "
                 "SCRAM nonce; fixed in librdkafka 2.6.1); Kafka 3.x brokers work",
                 rd_kafka_version_str(), mechanism);
    return OK;
}

/* "bundled" when librdkafka.a is linked into the module (the Debian
 * package), else "shared" (README "librdkafka"). */
const char ku_rdkafka_linkage[] = KU_RDKAFKA_LINKAGE;

/* Once per start or restart: what the module runs on, for bug reports. */
static void log_versions(server_rec *s)
{
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, "KU00060: mod_kafka_upstream %s, "
                 "librdkafka %s (%s, built with %d.%d.%d), json-c %s", KU_MODULE_VERSION,
                 rd_kafka_version_str(), ku_rdkafka_linkage, (RD_KAFKA_VERSION >> 24) & 0xff,
                 (RD_KAFKA_VERSION >> 16) & 0xff, (RD_KAFKA_VERSION >> 8) & 0xff,
                 json_c_version());
}

/* After the logs are open, so the lines land in the error log. httpd's
 * first pass at startup only checks the configuration and is thrown away:
 * nothing is made or logged then. */
static int kafka_upstream_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                                      apr_pool_t *ptemp, server_rec *s)
{
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG)
        return OK;
    log_versions(s);
    ku_log_once_rearm(&scram_warned);
    ku_status_post_config(pconf, ptemp, s);
    ku_idem_post_config(ptemp, s);
    return ku_conf_walk(s, ptemp, warn_if_scram_is_broken);
}

static int check_one(const ku_dir_conf_t *conf, server_rec *s, apr_pool_t *p)
{
    const char *error = ku_conf_check(p, conf), *section = ku_conf_section(conf);

    if (!error)
        return OK;
    ap_log_error(APLOG_MARK, APLOG_EMERG, 0, NULL, "KU00010: %s%s%s", error,
                 section ? " in the section for " : "", section ? section : "");
    return !OK;
}

/* Runs before `apachectl -t` reports: combinations fail the syntax check. */
static int kafka_upstream_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                                       apr_pool_t *ptemp, server_rec *s)
{
    return ku_conf_walk(s, ptemp, check_one);
}

static int create_producer(const ku_dir_conf_t *conf, server_rec *s, apr_pool_t *p)
{
    const char *error = NULL;

    /* An identity Location's producers are its callers' (identity.c). */
    if (ku_conf_is_complete(conf) && !ku_identity_enabled(conf)
        && !ku_producer_for(p, conf, s, &error))
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "KU00011: cannot create the "
                     "producer for %s: %s",
                     ku_conf_str(conf, KU_STR_BOOTSTRAP_SERVERS), error);
    return OK;
}

/* prefork gives pchild an allocator of its own without a mutex, and its
 * request pools draw from it (the threaded MPMs share the process's
 * allocator, which has one). The module's threads (poll, spool replay)
 * allocate from pchild's subpools while requests run: a mutex, set before
 * any of them starts, makes that allocator safe for them. It lives in the
 * process pool, which outlives pchild (whose end unsets it). */
static void lock_child_allocator(apr_pool_t *pchild, server_rec *s)
{
    apr_allocator_t *allocator = apr_pool_allocator_get(pchild);
    apr_thread_mutex_t *mutex;

    if (!allocator || apr_allocator_mutex_get(allocator))
        return;
    if (apr_thread_mutex_create(&mutex, APR_THREAD_MUTEX_DEFAULT, s->process->pool)
        == APR_SUCCESS)
        apr_allocator_mutex_set(allocator, mutex);
}

/* Producers are made after the fork: librdkafka's threads do not survive one. */
static void kafka_upstream_child_init(apr_pool_t *pchild, server_rec *s)
{
    apr_pool_t *scratch;

    ku_status_child_init(pchild, s);
    ku_producers_init(pchild);
    apr_pool_create(&scratch, pchild);
    ku_conf_walk(s, scratch, create_producer);
    apr_pool_destroy(scratch);
}

static void kafka_upstream_register_hooks(apr_pool_t *p)
{
    ap_hook_check_config(kafka_upstream_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(kafka_upstream_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(lock_child_allocator, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_child_init(kafka_upstream_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(kafka_upstream_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ku_status_register_hooks(p);
    ku_spool_register_hooks(p);
    ku_no_fs_walk_register_hooks(p);
    ku_lua_register_hooks(p);
    ku_idem_register_hooks(p);
    ku_identity_register_hooks(p);
}

/* Not AP_DECLARE_MODULE: mod_kafka_upstream.h already says APLOG_USE_MODULE. */
module AP_MODULE_DECLARE_DATA kafka_upstream_module = {
    STANDARD20_MODULE_STUFF,
    ku_create_dir_conf,
    ku_merge_dir_conf,
    ku_create_server_conf,
    NULL,
    ku_cmds,
    kafka_upstream_register_hooks
};
